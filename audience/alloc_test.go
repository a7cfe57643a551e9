package audience

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestMatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	m, err := Compile(Audience{Name: "mix", Conditions: Condition{All: []Condition{
		{Key: "location", Op: OpIn, Values: []any{"california", "oregon"}},
		{Key: "age", Op: OpBetween, Values: []any{18, 65}},
		{Key: "app", Op: OpSemverGreaterEq, Value: "2.3"},
		{Key: "email", Op: OpMatches, Value: `@example\.(com|org)$`},
		{Key: "plan", Op: OpInCI, Values: []any{"Premium", "Gold"}},
		{Key: "tags", Op: OpContainsCI, Value: "beta"},
		{Not: &Condition{Key: "banned", Op: OpExists}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	loc, email := "california", "ann@example.com"
	n := testing.AllocsPerRun(100, func() {
		attrs := Attributes{
			String("location", loc),
			Int("age", 31),
			String("app", "v2.10.1"),
			String("email", email),
			String("plan", "PREMIUM"),
			Strings("tags", "x", "Beta-Tester"),
		}
		if !m.Match(attrs) {
			t.Fatal("no match")
		}
	})
	if n != 0 {
		t.Fatalf("Match: %v allocs, want 0", n)
	}
}

// TestMatchAllocsOperators checks that the operators of dates, addresses,
// empty lists and the limits allocate nothing, on strings they parse and on
// typed attributes, matching or not.
func TestMatchAllocsOperators(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	when := time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("", 3600))
	v4, v6 := netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("fe80::1%eth0")
	tests := []struct {
		name  string
		cond  Condition
		attrs Attributes
	}{
		{"after string", leaf("t", OpAfter, "2026-01-01"), Attributes{String("t", "2026-03-04T05:06:07.5-07:00")}},
		{"after bad string", leaf("t", OpAfter, "2026-01-01"), Attributes{String("t", "2026-03-04 05:06:07")}},
		{"before time", leaf("t", OpBefore, "2026-01-01"), Attributes{Time("t", when)}},
		{"time_between list", leafs("t", OpTimeBetween, "2026-01-01", "2027-01-01"), Attributes{Strings("t", "x", "2026-06-01")}},
		{"in_cidr v4 string", leafs("ip", OpInCIDR, privateNets...), Attributes{String("ip", "192.168.1.1")}},
		{"in_cidr v6 zone string", leafs("ip", OpInCIDR, privateNets...), Attributes{String("ip", "fe80::1%eth0")}},
		{"in_cidr bad string", leafs("ip", OpInCIDR, privateNets...), Attributes{String("ip", "fe80::1::2")}},
		{"in_cidr addr", leafs("ip", OpInCIDR, privateNets...), Attributes{Addr("ip", v4), Addr("ip6", v6)}},
		{"not_in_cidr 1000", leafs("ip", OpNotInCIDR, cidrList(1000)...), Attributes{Addr("ip", v6)}},
		{"in empty", leafs("k", OpIn), Attributes{String("k", "x")}},
		{"not_in empty", leafs("k", OpNotIn), Attributes{String("k", "x")}},
		{"semver leading zero", leaf("v", OpSemverGreater, "1.0.0"), Attributes{String("v", "1.02.3")}},
		{"contains_ci long", leaf("k", OpContainsCI, "ab"+strings.Repeat("a", 100)), Attributes{String("k", strings.Repeat("Aa", 600))}},
		{"in_ci", leafs("k", OpInCI, "Gold", "GOLD", "Premium"), Attributes{String("k", "gOLD")}},
		{"matches over input limit", leaf("k", OpMatches, "^a+$"), Attributes{String("k", strings.Repeat("a", MaxRegexInput+1))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustCompile(t, tc.cond)
			attrs := tc.attrs
			if n := testing.AllocsPerRun(100, func() { m.Match(attrs) }); n != 0 {
				t.Errorf("Match: %v allocs, want 0", n)
			}
		})
	}
	// Built per call, as a handler builds them, the attributes stay on the
	// stack too.
	m := mustCompile(t, Condition{All: []Condition{
		leaf("t", OpAfter, "2026-01-01"),
		leafs("ip", OpInCIDR, privateNets...),
	}})
	if n := testing.AllocsPerRun(100, func() {
		if !m.Match(Attributes{Time("t", when), Addr("ip", v4)}) {
			t.Fatal("no match")
		}
	}); n != 0 {
		t.Errorf("Match with attributes built per call: %v allocs, want 0", n)
	}
}

// TestMatchAllocsRegexWorst checks the worst regular expressions the
// limits allow: once regexp's pools are warm, no allocation.
func TestMatchAllocsRegexWorst(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	s := regexInputs["ab"]
	for name, m := range worstRegexes(t) {
		m.Match(Attributes{String("k", s)})
		if n := testing.AllocsPerRun(5, func() { m.Match(Attributes{String("k", s)}) }); n != 0 {
			t.Errorf("%s: %v allocs, want 0", name, n)
		}
	}
}
