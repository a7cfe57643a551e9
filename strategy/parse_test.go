package strategy_test

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/strategy"
)

const planYAML = `name: checkout-2026
audiences:
  - name: california
    conditions:
      key: location
      op: equals
      value: california
rules:
  - audience: california
    split:
      - {variant: model-b, weight: 100}
default:
  - variant: model-a
    weight: 90
  - variant: model-c
    weight: 10
fallbacks:
  model-c: model-a
shadows:
  - variant: model-d
    percent: 5
`

const planJSON = `{
  "name": "checkout-2026",
  "audiences": [{"name": "california", "conditions": {"key": "location", "op": "equals", "value": "california"}}],
  "rules": [{"audience": "california", "split": [{"variant": "model-b", "weight": 100}]}],
  "default": [{"variant": "model-a", "weight": 90}, {"variant": "model-c", "weight": 10}],
  "fallbacks": {"model-c": "model-a"},
  "shadows": [{"variant": "model-d", "percent": 5}]
}`

func TestParsePlan(t *testing.T) {
	want := strategy.Plan{
		Name: "checkout-2026",
		Audiences: []audience.Audience{{
			Name:       "california",
			Conditions: audience.Condition{Key: "location", Op: audience.OpEquals, Value: "california"},
		}},
		Rules:     []strategy.Rule{{Audience: "california", Split: strategy.Split{{Variant: "model-b", Weight: 100}}}},
		Default:   strategy.Split{{Variant: "model-a", Weight: 90}, {Variant: "model-c", Weight: 10}},
		Fallbacks: map[string]string{"model-c": "model-a"},
		Shadows:   []strategy.Mirror{{Variant: "model-d", Percent: 5}},
	}
	tests := []struct{ name, data string }{
		{"yaml", planYAML},
		{"json", planJSON},
		{"yaml flow", `name: checkout-2026
audiences: [{name: california, conditions: {key: location, op: equals, value: california}}]
rules: [{audience: california, split: [{variant: model-b, weight: 100}]}]
default: [{variant: model-a, weight: 9e1}, {variant: model-c, weight: 10.0}]
fallbacks: {model-c: model-a}
shadows: [{variant: model-d, percent: 5}]
`},
		{"anchors and merge keys", `name: checkout-2026
audiences:
  - name: california
    conditions: &ca {key: location, op: equals, value: california}
rules:
  - audience: california
    split: [&b {variant: model-b, weight: 100}]
default:
  - {<<: *b, variant: model-a, weight: 90}
  - <<: [{variant: model-c}, {weight: 10}]
fallbacks: {model-c: model-a}
shadows: [{variant: model-d, percent: 5}]
`},
		{"document end marker", planYAML + "...\n"},
		{"explicit document start", "---\n" + planYAML},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := strategy.ParsePlan([]byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, want) {
				t.Errorf("parsed\n%+v\nwant\n%+v", p, want)
			}
		})
	}
}

// goType matches what a decoder's message would show of a Go type.
var goType = regexp.MustCompile(`float64|int64|uint64|\bint\b|\[\]|map\[|strategy\.(Plan|Split|Arm|Rule|Mirror)|audience\.(Audience|Condition)|interface|struct|!!`)

// bomb returns a plan whose audience conditions, written with aliases,
// expand to width^levels leaves.
func bomb(levels, width int) string {
	var b strings.Builder
	b.WriteString("name: bomb\naudiences:\n- name: a0\n  conditions: &c0 {key: k, op: exists}\n")
	for i := 1; i <= levels; i++ {
		ref := fmt.Sprintf("*c%d,", i-1)
		fmt.Fprintf(&b, "- name: a%d\n  conditions: &c%d {all: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(ref, width), ","))
	}
	b.WriteString("default: [{variant: v, weight: 100}]\n")
	return b.String()
}

// nestedJSON returns a JSON plan whose audience is a condition nested depth
// levels deep with "not".
func nestedJSON(depth int) string {
	return `{"name": "deep", "default": [{"variant": "v", "weight": 100}], "audiences": [{"name": "a", "conditions": ` +
		strings.Repeat(`{"not":`, depth) + `{"key": "k", "op": "exists"}` + strings.Repeat("}", depth) + `}]}`
}

// nestedYAML is nestedJSON in YAML's flow style.
func nestedYAML(depth int) string {
	return "name: deep\ndefault: [{variant: v, weight: 100}]\naudiences:\n  - name: a\n    conditions: " +
		strings.Repeat("{not: ", depth) + "{key: k, op: exists}" + strings.Repeat("}", depth) + "\n"
}

func TestParsePlanErrors(t *testing.T) {
	cond := func(c string) string {
		return "name: p\naudiences:\n  - name: a\n    conditions: " + c + "\nrules: [{audience: a, split: [{variant: v, weight: 100}]}]\ndefault: [{variant: v, weight: 100}]\n"
	}
	tests := []struct {
		name string
		data string
		pos  string // "line:col", "line", or "" when the error has no position
		path string
		msg  string // a fragment of the message
	}{
		{"empty", "  \n", "", "", "empty plan"},
		{"comments only", "# nothing\n", "", "", "empty plan"},
		{"weights", strings.Replace(planYAML, "weight: 10\n", "weight: 5\n", 1), "13:3", "default", "weights sum to 95, want 100"},
		{"nested weight", strings.Replace(planYAML, "weight: 100}", "weight: -1}", 1), "11:36", "rules[0].split[0].weight", "want >= 0"},
		{"unknown audience", strings.Replace(planYAML, "- audience: california", "- audience: texas", 1), "9:15", "rules[0].audience", `unknown audience "texas"`},
		{"string weight", strings.Replace(planYAML, "weight: 90", `weight: "ten"`, 1), "14:13", "default[0].weight", `want a number, not the string "ten"`},
		{"plain string weight", strings.Replace(planYAML, "weight: 90", `weight: ten`, 1), "14:13", "default[0].weight", `want a number, not the string "ten"`},
		{"quoted number weight", strings.Replace(planYAML, "weight: 90", `weight: "90"`, 1), "14:13", "default[0].weight", `want a number, not the string "90"`},
		{"list weight", strings.Replace(planYAML, "weight: 90", `weight: [90]`, 1), "14:13", "default[0].weight", `want a number, not a list`},
		{"misspelt weight", strings.Replace(planYAML, "weight: 90", "wieght: 90", 1), "14:5", "default[0].wieght", `unknown field "wieght" (did you mean "weight"?)`},
		{"misspelt top field", strings.Replace(planYAML, "shadows:", "shadowz:", 1), "19:1", "shadowz", `unknown field "shadowz" (did you mean "shadows"?)`},
		{"unknown field far from any", strings.Replace(planYAML, "shadows:", "mirrors:", 1), "19:1", "mirrors", `unknown field "mirrors" (valid: name, audiences, rules, default, fallbacks, shadows, noise_floor, breakers)`},
		{"case", strings.Replace(planYAML, "shadows:", "Shadows:", 1), "19:1", "Shadows", `(did you mean "shadows"?)`},
		{"duplicate field", "name: a\nname: b\ndefault: [{variant: v, weight: 100}]\n", "2:1", "name", `duplicate field "name"`},
		{"wrong kind", "name: x\ndefault: 3\n", "2:10", "default", "want a list, not the number 3"},
		{"null arm", "name: x\ndefault: [~]\n", "2:11", "default[0]", "want a mapping, not null"},
		{"bad yaml", "name: [", "1", "", "did not find expected node content"},
		{"tab indentation", "name: x\ndefault:\n\t- {variant: v, weight: 100}\n", "3", "", "cannot start any token"},
		{"second document", "name: x\ndefault: [{variant: v, weight: 100}]\n---\nname: y\n", "3:1", "", "a second YAML document"},
		{"second empty document", "name: x\ndefault: [{variant: v, weight: 100}]\n---\n", "3:1", "", "a second YAML document"},
		{"syntax error in second document", "name: x\ndefault: [{variant: v, weight: 100}]\n---\nname: [\n", "4", "", "did not find expected node content"},
		{"not a mapping", "- a\n- b\n", "1:1", "", "want a mapping, not a list"},
		{"scalar", "hello\n", "1:1", "", `want a mapping, not the string "hello"`},

		// Conditions: unknown fields are errors at every level, in both
		// forms, with the nearest name.
		{"condition nott", cond("{nott: {key: country, op: equals, value: fr}}"), "4:18", "audiences[0].conditions.nott", `unknown field "nott" (did you mean "not"?)`},
		{"condition negate", cond("{negate: {key: country, op: equals, value: fr}}"), "4:18", "audiences[0].conditions.negate", `unknown field "negate" (valid: all, any, not, key, op, value, values)`},
		{"condition valeu", cond("{key: country, op: equals, valeu: fr}"), "4:44", "audiences[0].conditions.valeu", `unknown field "valeu" (did you mean "value"?)`},
		{"condition nested", cond("{all: [{key: x, op: exists}, {not: {key: y, op: in, vaules: [1]}}]}"), "4:69", "audiences[0].conditions.all[1].not.vaules", `(did you mean "values"?)`},
		{"condition list form", cond("[{key: x, op: exists}, {key: y, opp: exists}]"), "4:49", "audiences[0].conditions[1].opp", `(did you mean "op"?)`},
		{"condition operator", cond("{key: x, op: resembles, value: 1}"), "4:30", "audiences[0].conditions.op", `unknown operator "resembles"`},
		{"condition operand", cond("{key: x, op: lt, value: true}"), "4:41", "audiences[0].conditions.value", "needs a number or a string"},
		{"condition mixed", cond("{key: x, op: exists, all: [{key: y, op: exists}]}"), "4:17", "audiences[0].conditions", "sets all and key/op"},
		{"audience field", strings.Replace(planYAML, "    conditions:", "    condition:", 1), "4:5", "audiences[0].condition", `(did you mean "conditions"?)`},

		{"shadow serving", strings.Replace(planYAML, "variant: model-d", "variant: model-a", 1), "20:14", "shadows[0].variant", "noise_floor"},
		{"fallback duplicate", "name: x\ndefault: [{variant: v, weight: 100}]\nfallbacks: {a: v, a: v}\n", "3:19", `fallbacks["a"]`, `duplicate field "a"`},
		{"fallback not a string", "name: x\ndefault: [{variant: v, weight: 100}]\nfallbacks: {a: [v]}\n", "3:16", `fallbacks["a"]`, "want a string, not a list"},
		{"fallback cycle", "name: x\ndefault: [{variant: a, weight: 100}]\nfallbacks:\n  a: b\n  b: a\n", "4:6", `fallbacks["a"]`, "fallback cycle [a b a]"},

		{"json weights", strings.Replace(planJSON, `"weight": 10}`, `"weight": 11}`, 1), "5:14", "default", "weights sum to 101"},
		{"json string weight", strings.Replace(planJSON, `"weight": 90`, `"weight": "ten"`, 1), "5:48", "default[0].weight", `want a number, not the string "ten"`},
		{"json misspelt weight", strings.Replace(planJSON, `"weight": 90`, `"wieght": 90`, 1), "5:38", "default[0].wieght", `(did you mean "weight"?)`},
		{"json condition nott", strings.Replace(planJSON, `"conditions": {"key"`, `"conditions": {"nott": {}, "key"`, 1), "3:55", "audiences[0].conditions.nott", `(did you mean "not"?)`},
		{"json syntax", `{"name": "x",}`, "1:14", "", "invalid character '}'"},
		{"json truncated", `{"name": "x", "default": [`, "1:27", "", "unexpected end of JSON input"},
		{"json number name", `{"name": 5}`, "1:10", "name", "want a string, not the number 5"},
		{"json bool variant", `{"name": "x", "default": [{"variant": true, "weight": 100}]}`, "1:39", "default[0].variant", "want a string, not true"},
		{"json unknown field", `{"name": "x", "defaults": []}`, "1:15", "defaults", `(did you mean "default"?)`},
		{"json trailing", `{"name": "x", "default": [{"variant": "a", "weight": 100}]} {}`, "1:61", "", "data after the JSON value"},
		{"json huge number", `{"name": "x", "default": [{"variant": "a", "weight": 1e999}]}`, "1:54", "", "number 1e999 is out of range"},
		{"json duplicate", `{"name": "x", "name": "y"}`, "1:15", "name", `duplicate field "name"`},

		// Limits: each names its constant and value.
		{"too large", "name: x\n" + strings.Repeat("#", strategy.MaxPlanSize), "", "", "more than strategy.MaxPlanSize (1048576)"},
		{"alias bomb 9x10", bomb(9, 10), "14:", "", "more than strategy.MaxPlanNodes (262144) nodes"},
		{"alias bomb 6x10", bomb(6, 10), "14:", "", "more than strategy.MaxPlanNodes (262144) nodes"},
		{"alias to itself", "name: &x [*x]\ndefault: [{variant: v, weight: 100}]\n", "1:7", "", "holds an alias to itself"},
		{"deep yaml", nestedYAML(100), "5:383", "", "nested deeper than strategy.MaxPlanDepth (64)"},
		{"deep json", nestedJSON(9000), "1:", "", "nested deeper than strategy.MaxPlanDepth (64)"},
		{"deep yaml through an alias", "name: x\ndefault: [{variant: v, weight: 100}]\naudiences: [{name: a, conditions: &d " +
			strings.Repeat("{not: ", 55) + "{key: k, op: exists}" + strings.Repeat("}", 55) + "}, {name: b, conditions: {all: [{all: [{all: [{all: [*d]}]}]}]}}]\n",
			"3:", "", "nested deeper than strategy.MaxPlanDepth (64)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := strategy.ParsePlan([]byte(tc.data))
			var pe *strategy.Error
			if !errors.As(err, &pe) {
				t.Fatalf("ParsePlan = %v, want *Error", err)
			}
			if !errors.Is(err, strategy.ErrInvalidPlan) {
				t.Error("error does not match ErrInvalidPlan")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.msg) {
				t.Errorf("error %q does not contain %q", msg, tc.msg)
			}
			if m := goType.FindString(pe.Err.Error()); m != "" {
				t.Errorf("error %q shows %q, of Go's or the decoder's vocabulary", msg, m)
			}
			if pe.Path != tc.path {
				t.Errorf("path %q, want %q (%v)", pe.Path, tc.path, err)
			}
			pos := ""
			if pe.Line > 0 {
				pos = fmt.Sprint(pe.Line)
				if pe.Column > 0 {
					pos += fmt.Sprint(":", pe.Column)
				}
			}
			if !strings.HasPrefix(pos, tc.pos) || (tc.pos == "" && pos != "") || (tc.pos != "" && !strings.HasSuffix(tc.pos, ":") && pos != tc.pos) {
				t.Errorf("position %q, want %q (%v)", pos, tc.pos, err)
			}
			want := "strategy: "
			if pos != "" {
				want += pos + ": "
			}
			if tc.path != "" {
				want += tc.path + ": "
			}
			if !strings.HasPrefix(msg, want) {
				t.Errorf("error %q does not start with %q", msg, want)
			}
		})
	}
}

// TestParsePlanCost checks that inputs built to cost far more than their
// size are refused at a cost linear in their size: alias bombs, deep
// nesting in both syntaxes, and the largest input allowed.
func TestParsePlanCost(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		maxBytes uint64 // allocated by one ParsePlan, at most
	}{
		{"alias bomb 9x10 (811 bytes, 10^9 leaves)", bomb(9, 10), 1 << 20},
		{"alias bomb 6x10 (577 bytes, 10^6 leaves)", bomb(6, 10), 1 << 20},
		{"json nested 9000 deep (72 KB)", nestedJSON(9000), 4 << 20},
		{"yaml nested 9000 deep", nestedYAML(9000), 64 << 20},
		{"largest allowed input", "name: x\n" + strings.Repeat("#", strategy.MaxPlanSize-9) + "\n", 16 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := strategy.ParsePlan([]byte(tc.data))
			runtime.ReadMemStats(&after)
			if err == nil && !strings.HasPrefix(tc.name, "largest") {
				t.Fatal("accepted")
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > tc.maxBytes {
				t.Errorf("%d bytes of input allocated %d bytes, want at most %d (%v)", len(tc.data), got, tc.maxBytes, err)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	bad := errors.New("weights sum to 95, want 100")
	tests := []struct {
		name string
		err  *strategy.Error
		want string
	}{
		{"everything", &strategy.Error{File: "plan.yaml", Line: 4, Column: 3, Path: "default", Err: bad}, "plan.yaml:4:3: default: weights sum to 95, want 100"},
		{"file and line", &strategy.Error{File: "plan.yaml", Line: 4, Err: bad}, "plan.yaml:4: weights sum to 95, want 100"},
		{"file and path", &strategy.Error{File: "plan.yaml", Path: "default", Err: bad}, "plan.yaml: default: weights sum to 95, want 100"},
		{"no file", &strategy.Error{Line: 4, Column: 3, Path: "default", Err: bad}, "strategy: 4:3: default: weights sum to 95, want 100"},
		{"path only", &strategy.Error{Path: "default", Err: bad}, "strategy: default: weights sum to 95, want 100"},
		{"nothing", &strategy.Error{Err: bad}, "strategy: weights sum to 95, want 100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			if !errors.Is(tc.err, strategy.ErrInvalidPlan) || !errors.Is(tc.err, bad) {
				t.Error("does not match ErrInvalidPlan and its cause")
			}
		})
	}
}
