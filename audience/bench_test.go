package audience

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustCompile(tb testing.TB, c Condition) *Matcher {
	tb.Helper()
	m, err := Compile(Audience{Name: "bench", Conditions: c})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// Each benchmark builds the attributes inside the loop, as a handler does
// per request.

func BenchmarkMatchExact(b *testing.B) {
	m := mustCompile(b, Condition{Key: "location", Op: OpEquals, Value: "california"})
	loc := "california"
	b.ReportAllocs()
	for b.Loop() {
		if !m.Match(Attributes{String("location", loc)}) {
			b.Fatal("no match")
		}
	}
}

func fiveConditions(tb testing.TB) *Matcher {
	return mustCompile(tb, Condition{All: []Condition{
		{Key: "location", Op: OpEquals, Value: "california"},
		{Key: "age", Op: OpBetween, Values: []any{18, 65}},
		{Key: "platform", Op: OpIn, Values: []any{"ios", "android"}},
		{Key: "app_version", Op: OpSemverGreaterEq, Value: "2.3.0"},
		{Key: "plan", Op: OpNotEquals, Value: "free"},
	}})
}

func BenchmarkMatchAll5Of10(b *testing.B) {
	m := fiveConditions(b)
	loc, version := "california", "2.10.1"
	b.ReportAllocs()
	for b.Loop() {
		// Ten attributes, built as a handler builds them.
		attrs := Attributes{
			String("user_id", "u-123456"),
			String("location", loc),
			String("country", "us"),
			Int("age", 31),
			String("platform", "ios"),
			String("app_version", version),
			String("plan", "premium"),
			Bool("beta", false),
			Float64("score", 0.73),
			String("language", "en-US"),
		}
		if !m.Match(attrs) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkMatchSet100(b *testing.B) {
	set := make([]any, 100)
	for i := range set {
		set[i] = "region-" + strconv.Itoa(i)
	}
	m := mustCompile(b, Condition{Key: "region", Op: OpIn, Values: set})
	region := "region-77"
	b.ReportAllocs()
	for b.Loop() {
		if !m.Match(Attributes{String("region", region), Int("age", 31)}) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkMatchRegex(b *testing.B) {
	m := mustCompile(b, Condition{Key: "email", Op: OpMatches, Value: `^[a-z0-9._%+-]+@(example|corp)\.(com|org)$`})
	email := "ann.smith@example.com"
	b.ReportAllocs()
	for b.Loop() {
		if !m.Match(Attributes{String("email", email)}) {
			b.Fatal("no match")
		}
	}
}

func TestMatchAllocsBenchCases(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	m := fiveConditions(t)
	loc, version := "california", "2.10.1"
	n := testing.AllocsPerRun(200, func() {
		attrs := Attributes{
			String("user_id", "u-123456"),
			String("location", loc),
			String("country", "us"),
			Int("age", 31),
			String("platform", "ios"),
			String("app_version", version),
			String("plan", "premium"),
			Bool("beta", false),
			Float64("score", 0.73),
			String("language", "en-US"),
		}
		if !m.Match(attrs) {
			t.Fatal("no match")
		}
	})
	if n != 0 {
		t.Fatalf("Match: %v allocs, want 0", n)
	}
}

// The operators of dates, addresses and empty lists. Attributes are built
// in the loop, as a handler builds them.

func BenchmarkMatchAfter(b *testing.B) {
	m := mustCompile(b, leaf("signed_up", OpAfter, "2026-01-01T00:00:00Z"))
	b.Run("string", func(b *testing.B) {
		s := "2026-03-04T05:06:07.123+02:00"
		b.ReportAllocs()
		for b.Loop() {
			if !m.Match(Attributes{String("signed_up", s)}) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("time", func(b *testing.B) {
		t := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		b.ReportAllocs()
		for b.Loop() {
			if !m.Match(Attributes{Time("signed_up", t)}) {
				b.Fatal("no match")
			}
		}
	})
}

func BenchmarkMatchTimeBetween(b *testing.B) {
	m := mustCompile(b, leafs("signed_up", OpTimeBetween, "2026-01-01", "2026-12-31T23:59:59.999999999Z"))
	s := "2026-03-04T05:06:07Z"
	b.ReportAllocs()
	for b.Loop() {
		if !m.Match(Attributes{String("signed_up", s)}) {
			b.Fatal("no match")
		}
	}
}

// privateNets are the private and local ranges, IPv4 and IPv6.
var privateNets = []any{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "fc00::/7", "fe80::/10", "::1"}

func BenchmarkMatchInCIDR(b *testing.B) {
	m := mustCompile(b, leafs("client", OpInCIDR, privateNets...))
	for _, tc := range []struct {
		name string
		attr Attr
	}{
		{"v4 string", String("client", "192.168.7.1")},
		{"v6 string", String("client", "fd12:3456:789a::1")},
		{"mapped string", String("client", "::ffff:10.1.2.3")},
		{"v4 addr", Addr("client", netip.MustParseAddr("192.168.7.1"))},
		{"v6 addr", Addr("client", netip.MustParseAddr("fd12:3456:789a::1"))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			attr := tc.attr
			b.ReportAllocs()
			for b.Loop() {
				if !m.Match(Attributes{attr}) {
					b.Fatal("no match")
				}
			}
		})
	}
}

// cidrList returns n distinct prefixes of every IPv4 length from /8 to /32.
func cidrList(n int) []any {
	list := make([]any, n)
	for i := range list {
		bits := 8 + i%25
		a := netip.AddrFrom4([4]byte{byte(11 + i%200), byte(i >> 8), byte(i), 0})
		list[i] = netip.PrefixFrom(a, bits).Masked().String()
	}
	return list
}

func BenchmarkMatchInCIDR1000(b *testing.B) {
	m := mustCompile(b, leafs("client", OpInCIDR, cidrList(1000)...))
	s := "203.0.113.7" // in none: every length is searched
	b.ReportAllocs()
	for b.Loop() {
		if m.Match(Attributes{String("client", s)}) {
			b.Fatal("match")
		}
	}
}

func BenchmarkMatchEmptyList(b *testing.B) {
	in := mustCompile(b, leafs("country", OpIn))
	notIn := mustCompile(b, leafs("country", OpNotIn))
	c := "fr"
	b.ReportAllocs()
	for b.Loop() {
		attrs := Attributes{String("country", c)}
		if in.Match(attrs) || !notIn.Match(attrs) {
			b.Fatal("wrong")
		}
	}
}

func BenchmarkMatchSemverStrict(b *testing.B) {
	m := mustCompile(b, leaf("app", OpSemverGreaterEq, "2.3.0"))
	for _, v := range []string{"2.10.1-rc.1+build.5", "02.10.1"} {
		b.Run(v, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Match(Attributes{String("app", v)})
			}
		})
	}
}

// worstRegexes are the costliest patterns found for RE2 in package regexp
// (every thread alive at every byte, large Unicode classes), each grown
// until the next repetition would break MaxRegexProgram or MaxPatternSize.
func worstRegexes(tb testing.TB) map[string]*Matcher {
	families := map[string]func(k int) string{
		"classes":   func(k int) string { return `(?:\pL|\pN){1,` + strconv.Itoa(k) + `}x` },
		"big class": func(k int) string { return `(?:[\pL\pN\pM\pS\pP]|z){1,` + strconv.Itoa(k) + `}y` },
		"optional big class": func(k int) string {
			return strings.Repeat(`[\pL\pN\pM\pS\pP]?`, k) + "y"
		},
		"case folded": func(k int) string { return `(?i)(?:\pL|k){1,` + strconv.Itoa(k) + `}y` },
		"boundaries":  func(k int) string { return strings.Repeat(`(?:\b|\B)\pL?`, k) + "y" },
		"dot stars":   func(k int) string { return strings.Repeat(".*a", k) + "x" },
	}
	out := map[string]*Matcher{}
	for name, build := range families {
		var best *Matcher
		for k := 1; ; k++ {
			m, err := Compile(Audience{Conditions: leaf("k", OpMatches, build(k))})
			if err != nil {
				break
			}
			best = m
		}
		if best == nil {
			tb.Fatalf("%s: no pattern within the limits", name)
		}
		out[name] = best
	}
	return out
}

// regexInputs are inputs of MaxRegexInput bytes.
var regexInputs = map[string]string{
	"a":  strings.Repeat("a", MaxRegexInput),
	"ab": strings.Repeat("ab", MaxRegexInput/2),
	"a1": strings.Repeat("a1", MaxRegexInput/2),
	"é":  strings.Repeat("é", MaxRegexInput/2),
	"Ω1": strings.Repeat("Ω1", MaxRegexInput/3) + "a",
}

// BenchmarkMatchRegexWorst measures the costliest regular expression
// condition the limits allow: a program of MaxRegexProgram instructions
// against an input of MaxRegexInput bytes, for each pattern family and
// input. The slowest case is the bound of one regular expression condition.
func BenchmarkMatchRegexWorst(b *testing.B) {
	for fam, m := range worstRegexes(b) {
		for in, s := range regexInputs {
			b.Run(fam+"/"+in, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					m.Match(Attributes{String("k", s)})
				}
			})
		}
	}
}

// BenchmarkMatchContainsFoldWorst is contains_ci's worst case for a naive
// search, 1 KiB "aaa…ab" in 1 KiB of "aaa…a": linear with the compiled
// operand.
func BenchmarkMatchContainsFoldWorst(b *testing.B) {
	m := mustCompile(b, leaf("k", OpContainsCI, strings.Repeat("a", 1023)+"b"))
	s := strings.Repeat("A", 1024)
	b.ReportAllocs()
	for b.Loop() {
		if m.Match(Attributes{String("k", s)}) {
			b.Fatal("match")
		}
	}
}

// BenchmarkMatchWorstAudience is the costliest audience the limits allow
// against 1 KiB attributes (ASCII, two-byte runes, and cased three-byte
// runes, which case folding reads slowest): MaxConditions conditions, the regular expression budget
// spent on one worst pattern, every other leaf a contains_ci that reads a
// whole attribute and fails, under any (so every condition is evaluated).
func BenchmarkMatchWorstAudience(b *testing.B) {
	re := worstRegexes(b)["big class"]
	list := []Condition{leaf("k", OpMatches, re.root.re.re.String())}
	for i := 1; len(list) < MaxConditions-1; i++ {
		list = append(list, leaf("k", OpContainsCI, strings.Repeat("a", 1023)+"b"))
	}
	m := mustCompile(b, Condition{Any: list})
	for in, s := range map[string]string{
		"ab": regexInputs["ab"],
		"é":  regexInputs["é"],
		"ạ":  strings.Repeat("ạ", MaxRegexInput/3) + "a", // case folding's slowest
	} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if m.Match(Attributes{String("k", s)}) {
					b.Fatal("match")
				}
			}
		})
	}
}

// BenchmarkMatchPerKiB measures the operators other than matches on a 1 KiB
// attribute, ASCII and two-byte runes, each at its slowest (a failing
// search that reads the whole attribute): the per-byte cost of the
// conditions the limits do not bound by size.
func BenchmarkMatchPerKiB(b *testing.B) {
	long := strings.Repeat("a", 1023) + "b"
	ops := map[string]Condition{
		"equals":       leaf("k", OpEquals, strings.Repeat("a", 1024)),
		"equals_ci":    leaf("k", OpEqualsCI, strings.Repeat("A", 1024)),
		"in":           leafs("k", OpIn, "x", "y"),
		"in_ci":        leafs("k", OpInCI, "x", "y"),
		"contains":     leaf("k", OpContains, long),
		"contains_ci":  leaf("k", OpContainsCI, long),
		"ends_with_ci": leaf("k", OpEndsWithCI, strings.Repeat("A", 1024)),
		"semver_gt":    leaf("k", OpSemverGreater, "1.0.0"),
		"after":        leaf("k", OpAfter, "2026-01-01"),
		"in_cidr":      leafs("k", OpInCIDR, "::/0"),
	}
	inputs := map[string]string{
		"ascii": strings.Repeat("a", 1024),
		"é":     strings.Repeat("é", 512),
		"日":     strings.Repeat("日", 341) + "a",
		"ạ":     strings.Repeat("ạ", 341) + "a", // cased, three bytes, beyond the fold table
	}
	for name, c := range ops {
		m := mustCompile(b, c)
		for in, s := range inputs {
			b.Run(name+"/"+in, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					m.Match(Attributes{String("k", s)})
				}
			})
		}
	}
}
