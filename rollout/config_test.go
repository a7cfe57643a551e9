package rollout_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/varroute/varroute/rollout"
	"github.com/varroute/varroute/strategy"
)

// TestConfigValidation: every controller refuses each bad field, one per
// case, with an error that matches rollout.ErrConfig, starts with
// "rollout: " and names the field's path.
func TestConfigValidation(t *testing.T) {
	target := strategy.Targets{}
	ro := func(f func(*rollout.RolloutConfig)) func() error {
		return func() error {
			cfg := rollout.RolloutConfig{Target: target, Baseline: "v1", Candidate: "v2", Logger: quiet}
			f(&cfg)
			_, err := rollout.NewRollout(cfg)
			return err
		}
	}
	rl := func(f func(*rollout.RollingConfig)) func() error {
		return func() error {
			cfg := rollout.RollingConfig{Target: target, Old: "v1", New: "v2", Logger: quiet}
			f(&cfg)
			_, err := rollout.NewRolling(cfg)
			return err
		}
	}
	bg := func(f func(*rollout.BlueGreenConfig)) func() error {
		return func() error {
			cfg := rollout.BlueGreenConfig{Target: target, Live: "blue", Standby: "green", Logger: quiet}
			f(&cfg)
			_, err := rollout.NewBlueGreen(cfg)
			return err
		}
	}
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		new  func() error
		want string // the whole message, or its start if it ends with "..."
		plan bool   // the error also matches strategy.ErrInvalidPlan
	}{
		// RolloutConfig
		{"rollout target", ro(func(c *rollout.RolloutConfig) { c.Target = nil }),
			"rollout: RolloutConfig.Target is nil, want a target (a router, say)", false},
		{"rollout baseline", ro(func(c *rollout.RolloutConfig) { c.Baseline = "" }),
			"rollout: RolloutConfig.Baseline is empty, want a variant", false},
		{"rollout candidate", ro(func(c *rollout.RolloutConfig) { c.Candidate = "" }),
			"rollout: RolloutConfig.Candidate is empty, want a variant", false},
		{"rollout same variants", ro(func(c *rollout.RolloutConfig) { c.Candidate = "v1" }),
			`rollout: RolloutConfig.Candidate is "v1" like Baseline, want another variant`, false},
		{"rollout empty steps", ro(func(c *rollout.RolloutConfig) { c.Steps = []float64{} }),
			"rollout: RolloutConfig.Steps is empty, ...", false},
		{"rollout step zero", ro(func(c *rollout.RolloutConfig) { c.Steps = []float64{0, 50} }),
			"rollout: RolloutConfig.Steps[0] is 0, want a percentage in (0, 100]", false},
		{"rollout step above 100", ro(func(c *rollout.RolloutConfig) { c.Steps = []float64{50, 150} }),
			"rollout: RolloutConfig.Steps[1] is 150, want a percentage in (0, 100]", false},
		{"rollout step NaN", ro(func(c *rollout.RolloutConfig) { c.Steps = []float64{10, nan} }),
			"rollout: RolloutConfig.Steps[1] is NaN, want a percentage in (0, 100]", false},
		{"rollout steps descend", ro(func(c *rollout.RolloutConfig) { c.Steps = []float64{10, 50, 25} }),
			"rollout: RolloutConfig.Steps[2] is 25, want more than Steps[1] (50): steps ascend", false},
		{"rollout steps repeat", ro(func(c *rollout.RolloutConfig) { c.Steps = []float64{10, 10} }),
			"rollout: RolloutConfig.Steps[1] is 10, want more than Steps[0] (10): steps ascend", false},
		{"rollout min duration", ro(func(c *rollout.RolloutConfig) { c.MinDuration = -time.Second }),
			"rollout: RolloutConfig.MinDuration is -1s, want >= 0", false},
		{"rollout min samples", ro(func(c *rollout.RolloutConfig) { c.MinSamples = -1 }),
			"rollout: RolloutConfig.MinSamples is -1, want >= 0 (0 means 100)", false},
		{"rollout alpha percent", ro(func(c *rollout.RolloutConfig) { c.Alpha = 5 }),
			"rollout: RolloutConfig.Alpha is 5, want a value in (0, 1) (5% is 0.05)", false},
		{"rollout alpha 1", ro(func(c *rollout.RolloutConfig) { c.Alpha = 1 }),
			"rollout: RolloutConfig.Alpha is 1, want a value in (0, 1)", false},
		{"rollout alpha negative", ro(func(c *rollout.RolloutConfig) { c.Alpha = -0.05 }),
			"rollout: RolloutConfig.Alpha is -0.05, want a value in (0, 1)", false},
		{"rollout alpha NaN", ro(func(c *rollout.RolloutConfig) { c.Alpha = nan }),
			"rollout: RolloutConfig.Alpha is NaN, want a value in (0, 1)", false},
		{"rollout plan", ro(func(c *rollout.RolloutConfig) {
			c.Plan = strategy.Plan{Name: "p", Default: strategy.Split{{Variant: "v1", Weight: 100}}, Rules: []strategy.Rule{{Audience: "nobody"}}}
		}), "rollout: RolloutConfig.Plan at ...", true},

		// Guardrails
		{"error effect percent", ro(func(c *rollout.RolloutConfig) { c.Guardrails.ErrorEffect = 2 }),
			"rollout: RolloutConfig.Guardrails.ErrorEffect is 2, want a difference of error rates in (0, 1] (2% is 0.02)", false},
		{"error effect negative", ro(func(c *rollout.RolloutConfig) { c.Guardrails.ErrorEffect = -0.02 }),
			"rollout: RolloutConfig.Guardrails.ErrorEffect is -0.02, want a difference of error rates in (0, 1]", false},
		{"error effect NaN", ro(func(c *rollout.RolloutConfig) { c.Guardrails.ErrorEffect = nan }),
			"rollout: RolloutConfig.Guardrails.ErrorEffect is NaN, want a fraction in (0, 1]", false},
		{"max error rate percent", ro(func(c *rollout.RolloutConfig) { c.Guardrails.MaxErrorRate = 5 }),
			"rollout: RolloutConfig.Guardrails.MaxErrorRate is 5, want a fraction in [0, 1] (5% is 0.05)", false},
		{"max error rate negative", ro(func(c *rollout.RolloutConfig) { c.Guardrails.MaxErrorRate = -0.1 }),
			"rollout: RolloutConfig.Guardrails.MaxErrorRate is -0.1, want a fraction in [0, 1]", false},
		{"max error rate NaN", ro(func(c *rollout.RolloutConfig) { c.Guardrails.MaxErrorRate = nan }),
			"rollout: RolloutConfig.Guardrails.MaxErrorRate is NaN, want a fraction in [0, 1]", false},
		{"latency effect negative", ro(func(c *rollout.RolloutConfig) { c.Guardrails.LatencyEffect = -0.2 }),
			"rollout: RolloutConfig.Guardrails.LatencyEffect is -0.2, want a finite value > 0", false},
		{"latency effect Inf", ro(func(c *rollout.RolloutConfig) { c.Guardrails.LatencyEffect = inf }),
			"rollout: RolloutConfig.Guardrails.LatencyEffect is +Inf, want a finite value > 0", false},
		{"latency ratio below 1", ro(func(c *rollout.RolloutConfig) { c.Guardrails.MaxLatencyRatio = 0.1 }),
			"rollout: RolloutConfig.Guardrails.MaxLatencyRatio is 0.1, want a ratio >= 1 (1.1 tolerates a 10% slowdown)", false},
		{"latency ratio NaN", ro(func(c *rollout.RolloutConfig) { c.Guardrails.MaxLatencyRatio = nan }),
			"rollout: RolloutConfig.Guardrails.MaxLatencyRatio is NaN, want a ratio >= 1", false},
		{"metric name", ro(func(c *rollout.RolloutConfig) {
			c.Guardrails.Metrics = []rollout.MetricGuardrail{{Name: "a", Effect: 1}, {Effect: 1}}
		}), "rollout: RolloutConfig.Guardrails.Metrics[1].Name is empty, want the metric's name", false},
		{"metric twice", ro(func(c *rollout.RolloutConfig) {
			c.Guardrails.Metrics = []rollout.MetricGuardrail{{Name: "a", Effect: 1}, {Name: "a", Effect: 2}}
		}), `rollout: RolloutConfig.Guardrails.Metrics[1].Name is "a" like Metrics[0].Name, want each metric once`, false},
		{"metric effect zero", ro(func(c *rollout.RolloutConfig) {
			c.Guardrails.Metrics = []rollout.MetricGuardrail{{Name: "a"}}
		}), "rollout: RolloutConfig.Guardrails.Metrics[0].Effect is 0, want a finite value > 0", false},
		{"metric effect NaN", ro(func(c *rollout.RolloutConfig) {
			c.Guardrails.Metrics = []rollout.MetricGuardrail{{Name: "a", Effect: nan}}
		}), "rollout: RolloutConfig.Guardrails.Metrics[0].Effect is NaN, want a finite value > 0", false},
		{"error margin negative", ro(func(c *rollout.RolloutConfig) { c.Guardrails.ErrorMargin = -0.1 }),
			"rollout: RolloutConfig.Guardrails.ErrorMargin is -0.1, want a relative margin >= 0 (0.2 tolerates 20% more errors)", false},
		{"error margin NaN", ro(func(c *rollout.RolloutConfig) { c.Guardrails.ErrorMargin = nan }),
			"rollout: RolloutConfig.Guardrails.ErrorMargin is NaN, want a relative margin >= 0", false},
		{"error slack percent", ro(func(c *rollout.RolloutConfig) { c.Guardrails.ErrorSlack = 2 }),
			"rollout: RolloutConfig.Guardrails.ErrorSlack is 2, want a fraction in [0, 1] (2% is 0.02)", false},
		{"max unit loss percent", ro(func(c *rollout.RolloutConfig) { c.Guardrails.MaxUnitLoss = 5 }),
			"rollout: RolloutConfig.Guardrails.MaxUnitLoss is 5, want a fraction in (0, 1] (5% is 0.05)", false},
		{"max unit loss negative", ro(func(c *rollout.RolloutConfig) { c.Guardrails.MaxUnitLoss = -0.05 }),
			"rollout: RolloutConfig.Guardrails.MaxUnitLoss is -0.05, want a fraction in (0, 1]", false},
		{"max wait negative", ro(func(c *rollout.RolloutConfig) { c.MaxWait = -time.Second }),
			"rollout: RolloutConfig.MaxWait is -1s, want >= 0", false},
		{"SRM alpha 1", ro(func(c *rollout.RolloutConfig) { c.Guardrails.SRMAlpha = 1 }),
			"rollout: RolloutConfig.Guardrails.SRMAlpha is 1, want a value in (0, 1)", false},
		{"SRM alpha Inf", ro(func(c *rollout.RolloutConfig) { c.Guardrails.SRMAlpha = -inf }),
			"rollout: RolloutConfig.Guardrails.SRMAlpha is -Inf, want a value in (0, 1)", false},

		// RollingConfig and Gate
		{"rolling target", rl(func(c *rollout.RollingConfig) { c.Target = nil }),
			"rollout: RollingConfig.Target is nil, want a target (a router, say)", false},
		{"rolling old", rl(func(c *rollout.RollingConfig) { c.Old = "" }),
			"rollout: RollingConfig.Old is empty, want a variant", false},
		{"rolling new", rl(func(c *rollout.RollingConfig) { c.New = "v1" }),
			`rollout: RollingConfig.New is "v1" like Old, want another variant`, false},
		{"rolling batches negative", rl(func(c *rollout.RollingConfig) { c.Batches = -1 }),
			"rollout: RollingConfig.Batches is -1, want 1 to 100 (0 means 4)", false},
		{"rolling batches above 100", rl(func(c *rollout.RollingConfig) { c.Batches = 101 }),
			"rollout: RollingConfig.Batches is 101, want 1 to 100 (0 means 4)", false},
		{"rolling pause", rl(func(c *rollout.RollingConfig) { c.Pause = -time.Minute }),
			"rollout: RollingConfig.Pause is -1m0s, want >= 0", false},
		{"rolling min samples", rl(func(c *rollout.RollingConfig) { c.MinSamples = -5 }),
			"rollout: RollingConfig.MinSamples is -5, want >= 0 (0 means 100)", false},
		{"gate error rate percent", rl(func(c *rollout.RollingConfig) { c.Gate.MaxErrorRate = 5 }),
			"rollout: RollingConfig.Gate.MaxErrorRate is 5, want a fraction in [0, 1] (5% is 0.05)", false},
		{"gate error rate NaN", rl(func(c *rollout.RollingConfig) { c.Gate.MaxErrorRate = nan }),
			"rollout: RollingConfig.Gate.MaxErrorRate is NaN, want a fraction in [0, 1]", false},
		{"gate error rate Inf", rl(func(c *rollout.RollingConfig) { c.Gate.MaxErrorRate = inf }),
			"rollout: RollingConfig.Gate.MaxErrorRate is +Inf, want a fraction in [0, 1]", false},
		{"gate error rate negative", rl(func(c *rollout.RollingConfig) { c.Gate.MaxErrorRate = -0.05 }),
			"rollout: RollingConfig.Gate.MaxErrorRate is -0.05, want a fraction in [0, 1]", false},
		{"gate max latency", rl(func(c *rollout.RollingConfig) { c.Gate.MaxLatency = -time.Millisecond }),
			"rollout: RollingConfig.Gate.MaxLatency is -1ms, want >= 0", false},
		{"gate quantile 2", rl(func(c *rollout.RollingConfig) { c.Gate.LatencyQuantile = 2 }),
			"rollout: RollingConfig.Gate.LatencyQuantile is 2, want a value in (0, 1) (p2 is 0.02)", false},
		{"gate quantile percentile", rl(func(c *rollout.RollingConfig) { c.Gate.LatencyQuantile = 99 }),
			"rollout: RollingConfig.Gate.LatencyQuantile is 99, want a value in (0, 1) (p99 is 0.99)", false},
		{"gate quantile 1", rl(func(c *rollout.RollingConfig) { c.Gate.LatencyQuantile = 1 }),
			"rollout: RollingConfig.Gate.LatencyQuantile is 1, want a value in (0, 1)", false},
		{"gate quantile negative", rl(func(c *rollout.RollingConfig) { c.Gate.LatencyQuantile = -0.9 }),
			"rollout: RollingConfig.Gate.LatencyQuantile is -0.9, want a value in (0, 1)", false},
		{"gate quantile NaN", rl(func(c *rollout.RollingConfig) { c.Gate.LatencyQuantile = nan }),
			"rollout: RollingConfig.Gate.LatencyQuantile is NaN, want a value in (0, 1)", false},
		{"rolling plan", rl(func(c *rollout.RollingConfig) {
			c.Plan = strategy.Plan{Name: "p", Default: strategy.Split{{Variant: "v1", Weight: 100}}, Rules: []strategy.Rule{{Audience: "nobody"}}}
		}), "rollout: RollingConfig.Plan at ...", true},

		// BlueGreenConfig
		{"bluegreen target", bg(func(c *rollout.BlueGreenConfig) { c.Target = nil }),
			"rollout: BlueGreenConfig.Target is nil, want a target (a router, say)", false},
		{"bluegreen live", bg(func(c *rollout.BlueGreenConfig) { c.Live = "" }),
			"rollout: BlueGreenConfig.Live is empty, want a variant", false},
		{"bluegreen standby", bg(func(c *rollout.BlueGreenConfig) { c.Standby = "blue" }),
			`rollout: BlueGreenConfig.Standby is "blue" like Live, want another variant`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.new()
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, rollout.ErrConfig) {
				t.Errorf("%v does not match rollout.ErrConfig", err)
			}
			if got := errors.Is(err, strategy.ErrInvalidPlan); got != tc.plan {
				t.Errorf("errors.Is(%v, strategy.ErrInvalidPlan) = %v, want %v", err, got, tc.plan)
			}
			if prefix, ok := strings.CutSuffix(tc.want, "..."); ok {
				if !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("error %q, want it to start with %q", err, prefix)
				}
			} else if err.Error() != tc.want {
				t.Errorf("error\n %q, want\n %q", err, tc.want)
			}
		})
	}
}

// TestConfigLimits: the edges of every range are accepted.
func TestConfigLimits(t *testing.T) {
	target := strategy.Targets{}
	tests := []struct {
		name string
		new  func() error
	}{
		{"rollout zero", func() error {
			_, err := rollout.NewRollout(rollout.RolloutConfig{Target: target, Baseline: "v1", Candidate: "v2", Logger: quiet})
			return err
		}},
		{"rollout edges", func() error {
			_, err := rollout.NewRollout(rollout.RolloutConfig{
				Target: target, Baseline: "v1", Candidate: "v2", Logger: quiet,
				Steps: []float64{1e-9, 100}, Alpha: 0.999, MinSamples: 1,
				Guardrails: rollout.Guardrails{
					ErrorEffect: 1, MaxErrorRate: 1, LatencyEffect: 1e-9, MaxLatencyRatio: 1, SRMAlpha: 1e-12,
					ErrorMargin: 1e9, ErrorSlack: 1, MaxUnitLoss: 1,
					Metrics: []rollout.MetricGuardrail{{Name: "a", Effect: 1e-9}, {Name: "b", Effect: 1e9}},
				},
			})
			return err
		}},
		{"rollout one step of 100", func() error {
			_, err := rollout.NewRollout(rollout.RolloutConfig{Target: target, Baseline: "v1", Candidate: "v2", Logger: quiet, Steps: []float64{100}})
			return err
		}},
		{"rolling zero", func() error {
			_, err := rollout.NewRolling(rollout.RollingConfig{Target: target, Old: "v1", New: "v2", Logger: quiet})
			return err
		}},
		{"rolling edges", func() error {
			_, err := rollout.NewRolling(rollout.RollingConfig{Target: target, Old: "v1", New: "v2", Logger: quiet,
				Batches: 100, Gate: rollout.Gate{MaxErrorRate: 1, MaxLatency: time.Nanosecond, LatencyQuantile: 0.999}})
			return err
		}},
		{"rolling one batch", func() error {
			_, err := rollout.NewRolling(rollout.RollingConfig{Target: target, Old: "v1", New: "v2", Logger: quiet, Batches: 1})
			return err
		}},
		{"bluegreen", func() error {
			_, err := rollout.NewBlueGreen(rollout.BlueGreenConfig{Target: target, Live: "blue", Standby: "green", Logger: quiet})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.new(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
