package strategy

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/varroute/varroute/audience"
)

func validPlan() Plan {
	return Plan{
		Name: "checkout",
		Audiences: []audience.Audience{{
			Name:       "california",
			Conditions: audience.Condition{Key: "location", Op: audience.OpEquals, Value: "california"},
		}},
		Rules:     []Rule{{Audience: "california", Split: split("a", 50, "b", 50)}},
		Default:   split("a", 90, "b", 10),
		Fallbacks: map[string]string{"b": "a"},
		Shadows:   []Mirror{{Variant: "c", Percent: 10}},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *Plan)
		path   string // the field path the error must name
		text   string // a fragment of the message
	}{
		{"empty name", func(p *Plan) { p.Name = "" }, "name", "empty plan name"},
		{"weights short", func(p *Plan) { p.Default = split("a", 50, "b", 40) }, "default", "weights sum to 90, want 100"},
		{"weights over", func(p *Plan) { p.Rules[0].Split = split("a", 60, "b", 50) }, "rules[0].split", "weights sum to 110"},
		{"negative weight", func(p *Plan) { p.Default = split("a", 110, "b", -10) }, "default[1].weight", "want >= 0"},
		{"NaN weight", func(p *Plan) { p.Default[1].Weight = math.NaN() }, "default[1].weight", "finite"},
		{"Inf weight", func(p *Plan) { p.Default[0].Weight = math.Inf(1) }, "default[0].weight", "finite"},
		{"duplicate variant", func(p *Plan) { p.Default = split("a", 50, "a", 50) }, "default[1].variant", `duplicate variant "a"`},
		{"empty variant", func(p *Plan) { p.Default[0].Variant = "" }, "default[0].variant", "empty variant"},
		{"empty default", func(p *Plan) { p.Default = nil }, "default", "empty split"},
		{"unknown audience", func(p *Plan) { p.Rules[0].Audience = "texas" }, "rules[0].audience", `unknown audience "texas"`},
		{"empty rule audience", func(p *Plan) { p.Rules[0].Audience = "" }, "rules[0].audience", "empty audience"},
		{"duplicate audience", func(p *Plan) { p.Audiences = append(p.Audiences, p.Audiences[0]) }, "audiences[1].name", "duplicate audience"},
		{"unnamed audience", func(p *Plan) { p.Audiences[0].Name = "" }, "audiences[0].name", "empty audience name"},
		{"bad audience operator", func(p *Plan) { p.Audiences[0].Conditions.Op = "resembles" }, "audiences[0].conditions.op", "resembles"},
		{"duplicate rule", func(p *Plan) { p.Rules = append(p.Rules, p.Rules[0]) }, "rules[1].name", "duplicate rule"},
		{"self fallback", func(p *Plan) { p.Fallbacks["a"] = "a" }, `fallbacks["a"]`, "itself"},
		{"fallback cycle", func(p *Plan) { p.Fallbacks["a"] = "b" }, `fallbacks["a"]`, "cycle"},
		{"empty fallback", func(p *Plan) { p.Fallbacks["b"] = "" }, `fallbacks["b"]`, "empty fallback"},
		{"shadow percent 0", func(p *Plan) { p.Shadows[0].Percent = 0 }, "shadows[0].percent", "want (0, 100]"},
		{"shadow percent NaN", func(p *Plan) { p.Shadows[0].Percent = math.NaN() }, "shadows[0].percent", "want (0, 100]"},
		{"duplicate shadow", func(p *Plan) { p.Shadows = append(p.Shadows, p.Shadows[0]) }, "shadows[1].variant", "duplicate shadow"},
		{"too many shadows", func(p *Plan) {
			for i := range MaxShadows {
				p.Shadows = append(p.Shadows, Mirror{Variant: string(rune('d' + i)), Percent: 1})
			}
		}, "shadows", "at most 8"},
		{"noise floor", func(p *Plan) { p.NoiseFloor = 101 }, "noise_floor", "want [0, 100]"},
	}
	if err := validPlan().Validate(); err != nil {
		t.Fatalf("valid plan: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := validPlan().Clone()
			tc.mutate(&p)
			err := p.Validate()
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Validate = %v, want *Error", err)
			}
			if pe.Path != tc.path {
				t.Errorf("path %q, want %q (error: %v)", pe.Path, tc.path, err)
			}
			if !strings.Contains(err.Error(), tc.text) || !strings.HasPrefix(err.Error(), "strategy: ") {
				t.Errorf("error %q, want it to start with \"strategy: \" and contain %q", err, tc.text)
			}
			if !errors.Is(err, ErrInvalidPlan) {
				t.Errorf("error does not match ErrInvalidPlan")
			}
		})
	}
}

func TestCheckVariants(t *testing.T) {
	p := validPlan()
	known := map[string]bool{"a": true, "b": true, "c": true}
	if err := p.CheckVariants(func(v string) bool { return known[v] }); err != nil {
		t.Fatalf("CheckVariants: %v", err)
	}
	tests := []struct{ missing, path string }{
		{"a", "rules[0].split[0].variant"},
		{"c", "shadows[0].variant"},
	}
	for _, tc := range tests {
		err := p.CheckVariants(func(v string) bool { return known[v] && v != tc.missing })
		var pe *Error
		if !errors.As(err, &pe) || pe.Path != tc.path || !errors.Is(err, ErrUnknownVariant) || !errors.Is(err, ErrInvalidPlan) {
			t.Errorf("without %s: %v, want unknown variant at %s", tc.missing, err, tc.path)
		}
		if !strings.Contains(err.Error(), `unknown variant "`+tc.missing+`"`) {
			t.Errorf("message %q does not name the variant", err)
		}
	}
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name string
		plan Plan
		want string // variant of an ordinary key
	}{
		{"bigbang", BigBang("v2"), "v2"},
		{"canary 0", Canary("v1", "v2", 0), "v1"},
		{"canary 100", Canary("v1", "v2", 100), "v2"},
		{"shadow", Shadow("live", "cand"), "live"},
		{"ab", ABTest("exp", Split{{"a", 100}, {"b", 0}}), "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.plan.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := tc.plan.Default.Majority(); got != tc.want {
				t.Errorf("majority = %s, want %s", got, tc.want)
			}
		})
	}
	if err := Canary("v1", "v2", 120).Validate(); err == nil {
		t.Error("Canary(120) is valid, want an error")
	}
	if c := Canary("v1", "v2", 5); c.Fallbacks["v2"] != "v1" {
		t.Errorf("Canary fallbacks = %v, want v2 -> v1", c.Fallbacks)
	}
}

func TestSplitHelpers(t *testing.T) {
	s := split("a", 30, "b", 30, "c", 40)
	w := s.WithWeight("b", 65)
	if err := w.validate("s"); err != nil || w.Weight("b") != 65 || math.Abs(w.Weight("a")-15) > 1e-9 {
		t.Errorf("WithWeight = %v (%v)", w, err)
	}
	wo := s.Without("b")
	if err := wo.validate("s"); err != nil || len(wo) != 2 || math.Abs(wo.Weight("c")-400.0/7) > 1e-9 {
		t.Errorf("Without = %v (%v)", wo, err)
	}
	if s.Weight("b") != 30 {
		t.Errorf("helpers modified their receiver: %v", s)
	}
	z := Split{{"a", 100}, {"b", 0}}.WithWeight("a", 40)
	if z.Weight("b") != 60 {
		t.Errorf("WithWeight from all-zero others = %v", z)
	}
}

func TestClone(t *testing.T) {
	p := validPlan()
	q := p.Clone()
	q.Default[0].Weight = 1
	q.Fallbacks["x"] = "y"
	q.Rules[0].Split[0].Variant = "z"
	q.Shadows[0].Percent = 99
	q.Audiences[0].Conditions.Value = "texas"
	if p.Default[0].Weight == 1 || p.Fallbacks["x"] == "y" || p.Rules[0].Split[0].Variant == "z" ||
		p.Shadows[0].Percent == 99 || p.Audiences[0].Conditions.Value == "texas" {
		t.Errorf("Clone shares state: %+v", p)
	}
}

func split(pairs ...any) Split {
	var s Split
	for i := 0; i < len(pairs); i += 2 {
		s = append(s, Arm{Variant: pairs[i].(string), Weight: float64(pairs[i+1].(int))})
	}
	return s
}
