package audience

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// rfc3339 is the grammar of RFC 3339 section 5.6 (date-time, 'T' and 'Z'
// in either case) and of its full-date alone.
var rfc3339 = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$`)

// FuzzParseInstant checks parseInstant against package time: it accepts
// exactly the strings of the RFC 3339 grammar that time.Parse accepts (with
// time.RFC3339Nano, or time.DateOnly for a date), and reads the same
// instant.
func FuzzParseInstant(f *testing.F) {
	for _, s := range []string{
		"2026-01-01T00:00:00Z", "2026-01-01T09:30:00+02:00", "2026-01-01t00:00:00.123456789z",
		"2026-01-01T00:00:00.1234567891Z", "2026-01-01", "2024-02-29", "2023-02-29", "2016-12-31T23:59:60Z",
		"0000-01-01T00:00:00-23:59", "9999-12-31T23:59:59+23:59", "2026-01-01T00:00:00+24:00",
		"2026-01-01 00:00:00Z", "2026-01-01T00:00:00", "2026-1-1", "２０２６-01-01",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseInstant(s)
		if !rfc3339.MatchString(s) {
			if ok {
				t.Fatalf("parseInstant(%q) accepts a string outside RFC 3339's grammar", s)
			}
			return
		}
		var want time.Time
		var err error
		if off := s[len(s)-6:]; len(s) > 20 && (off[0] == '+' || off[0] == '-') && (off[1:3] > "23" || off[4:] > "59") {
			// RFC 3339's time-numoffset has an hour of 00-23 and a minute
			// of 00-59; time.Parse's lenient fallback takes +24:00.
			if ok {
				t.Fatalf("parseInstant(%q) accepts an offset out of range", s)
			}
			return
		}
		if len(s) == len(time.DateOnly) {
			want, err = time.Parse(time.DateOnly, s)
		} else {
			up := s[:10] + "T" + s[11:]
			if up[len(up)-1] == 'z' {
				up = up[:len(up)-1] + "Z"
			}
			want, err = time.Parse(time.RFC3339Nano, up)
		}
		if (err == nil) != ok {
			t.Fatalf("parseInstant(%q) ok = %v, time.Parse error = %v", s, ok, err)
		}
		if ok && got != instantOf(want) {
			t.Fatalf("parseInstant(%q) = %+v, time.Parse gives %v (%+v)", s, got, want, instantOf(want))
		}
	})
}

// FuzzParseIP checks parseIP against netip.ParseAddr: the same strings are
// addresses, with the same 16 bytes, and IPv4 ones (native or mapped) are
// flagged.
func FuzzParseIP(f *testing.F) {
	for _, s := range []string{
		"10.1.2.3", "010.1.2.3", "1.2.3", "1.2.3.4.5", "256.0.0.1", "::", "::1", "1::", "1:2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7::", "::ffff:10.1.2.3", "64:ff9b::192.0.2.33", "1:2:3:4:5:6:1.2.3.4", "fe80::1%eth0",
		"fe80::1%", "1.2.3.4%eth0", "%eth0", ":::", "1:::2", "12345::", "::ffff:1.2.3.04", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseIP(s)
		want, err := netip.ParseAddr(s)
		if ok != (err == nil) {
			t.Fatalf("parseIP(%q) ok = %v, netip.ParseAddr error = %v", s, ok, err)
		}
		if !ok {
			return
		}
		b := want.As16()
		if got.hi != beUint64(b[:8]) || got.lo != beUint64(b[8:]) || got.v4 != (want.Is4() || want.Is4In6()) {
			t.Fatalf("parseIP(%q) = %+v, netip.ParseAddr gives %v", s, got, want)
		}
	})
}

// FuzzInCIDR checks in_cidr against netip.Prefix.Contains, with the
// documented differences: an IPv4-mapped address is its IPv4 address (and
// a mapped prefix of 96 bits or more the IPv4 prefix), and zones are
// ignored.
func FuzzInCIDR(f *testing.F) {
	f.Add("10.0.0.0/8", "10.1.0.0/16", "10.1.2.3")
	f.Add("::ffff:10.0.0.0/104", "2001:db8::/32", "10.1.2.3")
	f.Add("0.0.0.0/0", "::/0", "::ffff:1.2.3.4")
	f.Add("fe80::/10", "1.2.3.4", "fe80::1%eth0")
	f.Add("10.1.2.3/8", "::ffff:0:0/95", "::ffff:10.0.0.1")
	f.Fuzz(func(t *testing.T, p1, p2, addr string) {
		var prefixes []netip.Prefix
		for _, s := range []string{p1, p2} {
			if p, err := cidrPrefix(s, OpInCIDR); err == nil {
				prefixes = append(prefixes, p)
			}
		}
		set := newPrefixSet(prefixes)
		a, ok := parseIP(addr)
		if !ok {
			return
		}
		na := netip.MustParseAddr(addr).WithZone("").Unmap()
		want := false
		for _, p := range prefixes {
			want = want || p.Contains(na)
		}
		if got := set.contains(a); got != want {
			t.Fatalf("%v contains %q = %v, netip says %v", prefixes, addr, got, want)
		}
		m, err := Compile(Audience{Conditions: Condition{Key: "ip", Op: OpInCIDR, Values: []any{p1, p2}}})
		if err == nil && m.Match(Attributes{String("ip", addr)}) != want {
			t.Fatalf("in_cidr [%q %q] on %q disagrees with netip", p1, p2, addr)
		}
	})
}

// FuzzContainsFold checks the linear-time containsFold against the naive
// definition: sub is case-insensitively equal to the runes of s at some
// rune boundary.
func FuzzContainsFold(f *testing.F) {
	f.Add("Das über-Ich", "ÜBER")
	f.Add("bo\u212a!", "ok")
	f.Add("aaaaaaaaab", "aaab")
	f.Add("abababac", "ababac")
	f.Add("\xffA\xfe", "\xfda")
	f.Fuzz(func(t *testing.T, s, sub string) {
		if len(sub) > 64 {
			sub = sub[:64]
		}
		want := sub == ""
		for i := 0; i <= len(s) && !want; {
			want = naiveFoldPrefix(s[i:], sub)
			if i == len(s) {
				break
			}
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
		k := newFoldPattern(sub)
		if got := k.in(s); got != want {
			t.Fatalf("contains_ci(%q, %q) = %v, want %v", s, sub, got, want)
		}
	})
}

// naiveFoldPrefix reports whether s starts with the runes of prefix,
// ignoring case as strings.EqualFold does.
func naiveFoldPrefix(s, prefix string) bool {
	n := utf8.RuneCountInString(prefix)
	i := 0
	for range n {
		if i >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return strings.EqualFold(s[:i], prefix)
}

// FuzzAffixFold checks starts_with_ci and ends_with_ci against their
// definition with strings.EqualFold: the first (last) runes of s, as many
// as the operand has, equal the operand ignoring case.
func FuzzAffixFold(f *testing.F) {
	f.Add("ΣΊΣΥΦΟΣ", "σίσυ")
	f.Add("bo\u212a", "OK")
	f.Add("\xffA\xfe", "\xfda\xfe")
	f.Add("straße", "SSE")
	f.Fuzz(func(t *testing.T, s, affix string) {
		n := utf8.RuneCountInString(affix)
		i := 0
		for range n {
			if i >= len(s) {
				break
			}
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
		wantPrefix := utf8.RuneCountInString(s[:i]) == n && strings.EqualFold(s[:i], affix)
		if got := hasPrefixFold(s, affix); got != wantPrefix {
			t.Fatalf("hasPrefixFold(%q, %q) = %v, want %v", s, affix, got, wantPrefix)
		}
		rs := []rune(s)
		wantSuffix := false
		if len(rs) >= n {
			wantSuffix = strings.EqualFold(string(rs[len(rs)-n:]), string([]rune(affix)))
		}
		if got := hasSuffixFold(s, affix); got != wantSuffix {
			t.Fatalf("hasSuffixFold(%q, %q) = %v, want %v", s, affix, got, wantSuffix)
		}
	})
}
