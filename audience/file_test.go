package audience_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/varroute/varroute/audience"
)

func mustParseFile(t *testing.T, name string) map[string]*audience.Matcher {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	list, err := audience.Parse(data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	out := make(map[string]*audience.Matcher)
	for _, a := range list {
		m, err := audience.Compile(a)
		if err != nil {
			t.Fatalf("Compile(%s): %v", a.Name, err)
		}
		out[a.Name] = m
	}
	return out
}

func TestParseQwakFile(t *testing.T) {
	ms := mustParseFile(t, "testdata/qwak.yaml")
	if len(ms) != 3 {
		t.Fatalf("got %d audiences, want 3", len(ms))
	}
	internal := audience.Attributes{
		audience.String("email", "ann@example.com"), audience.String("build", "2.3-beta"),
		audience.String("x-debug", ""), audience.String("user-agent", "Mozilla Chrome/120"), audience.String("path", "/v2/predict"),
	}
	tests := []struct {
		audience string
		attrs    audience.Attributes
		want     bool
	}{
		{"New-York", audience.Attributes{audience.String("location", "new-york"), audience.Int("age", 25)}, true},
		{"New-York", audience.Attributes{audience.String("location", "new-york"), audience.Int("age", 10)}, true},
		{"New-York", audience.Attributes{audience.String("location", "new-york"), audience.Int("age", 30)}, true},
		{"New-York", audience.Attributes{audience.String("location", "new-york"), audience.Int("age", 31)}, false},
		{"New-York", audience.Attributes{audience.String("location", "New-York"), audience.Int("age", 25)}, false},
		{"New-York", audience.Attributes{audience.String("location", "new-york")}, false},
		{"internal", internal, true},
		{"internal", append(audience.Attributes{audience.String("build", "x2.3-beta")}, internal...), false}, // regex is anchored
		{"internal", internal[:4], false},
		{"default", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.audience+"/"+tc.attrs.String(), func(t *testing.T) {
			if got := ms[tc.audience].Match(tc.attrs); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseOwnFiles(t *testing.T) {
	for _, name := range []string{"testdata/audiences.yaml", "testdata/audiences.json"} {
		t.Run(name, func(t *testing.T) {
			ms := mustParseFile(t, name)
			m := ms["premium-eu"]
			if !m.Match(audience.Attributes{audience.String("region", "fr"), audience.String("plan", "Premium")}) {
				t.Error("premium-eu does not match fr/Premium")
			}
			if m.Match(audience.Attributes{audience.String("region", "us"), audience.String("plan", "premium")}) {
				t.Error("premium-eu matches us")
			}
		})
	}
	ms := mustParseFile(t, "testdata/audiences.yaml")
	ios := audience.Attributes{audience.String("os", "ios"), audience.String("app_version", "2.10.0"), audience.Strings("groups", "staff")}
	if !ms["new-ios"].Match(ios) {
		t.Error("new-ios does not match 2.10.0")
	}
	if ms["new-ios"].Match(audience.Attributes{audience.String("os", "ios"), audience.String("app_version", "2.10.0"), audience.Strings("groups", "tester")}) {
		t.Error("new-ios matches a tester")
	}
	if !ms["adults-or-staff"].Match(audience.Attributes{audience.Int("age", 15), audience.String("email", "kid@EXAMPLE.com")}) {
		t.Error("adults-or-staff does not match staff")
	}
}

func TestParseErrors(t *testing.T) {
	qwak := func(cond string) string {
		return "api_version: v1\nspec:\n  audiences:\n    - name: a\n    - name: b\n      conditions:\n" + cond
	}
	tests := []struct {
		name     string
		data     string
		wantPos  string // "line:col"
		wantPath string
		wantMsg  string
	}{
		{"qwak unknown operator", qwak("        unary:\n          - key: x\n            operator: UNARY_OPERATOR_TYPE_EQUALS\n            operand: y\n"),
			"9:23", "spec.audiences[1].conditions.unary[0].operator", "valid: UNARY_OPERATOR_TYPE_EXACT_MATCH, UNARY_OPERATOR_TYPE_SAFE_REGEX_MATCH"},
		{"qwak binary operator in unary list", qwak("        unary:\n          - key: x\n            operator: BINARY_OPERATOR_TYPE_RANGE_MATCH\n            operand: y\n"),
			"9:23", "spec.audiences[1].conditions.unary[0].operator", "unknown operator"},
		{"qwak unknown binary operator", qwak("        binary:\n          - key: x\n            operator: UNARY_OPERATOR_TYPE_EXACT_MATCH\n            first_operand: 1\n            second_operand: 2\n"),
			"9:23", "spec.audiences[1].conditions.binary[0].operator", "valid: BINARY_OPERATOR_TYPE_RANGE_MATCH"},
		{"qwak bad regex", qwak("        unary:\n          - key: x\n            operator: UNARY_OPERATOR_TYPE_SAFE_REGEX_MATCH\n            operand: \"a(\"\n"),
			"10:22", "spec.audiences[1].conditions.unary[0].operand", "bad regular expression"},
		{"qwak missing operand", qwak("        unary:\n          - key: x\n            operator: UNARY_OPERATOR_TYPE_PREFIX_MATCH\n"),
			"8:13", "spec.audiences[1].conditions.unary[0].operand", "missing operand"},
		{"qwak range reversed", qwak("        binary:\n          - key: x\n            operator: BINARY_OPERATOR_TYPE_RANGE_MATCH\n            first_operand: 9\n            second_operand: 2\n"),
			"10:28", "spec.audiences[1].conditions.binary[0].first_operand", "above upper bound"},
		{"qwak range not a number", qwak("        binary:\n          - key: x\n            operator: BINARY_OPERATOR_TYPE_RANGE_MATCH\n            first_operand: 1\n            second_operand: ten\n"),
			"11:29", "spec.audiences[1].conditions.binary[0].second_operand", `want a number, not "ten"`},
		{"qwak unknown field", qwak("        unary:\n          - key: x\n            opertor: UNARY_OPERATOR_TYPE_EXACT_MATCH\n"),
			"9:13", "spec.audiences[1].conditions.unary[0].opertor", `unknown field "opertor" (did you mean "operator"?)`},
		{"qwak missing key", qwak("        unary:\n          - operator: UNARY_OPERATOR_TYPE_EXACT_MATCH\n            operand: y\n"),
			"8:13", "spec.audiences[1].conditions.unary[0].key", "missing key"},
		{"qwak bad version", "api_version: v2\nspec:\n  audiences: []\n", "1:14", "api_version", `unsupported api_version "v2"`},
		{"qwak missing version", "spec:\n  audiences:\n    - name: a\n", "1:1", "api_version", "missing api_version"},
		{"qwak duplicate name", "api_version: v1\nspec:\n  audiences:\n    - name: a\n    - name: a\n", "5:13", "spec.audiences[1].name", `duplicate audience name "a"`},
		{"qwak missing name", "api_version: v1\nspec:\n  audiences:\n    - description: x\n", "4:7", "spec.audiences[0].name", "missing name"},
		{"qwak conditions not a mapping", qwak("        - x\n"), "7:9", "spec.audiences[1].conditions", "want a mapping"},
		{"own unknown operator", "audiences:\n  - name: a\n    conditions:\n      - key: x\n        op: eq\n        value: 1\n",
			"5:13", "audiences[0].conditions[0].op", `unknown operator "eq" (valid: equals, not_equals,`},
		{"own nested", "audiences:\n  - name: a\n    conditions:\n      any:\n        - all:\n          - {key: x, op: lt, value: true}\n",
			"6:37", "audiences[0].conditions.any[0].all[0].value", "needs a number or a string"},
		{"own mixed", "audiences:\n  - name: a\n    conditions:\n      key: x\n      op: exists\n      all: [{key: y, op: exists}]\n",
			"4:7", "audiences[0].conditions", "sets"},
		{"own unknown field", "audiences:\n  - name: a\n    conditons: []\n", "3:5", "audiences[0].conditons", `unknown field "conditons"`},
		{"own duplicate field", "audiences:\n  - name: a\n    name: b\n", "3:5", "audiences[0].name", "duplicate field"},
		{"own values not list", "audiences:\n  - name: a\n    conditions: {key: x, op: in, values: 3}\n", "3:42", "audiences[0].conditions.values", "want a list"},
		{"own map operand", "audiences:\n  - name: a\n    conditions: {key: x, op: equals, value: {a: 1}}\n", "3:45", "audiences[0].conditions.value", "want a scalar or a list"},
		{"own not a list", "audiences: {name: a}\n", "1:12", "audiences", "want a list"},
		{"own no audiences", "audiences: []\n", "1:1", "", "no audiences"},
		{"json unknown operator", `{"audiences": [{"name": "a", "conditions": {"key": "x", "op": "~="}}]}`,
			"1:63", "audiences[0].conditions.op", "unknown operator"},
		{"neither schema", "foo: 1\n", "1:1", "foo", `unknown field "foo" (valid: audiences)`},
		{"not a mapping", "- a\n", "1:1", "", "want a mapping"},
		{"own nott", "audiences:\n  - name: a\n    conditions: {nott: {key: c, op: equals, value: fr}}\n", "3:18", "audiences[0].conditions.nott", `unknown field "nott" (did you mean "not"?)`},
		{"own negate", "audiences:\n  - name: a\n    conditions: {negate: {key: c, op: equals, value: fr}}\n", "3:18", "audiences[0].conditions.negate", `unknown field "negate" (valid: all, any, not, key, op, value, values)`},
		{"own valeu", "audiences:\n  - name: a\n    conditions:\n      - {key: c, op: equals, valeu: fr}\n", "4:30", "audiences[0].conditions[0].valeu", `unknown field "valeu" (did you mean "value"?)`},
		{"own misspelt name", "audiences:\n  - nmae: a\n", "2:5", "audiences[0].nmae", `unknown field "nmae" (did you mean "name"?)`},
		{"own string operand for values", "audiences:\n  - name: a\n    conditions: {key: x, op: in, values: {a: 1}}\n", "3:42", "audiences[0].conditions.values", "want a scalar or a list, not a mapping"},
		{"json nott", `{"audiences": [{"name": "a", "conditions": {"nott": {}}}]}`, "1:45", "audiences[0].conditions.nott", `(did you mean "not"?)`},
		{"json number name", `{"audiences": [{"name": 5}]}`, "1:25", "audiences[0].name", "want a string, not the number 5"},
		{"second document", "audiences: [{name: a}]\n---\naudiences: [{name: b}]\n", "2:1", "", "a second YAML document"},
		{"alias bomb", aliasBomb(9, 10), "", "", "more than audience.MaxNodes (262144) nodes"},
		{"alias to itself", "audiences: &a [{name: x, conditions: {all: *a}}]\n", "1:12", "", "holds an alias to itself"},
		{"deep", "audiences: [{name: a, conditions: " + strings.Repeat("{not: ", 70) + "{}" + strings.Repeat("}", 70) + "}]\n", "1:", "", "nested deeper than audience.MaxDepth (64)"},
		{"deep json", `{"audiences": [{"name": "a", "conditions": ` + strings.Repeat(`{"not": `, 9000) + "{}" + strings.Repeat("}", 9000) + "}]}", "1:", "", "nested deeper than audience.MaxDepth (64)"},
		{"too large", "audiences: [{name: a}]\n" + strings.Repeat("#", audience.MaxSize), "", "", "more than audience.MaxSize (1048576)"},
		{"empty", "", "", "", "empty document"},
		{"yaml syntax", "audiences:\n  - name: a\n   bad: [", "1", "", "did not find expected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := audience.Parse([]byte(tc.data))
			if err == nil {
				t.Fatal("Parse succeeded, want error")
			}
			var e *audience.Error
			if !errors.As(err, &e) || !errors.Is(err, audience.ErrInvalid) {
				t.Fatalf("error %v is not an *Error wrapping ErrInvalid", err)
			}
			if e.Path != tc.wantPath {
				t.Errorf("Path = %q, want %q (%v)", e.Path, tc.wantPath, err)
			}
			if tc.wantPos != "" && !strings.HasPrefix(err.Error(), "audience: "+tc.wantPos) {
				t.Errorf("error %q is not at %s", err, tc.wantPos)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
		})
	}
}

// aliasBomb returns an audience file whose conditions, written with
// aliases, expand to width^levels leaves.
func aliasBomb(levels, width int) string {
	var b strings.Builder
	b.WriteString("audiences:\n- name: a0\n  conditions: &c0 {key: k, op: exists}\n")
	for i := 1; i <= levels; i++ {
		ref := fmt.Sprintf("*c%d,", i-1)
		fmt.Fprintf(&b, "- name: a%d\n  conditions: &c%d {all: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(ref, width), ","))
	}
	return b.String()
}

// TestConditionDecoders checks Condition's UnmarshalYAML and UnmarshalJSON:
// the checks of Parse (unknown fields with a suggestion, bad leaves), its
// limits, and positions relative to the condition.
func TestConditionDecoders(t *testing.T) {
	tests := []struct {
		name     string
		yaml     bool
		data     string
		wantPath string
		wantMsg  string
	}{
		{"yaml nott", true, "nott: {key: c, op: exists}\n", "nott", `(did you mean "not"?)`},
		{"yaml nested valeu", true, "all:\n  - {key: c, op: equals, valeu: 1}\n", "all[0].valeu", `(did you mean "value"?)`},
		{"yaml list form", true, "- {key: c, op: exists}\n- {key: d, opp: exists}\n", "[1].opp", `(did you mean "op"?)`},
		{"yaml operator", true, "{key: c, op: resembles}\n", "op", `unknown operator "resembles"`},
		{"yaml alias bomb", true, "a: &a [{key: k, op: exists}, {key: k, op: exists}, {key: k, op: exists}, {key: k, op: exists}]\nb: &b [{all: *a}, {all: *a}, {all: *a}, {all: *a}, {all: *a}, {all: *a}, {all: *a}, {all: *a}]\n" +
			"c: &c [{all: *b}, {all: *b}, {all: *b}, {all: *b}, {all: *b}, {all: *b}, {all: *b}, {all: *b}]\nd: &d [{all: *c}, {all: *c}, {all: *c}, {all: *c}, {all: *c}, {all: *c}, {all: *c}, {all: *c}]\n" +
			"e: &e [{all: *d}, {all: *d}, {all: *d}, {all: *d}, {all: *d}, {all: *d}, {all: *d}, {all: *d}]\nf: &f [{all: *e}, {all: *e}, {all: *e}, {all: *e}, {all: *e}, {all: *e}, {all: *e}, {all: *e}]\n" +
			"cond: {all: *f}\n", "", "more than audience.MaxNodes"},
		{"json nott", false, `{"nott": {"key": "c", "op": "exists"}}`, "nott", `(did you mean "not"?)`},
		{"json deep", false, strings.Repeat(`{"not": `, 9000) + `{}` + strings.Repeat("}", 9000), "", "nested deeper than audience.MaxDepth (64)"},
		{"json operand", false, `{"key": "c", "op": "lt", "value": true}`, "value", "needs a number or a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.yaml {
				var doc struct {
					Cond audience.Condition `yaml:"cond"`
				}
				data := tc.data
				if !strings.Contains(data, "cond:") {
					data = "cond:\n" + indent(data)
				}
				err = yaml.Unmarshal([]byte(data), &doc)
			} else {
				var c audience.Condition
				err = json.Unmarshal([]byte(tc.data), &c)
			}
			var e *audience.Error
			if !errors.As(err, &e) || !errors.Is(err, audience.ErrInvalid) {
				t.Fatalf("error %v is not an *Error wrapping ErrInvalid", err)
			}
			if e.Path != tc.wantPath || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q (path %q), want path %q and %q", err, e.Path, tc.wantPath, tc.wantMsg)
			}
			if e.Line == 0 {
				t.Errorf("error %q has no position", err)
			}
		})
	}
	var c audience.Condition
	if err := json.Unmarshal([]byte("null"), &c); err != nil || c.Key != "" {
		t.Errorf("null: %v, %+v", err, c)
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

// TestParseCost checks that inputs built to cost far more than their size
// are refused at a cost linear in their size.
func TestParseCost(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		maxBytes uint64
	}{
		{"alias bomb 9x10", aliasBomb(9, 10), 1 << 20},
		{"json nested 9000 deep", `{"audiences": [{"name": "a", "conditions": ` + strings.Repeat(`{"not": `, 9000) + "{}" + strings.Repeat("}", 9000) + "}]}", 4 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := audience.Parse([]byte(tc.data))
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > tc.maxBytes {
				t.Errorf("%d bytes of input allocated %d bytes, want at most %d (%v)", len(tc.data), got, tc.maxBytes, err)
			}
		})
	}
}

func TestParseQwakOperands(t *testing.T) {
	data := `api_version: v1
spec:
  audiences:
    - name: a
      conditions:
        unary:
          - {key: n, operator: UNARY_OPERATOR_TYPE_EXACT_MATCH, operand: 42}
          - {key: p, operator: UNARY_OPERATOR_TYPE_PRESENT_MATCH, operand: false}
          - {key: e, operator: UNARY_OPERATOR_TYPE_CONTAINS_MATCH, operand: ""}
        binary:
          - {key: r, operator: BINARY_OPERATOR_TYPE_RANGE_MATCH, first_operand: "1.5", second_operand: 2}
`
	list, err := audience.Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	m, err := audience.Compile(list[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		attrs audience.Attributes
		want  bool
	}{
		{"string operand", audience.Attributes{audience.String("n", "42"), audience.String("e", "x"), audience.Float64("r", 1.5)}, true},
		{"int attribute is not the string 42", audience.Attributes{audience.Int("n", 42), audience.String("e", "x"), audience.Float64("r", 1.5)}, false},
		{"present false means absent", audience.Attributes{audience.String("n", "42"), audience.String("p", ""), audience.String("e", "x"), audience.Int("r", 2)}, false},
		{"range edge", audience.Attributes{audience.String("n", "42"), audience.String("e", ""), audience.Int("r", 2)}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.Match(tc.attrs); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestConditionListForm checks that a list means all-of in every decoder.
func TestConditionListForm(t *testing.T) {
	const y = "name: a\nconditions:\n  - {key: x, op: equals, value: 1}\n  - any: [{key: y, op: exists}, {key: z, op: exists}]\n"
	const j = `{"name": "a", "conditions": [{"key": "x", "op": "equals", "value": 1}, {"any": [{"key": "y", "op": "exists"}, {"key": "z", "op": "exists"}]}]}`
	var fromYAML, fromJSON, fromJSONObject audience.Audience
	if err := yaml.Unmarshal([]byte(y), &fromYAML); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(j), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"name": "a", "conditions": {"key": "x", "op": "exists"}}`), &fromJSONObject); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]audience.Audience{"yaml": fromYAML, "json": fromJSON} {
		t.Run(name, func(t *testing.T) {
			m, err := audience.Compile(a)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Match(audience.Attributes{audience.Int("x", 1), audience.Bool("z", true)}) || m.Match(audience.Attributes{audience.Int("x", 1)}) {
				t.Errorf("list form decoded wrongly: %+v", a)
			}
		})
	}
	if fromJSONObject.Conditions.Key != "x" {
		t.Errorf("object form decoded wrongly: %+v", fromJSONObject)
	}
}

// TestQwakExtraMetadata loads a Qwak export carrying fields of its own at
// the metadata levels: they are skipped, so the file loads as it is.
func TestQwakExtraMetadata(t *testing.T) {
	const doc = `api_version: v1
kind: audiences
metadata: {exported_at: "2026-11-01T10:00:00Z"}
spec:
  environment: production
  audiences:
    - id: 5f3c
      name: us-users
      description: users in the US
      created_at: 2026-01-01
      routes: []
      conditions:
        unary:
          - key: country
            operator: UNARY_OPERATOR_TYPE_EXACT_MATCH
            operand: US
`
	as, err := audience.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(as) != 1 || as[0].Name != "us-users" {
		t.Fatalf("Parse = %+v", as)
	}
	m, err := audience.Compile(as[0])
	if err != nil {
		t.Fatal(err)
	}
	if !m.Match(audience.Attributes{audience.String("country", "US")}) || m.Match(audience.Attributes{audience.String("country", "FR")}) {
		t.Error("the loaded audience does not match as written")
	}
}
