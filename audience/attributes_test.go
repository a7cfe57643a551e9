package audience

import (
	"cmp"
	"encoding/json"
	"math"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestFromMap(t *testing.T) {
	if FromMap(nil) != nil {
		t.Fatal("FromMap(nil) != nil")
	}
	type color string
	attrs := FromMap(map[string]any{
		"s": "x", "b": true, "i8": int8(-3), "u16": uint16(7), "f32": float32(0.5),
		"jn": json.Number("12"), "jf": json.Number("1.5"), "jbad": json.Number("x"),
		"ss": []string{"a", "b"}, "anys": []any{"a", 2, nil}, "nil": nil,
		"dur": 2 * time.Second, "named": color("red"), "other": struct{ A int }{1},
		"time":   time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("", 3600)),
		"ip4":    netip.MustParseAddr("10.1.2.3"),
		"ip6":    netip.MustParseAddr("2001:db8::1"),
		"ipzone": netip.MustParseAddr("fe80::1%eth0"),
		"netip4": net.ParseIP("192.168.0.1"),
		"netip6": net.ParseIP("2001:db8::2"),
		"noaddr": netip.Addr{},
	})
	tests := []struct {
		key  string
		kind Kind
		str  string
	}{
		{"s", KindString, "x"},
		{"b", KindBool, "true"},
		{"i8", KindInt64, "-3"},
		{"u16", KindUint64, "7"},
		{"f32", KindFloat64, "0.5"},
		{"jn", KindInt64, "12"},
		{"jf", KindFloat64, "1.5"},
		{"jbad", KindString, "x"},
		{"ss", KindStrings, "[a b]"},
		{"anys", KindStrings, "[a 2 ]"},
		{"nil", KindAny, "<nil>"},
		{"dur", KindString, "2s"},
		{"named", KindString, "red"},
		{"other", KindString, "{1}"},
		{"time", KindTime, "2026-01-02T03:04:05.000000006+01:00"},
		{"ip4", KindAddr, "10.1.2.3"},
		{"ip6", KindAddr, "2001:db8::1"},
		{"ipzone", KindAddr, "fe80::1"},
		{"netip4", KindAddr, "192.168.0.1"},
		{"netip6", KindAddr, "2001:db8::2"},
		{"noaddr", KindAny, "<nil>"},
	}
	if len(attrs) != len(tests) {
		t.Fatalf("got %d attributes, want %d", len(attrs), len(tests))
	}
	for i := 1; i < len(attrs); i++ {
		if attrs[i-1].Key >= attrs[i].Key {
			t.Fatalf("not sorted: %v", attrs)
		}
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			v, ok := attrs.Get(tc.key)
			if !ok || v.Kind() != tc.kind || v.String() != tc.str {
				t.Errorf("Get(%q) = %v %v (%q), want %v %q", tc.key, v.Kind(), ok, v, tc.kind, tc.str)
			}
		})
	}
}

func TestValueAccessors(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		kind Kind
		str  string
	}{
		{"string", StringValue("é"), KindString, "é"},
		{"bool", BoolValue(false), KindBool, "false"},
		{"int", Int64Value(math.MinInt64), KindInt64, "-9223372036854775808"},
		{"uint", Uint64Value(math.MaxUint64), KindUint64, "18446744073709551615"},
		{"float", Float64Value(math.Inf(-1)), KindFloat64, "-Inf"},
		{"NaN", Float64Value(math.NaN()), KindFloat64, "NaN"},
		{"strings", StringsValue(nil), KindStrings, "[]"},
		{"zero", Value{}, KindAny, "<nil>"},
		{"time UTC", TimeValue(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), KindTime, "2026-01-01T00:00:00Z"},
		{"time zero", TimeValue(time.Time{}), KindTime, "0001-01-01T00:00:00Z"},
		{"time far", TimeValue(time.Date(-5000, 1, 1, 0, 0, 0, 1, time.UTC)), KindTime, "-5000-01-01T00:00:00.000000001Z"},
		{"addr v4", AddrValue(netip.MustParseAddr("0.0.0.0")), KindAddr, "0.0.0.0"},
		{"addr mapped", AddrValue(netip.MustParseAddr("::ffff:10.0.0.1")), KindAddr, "10.0.0.1"},
		{"addr zone", AddrValue(netip.MustParseAddr("fe80::1%eth0")), KindAddr, "fe80::1"},
		{"addr v6", AddrValue(netip.MustParseAddr("::")), KindAddr, "::"},
		{"addr zero", AddrValue(netip.Addr{}), KindAny, "<nil>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.v.Kind() != tc.kind || tc.v.String() != tc.str {
				t.Errorf("got %v %q, want %v %q", tc.v.Kind(), tc.v.String(), tc.kind, tc.str)
			}
		})
	}
	for _, tm := range []time.Time{
		time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("X", -7*3600)),
		time.Date(2026, 3, 4, 5, 6, 7, 8, time.Local),
		time.Now(),
		{},
	} {
		got := Time("t", tm).Value.Time()
		if !got.Equal(tm) || got.Location().String() != tm.Location().String() {
			t.Errorf("Time(%v) round trip gives %v", tm, got)
		}
	}
	for _, s := range []string{"1.2.3.4", "::ffff:1.2.3.4", "::1", "fe80::1%eth0", "2001:db8::ff00:42:8329"} {
		a := netip.MustParseAddr(s)
		if got, want := Addr("a", a).Value.Addr(), a.Unmap().WithZone(""); got != want {
			t.Errorf("Addr(%v) round trip gives %v, want %v", a, got, want)
		}
	}
	if !StringValue("x").Time().IsZero() || StringValue("1.2.3.4").Addr().IsValid() {
		t.Error("Time or Addr of a string is not the zero value")
	}
	if Any("k", 3).Value.Int64() != 3 || Any("k", AnyValue("x")).Value.Str() != "x" {
		t.Error("Any")
	}
	if got := (Attributes{String("a", "1"), Int("b", 2)}).String(); got != "a=1 b=2" {
		t.Errorf("Attributes.String() = %q", got)
	}
}

func TestVersions(t *testing.T) {
	valid := []string{"1", "1.2", "1.2.3", "v1.2.3", "V0.0.0", "1.2.3-rc.1", "1.2.3+b.5", "1.2.3-a-b.0+x-y",
		"0.0.0", "10.20.30", "1.0.0-0", "1.0.0-0a", "1.0.0-00a", "1.0.0-a.0.b", "1.0.0-rc.10", "1.0.0+001", "1.0.0-alpha+001",
		"1.0.0--", "1.0.0-0-", "18446744073709551615.0.0", "1.0.0-99999999999999999999999"}
	invalid := []string{"", "v", "1.", "1..2", "1.2.3.4", "a.b.c", "1.2.3-", "1.2.3+", "1.2.3-a..b", "1.2.3-é", " 1.2.3", "1.2.3 ", "-1.2.3", "99999999999999999999.0.0",
		// semver 2.0.0 §2 and §9: no leading zeros in numeric identifiers.
		"01.2.3", "1.02.3", "1.2.03", "v01", "1.2.3-01", "1.2.3-rc.01", "1.2.3-00", "00.0.0", "1.2.3-a.b.01+x",
		"18446744073709551616.0.0", "1.2.3-a.", "1.2.3+a.", "1.2.3+.a", "vv1", "1.2.3-+"}
	for _, s := range valid {
		if _, ok := parseVersion(s); !ok {
			t.Errorf("parseVersion(%q) failed", s)
		}
	}
	for _, s := range invalid {
		if _, ok := parseVersion(s); ok {
			t.Errorf("parseVersion(%q) succeeded", s)
		}
	}
	// semver.org's precedence example, ascending.
	order := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.9.3", "1.10.0", "2.0.0"}
	for i := range order {
		for j := range order {
			a, _ := parseVersion(order[i])
			b, _ := parseVersion(order[j])
			if got, want := compareVersions(a, b), cmp.Compare(i, j); got != want {
				t.Errorf("compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}
