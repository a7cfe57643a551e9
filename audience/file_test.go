package audience

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func mustParseFile(t *testing.T, name string) map[string]*Matcher {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	list, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	out := make(map[string]*Matcher)
	for _, a := range list {
		m, err := Compile(a)
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
	internal := Attributes{
		String("email", "ann@example.com"), String("build", "2.3-beta"),
		String("x-debug", ""), String("user-agent", "Mozilla Chrome/120"), String("path", "/v2/predict"),
	}
	tests := []struct {
		audience string
		attrs    Attributes
		want     bool
	}{
		{"New-York", Attributes{String("location", "new-york"), Int("age", 25)}, true},
		{"New-York", Attributes{String("location", "new-york"), Int("age", 10)}, true},
		{"New-York", Attributes{String("location", "new-york"), Int("age", 30)}, true},
		{"New-York", Attributes{String("location", "new-york"), Int("age", 31)}, false},
		{"New-York", Attributes{String("location", "New-York"), Int("age", 25)}, false},
		{"New-York", Attributes{String("location", "new-york")}, false},
		{"internal", internal, true},
		{"internal", append(Attributes{String("build", "x2.3-beta")}, internal...), false}, // regex is anchored
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
			if !m.Match(Attributes{String("region", "fr"), String("plan", "Premium")}) {
				t.Error("premium-eu does not match fr/Premium")
			}
			if m.Match(Attributes{String("region", "us"), String("plan", "premium")}) {
				t.Error("premium-eu matches us")
			}
		})
	}
	ms := mustParseFile(t, "testdata/audiences.yaml")
	ios := Attributes{String("os", "ios"), String("app_version", "2.10.0"), Strings("groups", "staff")}
	if !ms["new-ios"].Match(ios) {
		t.Error("new-ios does not match 2.10.0")
	}
	if ms["new-ios"].Match(Attributes{String("os", "ios"), String("app_version", "2.10.0"), Strings("groups", "tester")}) {
		t.Error("new-ios matches a tester")
	}
	if !ms["adults-or-staff"].Match(Attributes{Int("age", 15), String("email", "kid@EXAMPLE.com")}) {
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
			"9:13", "spec.audiences[1].conditions.unary[0].opertor", `unknown field "opertor" (valid: key, operator, operand)`},
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
		{"empty", "", "", "", "empty document"},
		{"yaml syntax", "audiences:\n  - name: a\n   bad: [", "line 1", "", "did not find expected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data))
			if err == nil {
				t.Fatal("Parse succeeded, want error")
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not an *Error wrapping ErrInvalid", err)
			}
			if e.Path != tc.wantPath {
				t.Errorf("Path = %q, want %q (%v)", e.Path, tc.wantPath, err)
			}
			if tc.wantPos != "" && !strings.Contains(err.Error(), "audience: "+tc.wantPos+": ") {
				t.Errorf("error %q is not at %s", err, tc.wantPos)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
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
	list, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(list[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		attrs Attributes
		want  bool
	}{
		{"string operand", Attributes{String("n", "42"), String("e", "x"), Float64("r", 1.5)}, true},
		{"int attribute is not the string 42", Attributes{Int("n", 42), String("e", "x"), Float64("r", 1.5)}, false},
		{"present false means absent", Attributes{String("n", "42"), String("p", ""), String("e", "x"), Int("r", 2)}, false},
		{"range edge", Attributes{String("n", "42"), String("e", ""), Int("r", 2)}, true},
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
	var fromYAML, fromJSON, fromJSONObject Audience
	if err := yaml.Unmarshal([]byte(y), &fromYAML); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(j), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"name": "a", "conditions": {"key": "x", "op": "exists"}}`), &fromJSONObject); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]Audience{"yaml": fromYAML, "json": fromJSON} {
		t.Run(name, func(t *testing.T) {
			m, err := Compile(a)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Match(Attributes{Int("x", 1), Bool("z", true)}) || m.Match(Attributes{Int("x", 1)}) {
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
	as, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(as) != 1 || as[0].Name != "us-users" {
		t.Fatalf("Parse = %+v", as)
	}
	m, err := Compile(as[0])
	if err != nil {
		t.Fatal(err)
	}
	if !m.Match(Attributes{String("country", "US")}) || m.Match(Attributes{String("country", "FR")}) {
		t.Error("the loaded audience does not match as written")
	}
}
