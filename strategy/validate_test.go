package strategy_test

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/strategy"
)

func validPlan() strategy.Plan {
	return strategy.Plan{
		Name: "checkout",
		Audiences: []audience.Audience{{
			Name:       "california",
			Conditions: audience.Condition{Key: "location", Op: audience.OpEquals, Value: "california"},
		}},
		Rules:     []strategy.Rule{{Audience: "california", Split: split("a", 50, "b", 50)}},
		Default:   split("a", 90, "b", 10),
		Fallbacks: map[string]string{"b": "a"},
		Shadows:   []strategy.Mirror{{Variant: "c", Percent: 10}},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *strategy.Plan)
		path   string // the field path the error must name
		text   string // a fragment of the message
	}{
		{"empty name", func(p *strategy.Plan) { p.Name = "" }, "name", "empty plan name"},
		{"weights short", func(p *strategy.Plan) { p.Default = split("a", 50, "b", 40) }, "default", "weights sum to 90, want 100"},
		{"weights over", func(p *strategy.Plan) { p.Rules[0].Split = split("a", 60, "b", 50) }, "rules[0].split", "weights sum to 110"},
		{"negative weight", func(p *strategy.Plan) { p.Default = split("a", 110, "b", -10) }, "default[1].weight", "want >= 0"},
		{"NaN weight", func(p *strategy.Plan) { p.Default[1].Weight = math.NaN() }, "default[1].weight", "finite"},
		{"Inf weight", func(p *strategy.Plan) { p.Default[0].Weight = math.Inf(1) }, "default[0].weight", "finite"},
		{"duplicate variant", func(p *strategy.Plan) { p.Default = split("a", 50, "a", 50) }, "default[1].variant", `duplicate variant "a"`},
		{"empty variant", func(p *strategy.Plan) { p.Default[0].Variant = "" }, "default[0].variant", "empty variant"},
		{"empty default", func(p *strategy.Plan) { p.Default = nil }, "default", "empty split"},
		{"unknown audience", func(p *strategy.Plan) { p.Rules[0].Audience = "texas" }, "rules[0].audience", `unknown audience "texas"`},
		{"empty rule audience", func(p *strategy.Plan) { p.Rules[0].Audience = "" }, "rules[0].audience", "empty audience"},
		{"duplicate audience", func(p *strategy.Plan) { p.Audiences = append(p.Audiences, p.Audiences[0]) }, "audiences[1].name", "duplicate audience"},
		{"unnamed audience", func(p *strategy.Plan) { p.Audiences[0].Name = "" }, "audiences[0].name", "empty audience name"},
		{"bad audience operator", func(p *strategy.Plan) { p.Audiences[0].Conditions.Op = "resembles" }, "audiences[0].conditions.op", "resembles"},
		{"duplicate rule", func(p *strategy.Plan) { p.Rules = append(p.Rules, p.Rules[0]) }, "rules[1].name", "duplicate rule"},
		{"self fallback", func(p *strategy.Plan) { p.Fallbacks["a"] = "a" }, `fallbacks["a"]`, "itself"},
		{"fallback cycle", func(p *strategy.Plan) { p.Fallbacks["a"] = "b" }, `fallbacks["a"]`, "cycle"},
		{"empty fallback", func(p *strategy.Plan) { p.Fallbacks["b"] = "" }, `fallbacks["b"]`, "empty fallback"},
		{"shadow percent 0", func(p *strategy.Plan) { p.Shadows[0].Percent = 0 }, "shadows[0].percent", "want (0, 100]"},
		{"shadow percent NaN", func(p *strategy.Plan) { p.Shadows[0].Percent = math.NaN() }, "shadows[0].percent", "want (0, 100]"},
		{"duplicate shadow", func(p *strategy.Plan) { p.Shadows = append(p.Shadows, p.Shadows[0]) }, "shadows[1].variant", "duplicate shadow"},
		{"too many shadows", func(p *strategy.Plan) {
			for i := range strategy.MaxShadows {
				p.Shadows = append(p.Shadows, strategy.Mirror{Variant: string(rune('d' + i)), Percent: 1})
			}
		}, "shadows", "at most 8"},
		{"noise floor", func(p *strategy.Plan) { p.NoiseFloor = 101 }, "noise_floor", "want [0, 100]"},
		{"shadow serves the default", func(p *strategy.Plan) { p.Shadows[0].Variant = "a" }, "shadows[0].variant", `shadow "a" also serves units (default[0] has weight 90)`},
		{"shadow serves a rule", func(p *strategy.Plan) {
			p.Default = split("a", 100, "c", 0)
			p.Rules[0].Split = split("a", 50, "c", 50)
		}, "shadows[0].variant", "(rules[0].split[1] has weight 50), whose mirrored calls would compare it with itself; to measure that, set noise_floor instead"},
		{"duplicate variant in a large split", func(p *strategy.Plan) {
			p.Default = evenSplit(1000)
			p.Default[999].Variant = "v17"
		}, "default[999].variant", `duplicate variant "v17"`},
		{"long fallback cycle", func(p *strategy.Plan) {
			p.Fallbacks = chain(4000)
			p.Fallbacks["v0000"] = "v3999"
		}, `fallbacks["v0000"]`, "fallback cycle [v0000 v3999 v3998 v3997 v3996 v3995 v3994 v3993] ... (3985 variants) ... [v0007 v0006 v0005 v0004 v0003 v0002 v0001 v0000]"},
	}
	if err := validPlan().Validate(); err != nil {
		t.Fatalf("valid plan: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := validPlan().Clone()
			tc.mutate(&p)
			err := p.Validate()
			var pe *strategy.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Validate = %v, want *Error", err)
			}
			if pe.Path != tc.path {
				t.Errorf("path %q, want %q (error: %v)", pe.Path, tc.path, err)
			}
			if !strings.Contains(err.Error(), tc.text) || !strings.HasPrefix(err.Error(), "strategy: ") {
				t.Errorf("error %q, want it to start with \"strategy: \" and contain %q", err, tc.text)
			}
			if !errors.Is(err, strategy.ErrInvalidPlan) {
				t.Errorf("error does not match ErrInvalidPlan")
			}
		})
	}
}

// TestShadowAtZeroWeight checks that a variant held at weight 0 in every
// split (a candidate not yet serving) may be a shadow, and so may a
// fallback.
func TestShadowAtZeroWeight(t *testing.T) {
	p := strategy.Plan{
		Name:      "p",
		Default:   split("a", 100, "b", 0),
		Fallbacks: map[string]string{"a": "b"},
		Shadows:   []strategy.Mirror{{Variant: "b", Percent: 100}},
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestValidateLinear checks that validation takes linear time in long
// fallback chains (4,000 links took 50 s when each was walked from every
// key) and large splits: 20,000 links and a split of MaxArms variants validate
// in well under a second.
func TestValidateLinear(t *testing.T) {
	p := strategy.Plan{Name: "p", Default: evenSplit(strategy.MaxArms), Fallbacks: chain(20000)}
	start := time.Now()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Validate took %v", d)
	}
}

// chain returns fallbacks v(n-1) -> ... -> v1 -> v0.
func chain(n int) map[string]string {
	m := make(map[string]string, n)
	for i := 1; i < n; i++ {
		m[fmt.Sprintf("v%04d", i)] = fmt.Sprintf("v%04d", i-1)
	}
	return m
}

// evenSplit returns a split of n variants v0 ... v(n-1) of equal weight.
func evenSplit(n int) strategy.Split {
	names := make([]string, n)
	for i := range names {
		names[i] = "v" + strconv.Itoa(i)
	}
	return strategy.Even(names...)
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
		var pe *strategy.Error
		if !errors.As(err, &pe) || pe.Path != tc.path || !errors.Is(err, strategy.ErrUnknownVariant) || !errors.Is(err, strategy.ErrInvalidPlan) {
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
		plan strategy.Plan
		want string // variant of an ordinary key
	}{
		{"bigbang", strategy.BigBang("v2"), "v2"},
		{"canary 0", strategy.Canary("v1", "v2", 0), "v1"},
		{"canary 100", strategy.Canary("v1", "v2", 100), "v2"},
		{"shadow", strategy.Shadow("live", "cand"), "live"},
		{"ab", strategy.ABTest("exp", strategy.Split{{"a", 100}, {"b", 0}}), "a"},
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
	if err := strategy.Canary("v1", "v2", 120).Validate(); err == nil {
		t.Error("Canary(120) is valid, want an error")
	}
	if c := strategy.Canary("v1", "v2", 5); c.Fallbacks["v2"] != "v1" {
		t.Errorf("Canary fallbacks = %v, want v2 -> v1", c.Fallbacks)
	}
}

func TestSplitHelpers(t *testing.T) {
	s := split("a", 30, "b", 30, "c", 40)
	w := s.WithWeight("b", 65)
	if err := strategy.ABTest("s", w).Validate(); err != nil || w.Weight("b") != 65 || math.Abs(w.Weight("a")-15) > 1e-9 {
		t.Errorf("WithWeight = %v (%v)", w, err)
	}
	wo := s.Without("b")
	if err := strategy.ABTest("s", wo).Validate(); err != nil || len(wo) != 2 || math.Abs(wo.Weight("c")-400.0/7) > 1e-9 {
		t.Errorf("Without = %v (%v)", wo, err)
	}
	if s.Weight("b") != 30 {
		t.Errorf("helpers modified their receiver: %v", s)
	}
	z := strategy.Split{{"a", 100}, {"b", 0}}.WithWeight("a", 40)
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

func split(pairs ...any) strategy.Split {
	var s strategy.Split
	for i := 0; i < len(pairs); i += 2 {
		s = append(s, strategy.Arm{Variant: pairs[i].(string), Weight: float64(pairs[i+1].(int))})
	}
	return s
}

func TestPlanLimits(t *testing.T) {
	p := validPlan()
	for range strategy.MaxRules {
		p.Rules = append(p.Rules, p.Rules[0])
	}
	for i := range p.Rules {
		p.Rules[i].Name = "r" + strconv.Itoa(i)
	}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "MaxRules (1000)") {
		t.Errorf("%d rules: %v, want the MaxRules error", len(p.Rules), err)
	}
	q := validPlan()
	q.Default = nil
	for i := range strategy.MaxArms + 1 {
		q.Default = append(q.Default, strategy.Arm{Variant: "v" + strconv.Itoa(i), Weight: 100.0 / float64(strategy.MaxArms+1)})
	}
	var pe *strategy.Error
	if err := q.Validate(); !errors.As(err, &pe) || pe.Path != "default" || !strings.Contains(err.Error(), "MaxArms (10000)") {
		t.Errorf("%d arms: %v, want the MaxArms error at default", len(q.Default), err)
	}
}

func TestRuleCostLimits(t *testing.T) {
	regex := audience.Audience{Name: "re", Conditions: audience.Condition{Key: "ua", Op: audience.OpMatches, Value: "bot"}}
	p := strategy.Plan{Name: "p", Default: split("a", 100), Audiences: []audience.Audience{regex}}
	for i := range strategy.MaxRuleRegexes + 1 {
		p.Rules = append(p.Rules, strategy.Rule{Name: fmt.Sprint("r", i), Audience: "re", Split: split("a", 100)})
	}
	var pe *strategy.Error
	if err := p.Validate(); !errors.As(err, &pe) || pe.Path != fmt.Sprintf("rules[%d].audience", strategy.MaxRuleRegexes) || !strings.Contains(err.Error(), "MaxRuleRegexes (8)") {
		t.Errorf("%d regex rules: %v", len(p.Rules), err)
	}
	p.Rules = p.Rules[:strategy.MaxRuleRegexes]
	if err := p.Validate(); err != nil {
		t.Errorf("%d regex rules: %v", len(p.Rules), err)
	}
	wide := audience.Audience{Name: "wide", Conditions: audience.Condition{Any: make([]audience.Condition, 99)}}
	for i := range wide.Conditions.Any {
		wide.Conditions.Any[i] = audience.Condition{Key: "country", Op: audience.OpEquals, Value: fmt.Sprint("c", i)}
	}
	q := strategy.Plan{Name: "q", Default: split("a", 100), Audiences: []audience.Audience{wide}}
	for i := range strategy.MaxRuleConditions/100 + 1 {
		q.Rules = append(q.Rules, strategy.Rule{Name: fmt.Sprint("r", i), Audience: "wide", Split: split("a", 100)})
	}
	if err := q.Validate(); err == nil || !strings.Contains(err.Error(), "MaxRuleConditions (1024)") {
		t.Errorf("%d rules of 100 conditions: %v", len(q.Rules), err)
	}
}
