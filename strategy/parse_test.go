package strategy

import (
	"errors"
	"strings"
	"testing"
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
	for _, tc := range []struct{ name, data string }{{"yaml", planYAML}, {"json", planJSON}} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePlan([]byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != "checkout-2026" || len(p.Rules) != 1 || p.Default.Weight("model-c") != 10 ||
				p.Fallbacks["model-c"] != "model-a" || p.Shadows[0].Percent != 5 || p.Audiences[0].Name != "california" {
				t.Errorf("parsed %+v", p)
			}
		})
	}
}

func TestParsePlanErrors(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		path       string
		line, col  int
		text       string
		unknownVar bool
	}{
		{"empty", "  \n", "", 0, 0, "empty plan file", false},
		{"weights", strings.Replace(planYAML, "weight: 10\n", "weight: 5\n", 1), "default", 13, 3, "weights sum to 95, want 100", false},
		{"nested weight", strings.Replace(planYAML, "weight: 100}", "weight: -1}", 1), "rules[0].split[0].weight", 11, 36, "want >= 0", false},
		{"unknown audience", strings.Replace(planYAML, "- audience: california", "- audience: texas", 1), "rules[0].audience", 9, 15, `unknown audience "texas"`, false},
		{"unknown field", strings.Replace(planYAML, "shadows:", "shadowz:", 1), "", 0, 0, "field shadowz not found", false},
		{"bad yaml", "name: [", "", 0, 0, "yaml", false},
		{"wrong type", "name: x\ndefault: 3\n", "", 0, 0, "cannot unmarshal", false},
		{"json weights", strings.Replace(planJSON, `"weight": 10}`, `"weight": 11}`, 1), "default", 5, 14, "weights sum to 101", false},
		{"json syntax", `{"name": "x",}`, "", 1, 14, "invalid character", false},
		{"json type", `{"name": 5}`, "name", 1, 11, "cannot use JSON number", false},
		{"json unknown field", `{"name": "x", "defaults": []}`, "", 1, 0, "unknown field", false},
		{"json trailing", `{"name": "x", "default": [{"variant": "a", "weight": 100}]} {}`, "", 0, 0, "data after", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePlan([]byte(tc.data))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("ParsePlan = %v, want *Error", err)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not contain %q", err, tc.text)
			}
			if pe.Path != tc.path {
				t.Errorf("path %q, want %q", pe.Path, tc.path)
			}
			if tc.line != 0 && pe.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", pe.Line, tc.line, err)
			}
			if tc.col != 0 && pe.Column != tc.col {
				t.Errorf("column %d, want %d (%v)", pe.Column, tc.col, err)
			}
			if !errors.Is(err, ErrInvalidPlan) {
				t.Error("error does not match ErrInvalidPlan")
			}
		})
	}
}

func FuzzParsePlan(f *testing.F) {
	f.Add([]byte(planYAML))
	f.Add([]byte(planJSON))
	f.Add([]byte("name: x\ndefault: [{variant: a, weight: 100}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlan(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidPlan) {
				t.Fatalf("error %v does not match ErrInvalidPlan", err)
			}
			return
		}
		// What parses is valid.
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed plan does not validate: %v", err)
		}
	})
}
