package router

import (
	"math"
	"testing"

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

func TestConstructorDecisions(t *testing.T) {
	tests := []struct {
		name string
		plan strategy.Plan
		want string // variant of an ordinary key
	}{
		{"bigbang", strategy.BigBang("v2"), "v2"},
		{"canary 0", strategy.Canary("v1", "v2", 0), "v1"},
		{"canary 100", strategy.Canary("v1", "v2", 100), "v2"},
		{"shadow", strategy.Shadow("live", "cand"), "live"},
		{"ab", strategy.ABTest("exp", strategy.Split{{Variant: "a", Weight: 100}, {Variant: "b", Weight: 0}}), "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustCompile(t, tc.plan).Decide("someone", nil).Variant; got != tc.want {
				t.Errorf("Decide = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRuleOrderAndReasons(t *testing.T) {
	p := validPlan()
	p.Audiences = append(p.Audiences, audience.Audience{Name: "everyone"})
	p.Rules = append(p.Rules, strategy.Rule{Name: "catch-all", Audience: "everyone", Split: split("b", 100)})
	c := mustCompile(t, p)
	ca := audience.Attributes{audience.String("location", "california")}
	if d := c.Decide("u1", ca); d.Rule != "california" || d.Reason != ReasonRule || d.Plan != "checkout" {
		t.Errorf("california: %+v", d)
	}
	if d := c.Decide("u1", nil); d.Rule != "catch-all" || d.Variant != "b" {
		t.Errorf("catch-all: %+v", d)
	}
}

func TestDecideAllocs(t *testing.T) {
	c := mustCompile(t, validPlan())
	n := testing.AllocsPerRun(100, func() {
		_ = c.Decide("user-42", audience.Attributes{audience.String("location", "nevada"), audience.Int("age", 30)})
	})
	if n != 0 {
		t.Errorf("Decide: %v allocs, want 0", n)
	}
}

func TestPreview(t *testing.T) {
	m, err := Preview(strategy.Canary("v1", "v2", 10), strategy.Canary("v1", "v2", 25), SampleUnits(100_000))
	if err != nil {
		t.Fatal(err)
	}
	if m.Units != 100_000 || len(m.Moves) != 1 || m.Moves[0].From != "v1" || m.Moves[0].To != "v2" {
		t.Fatalf("Preview = %+v, want moves only v1 -> v2", m)
	}
	if s := m.Share(); math.Abs(s-0.15) > 0.005 {
		t.Errorf("Share = %.4f, want about 0.15", s)
	}
	if _, err := Preview(strategy.Plan{}, strategy.BigBang("x"), SampleUnits(1)); err == nil {
		t.Error("Preview with an invalid plan: no error")
	}
	if (Movement{}).Share() != 0 {
		t.Error("empty Movement share != 0")
	}
}
