package audience

import (
	"encoding/json"
	"errors"
	"math"
	"net/netip"
	"os"
	"regexp/syntax"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name     string
		cond     Condition
		wantPath string
		wantMsg  string
	}{
		{"unknown operator lists valid ones", leaf("k", "eq", 1), "conditions.op", `unknown operator "eq" (valid: equals, not_equals,`},
		{"missing operator", Condition{Key: "k", Value: 1}, "conditions.op", "missing operator (valid: equals"},
		{"missing key", Condition{Op: OpEquals, Value: 1}, "conditions.key", "missing key"},
		{"mixed all and key", Condition{All: []Condition{{}}, Key: "k", Op: OpExists}, "conditions", "sets all and key/op"},
		{"mixed any and not", Condition{Any: []Condition{{}}, Not: &Condition{}}, "conditions", "sets any and not"},
		{"nested path", Condition{All: []Condition{{}, {Any: []Condition{leaf("k", "nope", 1)}}}}, "conditions.all[1].any[0].op", "unknown operator"},
		{"not path", Condition{Not: &Condition{Key: "k", Op: OpEquals}}, "conditions.not.value", "needs a value"},
		{"equals list", leaf("k", OpEquals, []any{1, 2}), "conditions.value", "needs a string, bool or number, not list"},
		{"equals map", leaf("k", OpEquals, map[string]any{}), "conditions.value", "not map"},
		{"equals values", leafs("k", OpEquals, 1), "conditions.values", "takes a single value"},
		{"equals NaN", leaf("k", OpEquals, math.NaN()), "conditions.value", "NaN"},
		{"in NaN element", leafs("k", OpIn, 1, math.NaN()), "conditions.values[1]", "NaN"},
		{"in scalar", leaf("k", OpIn, "x"), "conditions.value", "needs a list"},
		{"between nothing", Condition{Key: "k", Op: OpBetween}, "conditions.values", "needs values"},
		{"between empty list", leafs("k", OpBetween), "conditions.values", "needs values"},
		{"between empty value list", leaf("k", OpBetween, []any{}), "conditions.value", "needs 2 values, got 0"},
		{"in both", Condition{Key: "k", Op: OpIn, Value: "x", Values: []any{"y"}}, "conditions.value", "takes values, not value"},
		{"in nested list", leafs("k", OpIn, []any{1}), "conditions.values[0]", "not list"},
		{"in_ci number", leafs("k", OpInCI, "a", 1), "conditions.values[1]", "needs strings"},
		{"contains number", leaf("k", OpContains, 1), "conditions.value", "needs a string, not int64"},
		{"starts_with bool", leaf("k", OpStartsWith, true), "conditions.value", "needs a string, not bool"},
		{"matches bad regexp", leaf("k", OpMatches, "a("), "conditions.value", "bad regular expression"},
		{"matches backreference", leaf("k", OpMatches, `(a)\1`), "conditions.value", "bad regular expression"},
		{"exists with value", leaf("k", OpExists, true), "conditions.value", "takes no operand"},
		{"lt bool", leaf("k", OpLess, true), "conditions.value", "needs a number or a string"},
		{"lt nil", Condition{Key: "k", Op: OpLess}, "conditions.value", "needs a value"},
		{"between one", leafs("k", OpBetween, 1), "conditions.values", "needs 2 values, got 1"},
		{"between three", leaf("k", OpBetween, []int{1, 2, 3}), "conditions.value", "needs 2 values, got 3"},
		{"between reversed", leafs("k", OpBetween, 3, 1), "conditions.values", "lower bound 3 is above upper bound 1"},
		{"between mixed families", leafs("k", OpBetween, 1, "z"), "conditions.values", "two numbers or two strings"},
		{"between bool", leafs("k", OpBetween, false, true), "conditions.values[0]", "needs a number or a string"},
		{"semver float", leaf("v", OpSemverGreater, 2.10), "conditions.value", "quoted string"},
		{"semver invalid", leaf("v", OpSemverGreater, "two"), "conditions.value", `"two" is not a semantic version`},
		{"semver bad prerelease", leaf("v", OpSemverGreater, "1.0.0-"), "conditions.value", "not a semantic version"},
		{"semver leading zero", leaf("v", OpSemverGreater, "1.02.0"), "conditions.value", `"1.02.0" is not a semantic version`},
		{"semver leading zero prerelease", leaf("v", OpSemverGreater, "1.2.0-rc.01"), "conditions.value", "not a semantic version"},
		{"semver bool", leaf("v", OpSemverGreater, true), "conditions.value", "needs a version string"},
		{"before number", leaf("t", OpBefore, 1767225600), "conditions.value", "needs a time (an RFC 3339 string or a time.Time), not int64"},
		{"before bad date", leaf("t", OpBefore, "2026-13-01"), "conditions.value", `"2026-13-01" is not an RFC 3339 time`},
		{"before no offset", leaf("t", OpBefore, "2026-01-01T00:00:00"), "conditions.value", "is not an RFC 3339 time"},
		{"after nothing", Condition{Key: "t", Op: OpAfter}, "conditions.value", "needs a value"},
		{"after list", leaf("t", OpAfter, []any{"2026-01-01"}), "conditions.value", "needs a time"},
		{"time_between reversed", leafs("t", OpTimeBetween, "2026-01-01T00:00:00Z", "2025-12-31T23:00:00+02:00"), "conditions.values", "is after upper bound"},
		{"time_between one", leafs("t", OpTimeBetween, "2026-01-01"), "conditions.values", "needs 2 values, got 1"},
		{"time_between bad", leafs("t", OpTimeBetween, "2026-01-01", "soon"), "conditions.values[1]", `"soon" is not an RFC 3339 time`},
		{"in_cidr bad bits", leafs("ip", OpInCIDR, "10.0.0.0/8", "10.0.0.0/33"), "conditions.values[1]", `"10.0.0.0/33" is not a CIDR prefix`},
		{"in_cidr bad address", leaf("ip", OpInCIDR, "10.0.0"), "conditions.value", `"10.0.0" is not a CIDR prefix such as 10.0.0.0/8, or an IP address`},
		{"in_cidr zone", leafs("ip", OpInCIDR, "fe80::1%eth0"), "conditions.values[0]", "zone"},
		{"in_cidr zone in prefix", leafs("ip", OpInCIDR, "fe80::%eth0/64"), "conditions.values[0]", "not a CIDR prefix"},
		{"in_cidr number", leaf("ip", OpInCIDR, 10), "conditions.value", "needs a CIDR prefix or an IP address, as a string, not int64"},
		{"in_cidr list in value", leaf("ip", OpInCIDR, []any{"10.0.0.0/8", true}), "conditions.value[1]", "not bool"},
		{"in_cidr both", Condition{Key: "ip", Op: OpInCIDR, Value: []any{"::1"}, Values: []any{"::1"}}, "conditions.value", "takes values, not value"},
		{"semver_between reversed", leafs("v", OpSemverBetween, "2.0", "1.0"), "conditions.values", "above upper bound"},
		{"semver_between bad", leafs("v", OpSemverBetween, "1.0", "x"), "conditions.values[1]", "not a semantic version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Compile(Audience{Name: "t", Conditions: tc.cond})
			if err == nil {
				t.Fatalf("Compile succeeded (%v), want error", m)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			if e.Path != tc.wantPath {
				t.Errorf("Path = %q, want %q (%v)", e.Path, tc.wantPath, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "audience: ") {
				t.Errorf("error %q does not start with the package name", err)
			}
		})
	}
}

func TestCompileRegexpErrorWrapped(t *testing.T) {
	_, err := Compile(Audience{Conditions: leaf("k", OpMatches, "a(")})
	var se *syntax.Error
	if !errors.As(err, &se) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("want a wrapped *syntax.Error and ErrInvalid, got %v", err)
	}
}

type region string

type tier int

func (t tier) String() string { return [...]string{"free", "gold"}[t] }

// TestCompileOperandTypes checks the Go and decoder types Compile accepts.
func TestCompileOperandTypes(t *testing.T) {
	tests := []struct {
		name  string
		value any
		attr  Attr
	}{
		{"int", int(5), Int("k", 5)},
		{"int8", int8(-5), Int("k", -5)},
		{"int16", int16(5), Uint64("k", 5)},
		{"int32", int32(5), Float64("k", 5)},
		{"int64", int64(5), Int("k", 5)},
		{"uint", uint(5), Int("k", 5)},
		{"uint8", uint8(5), Int("k", 5)},
		{"uint16", uint16(5), Int("k", 5)},
		{"uint32", uint32(5), Int("k", 5)},
		{"uint64", uint64(5), Int("k", 5)},
		{"uintptr", uintptr(5), Int("k", 5)},
		{"float32", float32(0.5), Float64("k", 0.5)},
		{"float64", 0.5, Float64("k", 0.5)},
		{"json.Number int", json.Number("5"), Int("k", 5)},
		{"json.Number big", json.Number("18446744073709551615"), Uint64("k", math.MaxUint64)},
		{"json.Number float", json.Number("0.5"), Float64("k", 0.5)},
		{"named string", region("eu"), String("k", "eu")},
		{"named int", tier(1), Int("k", 1)},
		{"bool", true, Bool("k", true)},
		{"string", "x", String("k", "x")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []Condition{leaf("k", OpEquals, tc.value), leafs("k", OpIn, tc.value), leaf("k", OpIn, []any{tc.value})} {
				m, err := Compile(Audience{Conditions: c})
				if err != nil {
					t.Fatalf("Compile(%+v): %v", c, err)
				}
				if !m.Match(Attributes{tc.attr}) {
					t.Errorf("%s %v does not match %v", c.Op, tc.value, tc.attr.Value)
				}
			}
		})
	}
	lists := []struct {
		name  string
		value any
	}{
		{"[]any", []any{"a", 1}},
		{"[]string", []string{"a", "b"}},
		{"[]int", []int{1, 2}},
		{"[]int64", []int64{1, 2}},
		{"[]float64", []float64{1, 2}},
		{"[]region", []region{"a"}},
		{"[2]int", [2]int{1, 2}},
	}
	for _, tc := range lists {
		t.Run("list/"+tc.name, func(t *testing.T) {
			m, err := Compile(Audience{Conditions: leaf("k", OpIn, tc.value)})
			if err != nil {
				t.Fatal(err)
			}
			if !m.Match(Attributes{Any("k", "a")}) && !m.Match(Attributes{Int("k", 1)}) {
				t.Errorf("in %v matched neither a nor 1", tc.value)
			}
		})
	}
	// Operands as the decoders produce them.
	decoders := []struct {
		name string
		dec  func([]byte, any) error
		data string
	}{
		{"yaml", yaml.Unmarshal, `{name: a, conditions: [{key: n, op: between, values: [1, 18446744073709551615]}, {key: s, op: in, value: [x, 2, true]}]}`},
		{"json", json.Unmarshal, `{"name": "a", "conditions": [{"key": "n", "op": "between", "values": [1, 1e30]}, {"key": "s", "op": "in", "value": ["x", 2, true]}]}`},
		{"json.Number", func(b []byte, v any) error {
			d := json.NewDecoder(strings.NewReader(string(b)))
			d.UseNumber()
			return d.Decode(v)
		}, `{"name": "a", "conditions": [{"key": "n", "op": "between", "values": [1, 18446744073709551615]}, {"key": "s", "op": "in", "value": ["x", 2, true]}]}`},
	}
	for _, tc := range decoders {
		t.Run("decoder/"+tc.name, func(t *testing.T) {
			var a Audience
			if err := tc.dec([]byte(tc.data), &a); err != nil {
				t.Fatal(err)
			}
			m, err := Compile(a)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Match(Attributes{Int("n", 5), Int("s", 2)}) || m.Match(Attributes{Int("n", 0), Int("s", 2)}) {
				t.Errorf("decoded %+v does not behave", a)
			}
		})
	}
}

func TestOps(t *testing.T) {
	ops := Ops()
	if len(ops) != 35 {
		t.Fatalf("Ops() has %d operators", len(ops))
	}
	for _, op := range ops {
		if _, ok := lookupOp(op); !ok {
			t.Errorf("%s not found", op)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	inner := invalid("bad thing")
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"all", &Error{Path: "a.b", Line: 3, Column: 7, Err: inner}, "audience: 3:7: a.b: bad thing"},
		{"line only", &Error{Line: 3, Err: inner}, "audience: 3: bad thing"},
		{"path only", &Error{Path: "a", Err: inner}, "audience: a: bad thing"},
		{"nothing", &Error{Err: inner}, "audience: bad thing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			if !errors.Is(tc.err, ErrInvalid) {
				t.Error("does not wrap ErrInvalid")
			}
		})
	}
}

// TestEmptyListRoundTrip checks that a list emptied by a generator loads:
// encoders drop empty lists tagged omitempty, so in and not_in come back
// without values, and a YAML or JSON [] reads as the empty list too.
func TestEmptyListRoundTrip(t *testing.T) {
	gen := []Audience{
		{Name: "none", Conditions: Condition{Key: "country", Op: OpIn, Values: []any{}}},
		{Name: "all", Conditions: Condition{Key: "country", Op: OpNotIn, Values: []any{}}},
	}
	y, err := yaml.Marshal(map[string]any{"audiences": gen})
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(map[string]any{"audiences": gen})
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{
		"yaml omitempty": string(y),
		"json omitempty": string(j),
		"yaml []":        "audiences:\n  - {name: none, conditions: {key: country, op: in, values: []}}\n  - {name: all, conditions: {key: country, op: not_in, value: []}}\n",
		"json []":        `{"audiences": [{"name": "none", "conditions": {"key": "country", "op": "in", "values": []}}, {"name": "all", "conditions": {"key": "country", "op": "not_in", "values": []}}]}`,
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			list, err := Parse([]byte(doc))
			if err != nil {
				t.Fatalf("Parse(%s): %v", doc, err)
			}
			for _, a := range list {
				m, err := Compile(a)
				if err != nil {
					t.Fatal(err)
				}
				for _, attrs := range []Attributes{nil, {String("country", "fr")}, {String("country", "")}} {
					if got, want := m.Match(attrs), a.Name == "all"; got != want {
						t.Errorf("%s.Match(%v) = %v, want %v", a.Name, attrs, got, want)
					}
				}
			}
		})
	}
}

// TestParseOperators reads the YAML forms of the operators on times,
// addresses and empty lists (testdata/operators.yaml) and checks what each
// audience matches.
func TestParseOperators(t *testing.T) {
	data, err := os.ReadFile("testdata/operators.yaml")
	if err != nil {
		t.Fatal(err)
	}
	list, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	ms := map[string]*Matcher{}
	for _, a := range list {
		if ms[a.Name], err = Compile(a); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		audience string
		attrs    Attributes
		want     bool
	}{
		{"signed-up-2026", Attributes{String("signed_up", "2026-01-01T00:59:59+01:00")}, false},
		{"signed-up-2026", Attributes{String("signed_up", "2026-01-01T01:00:00+01:00")}, true},
		{"signed-up-2026", Attributes{Time("signed_up", time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC))}, true},
		{"signed-up-2026", Attributes{String("signed_up", "2027-01-01")}, false},
		{"first-week", Attributes{String("signed_up", "2026-01-07T23:59:59Z")}, true},
		{"first-week", Attributes{String("signed_up", "2026-01-08")}, false},
		{"internal", Attributes{String("client", "192.168.1.20")}, true},
		{"internal", Attributes{Addr("client", netip.MustParseAddr("fd00::7"))}, true},
		{"internal", Attributes{String("client", "::1")}, true},
		{"internal", Attributes{String("client", "::ffff:10.9.9.9")}, true},
		{"internal", Attributes{String("client", "203.0.113.1")}, false},
		{"external", Attributes{String("client", "192.168.3.4")}, false},
		{"external", Attributes{String("client", "203.0.113.1")}, true},
		{"external", nil, true},
		{"nobody", Attributes{String("country", "fr")}, false},
		{"everybody", Attributes{String("country", "fr")}, true},
	}
	for _, tc := range tests {
		if got := ms[tc.audience].Match(tc.attrs); got != tc.want {
			t.Errorf("%s.Match(%v) = %v, want %v", tc.audience, tc.attrs, got, tc.want)
		}
	}
}

// TestParseOperatorErrors checks that bad operands of the new operators
// are reported at their line and column.
func TestParseOperatorErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"audiences:\n  - name: a\n    conditions: {key: t, op: after, value: tomorrow}\n", `3:44: audiences[0].conditions.value: operator after: "tomorrow" is not an RFC 3339 time`},
		{"audiences:\n  - name: a\n    conditions: {key: ip, op: in_cidr, values: [10.0.0.0/8, 10.0.0.0/40]}\n", "audiences[0].conditions.values[1]: operator in_cidr"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse: %v, want %q", err, tc.want)
		}
	}
}
