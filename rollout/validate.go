package rollout

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// ErrConfig is matched (errors.Is) by every error NewRollout, NewRolling and
// NewBlueGreen return for a bad configuration. The error's text starts with
// "rollout: " and the field's path, such as
//
//	rollout: RollingConfig.Gate.MaxErrorRate is 5, want a fraction in [0, 1] (5% is 0.05)
var ErrConfig = errors.New("rollout: invalid configuration")

// configError is a bad configuration: its text names the field; it matches
// ErrConfig and, if set, its cause.
type configError struct {
	msg   string
	cause error
}

func (e *configError) Error() string { return e.msg }

func (e *configError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrConfig}
	}
	return []error{ErrConfig, e.cause}
}

// badField returns the error for the field at path: "rollout: ", the path,
// then what follows.
func badField(path, format string, args ...any) error {
	return &configError{msg: "rollout: " + path + " " + fmt.Sprintf(format, args...)}
}

// finite refuses NaN and ±Inf, which every comparison below would let
// through or misjudge.
func finite(path string, v float64, want string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return badField(path, "is %v, want %s", v, want)
	}
	return nil
}

// percentHint returns " (5% is 0.05)" for a v that looks like a percentage
// given where a fraction is wanted, and "" otherwise.
func percentHint(v float64) string {
	if v > 1 && v <= 100 {
		return fmt.Sprintf(" (%g%% is %g)", v, v/100)
	}
	return ""
}

// checkRate accepts a fraction in [0, 1].
func checkRate(path string, v float64) error {
	const want = "a fraction in [0, 1]"
	if err := finite(path, v, want); err != nil {
		return err
	}
	if v < 0 || v > 1 {
		return badField(path, "is %g, want %s%s", v, want, percentHint(v))
	}
	return nil
}

// checkOpenUnit accepts v in (0, 1), or 0 (the default) if zeroOK.
func checkOpenUnit(path string, v float64, zeroOK bool, hint func(float64) string) error {
	const want = "a value in (0, 1)"
	if err := finite(path, v, want); err != nil {
		return err
	}
	if (v == 0 && zeroOK) || (v > 0 && v < 1) {
		return nil
	}
	return badField(path, "is %g, want %s%s", v, want, hint(v))
}

// quantileHint returns " (p90 is 0.9)" for a quantile given as a
// percentile.
func quantileHint(v float64) string {
	if v > 1 && v < 100 {
		return fmt.Sprintf(" (p%g is %g)", v, v/100)
	}
	return ""
}

// checkPositive accepts a finite v > 0, or 0 (the default) if zeroOK.
func checkPositive(path string, v float64, zeroOK bool) error {
	const want = "a finite value > 0"
	if err := finite(path, v, want); err != nil {
		return err
	}
	if v > 0 || (v == 0 && zeroOK) {
		return nil
	}
	return badField(path, "is %g, want %s", v, want)
}

// checkDuration accepts d >= 0.
func checkDuration(path string, d time.Duration) error {
	if d < 0 {
		return badField(path, "is %v, want >= 0", d)
	}
	return nil
}

// checkVariants accepts two distinct non-empty variant names.
func checkVariants(prefix, aField, a, bField, b string) error {
	switch {
	case a == "":
		return badField(prefix+"."+aField, "is empty, want a variant")
	case b == "":
		return badField(prefix+"."+bField, "is empty, want a variant")
	case a == b:
		return badField(prefix+"."+bField, "is %q like %s, want another variant", b, aField)
	}
	return nil
}

// validate checks every field of a RolloutConfig, its zero values
// included, before defaults are applied.
func (cfg *RolloutConfig) validate() error {
	const p = "RolloutConfig"
	if cfg.Target == nil {
		return badField(p+".Target", "is nil, want a target (a router, say)")
	}
	if err := checkVariants(p, "Baseline", cfg.Baseline, "Candidate", cfg.Candidate); err != nil {
		return err
	}
	if cfg.Steps != nil && len(cfg.Steps) == 0 {
		return badField(p+".Steps", "is empty, want percentages ascending in (0, 100] (nil means 1, 5, 25, 50, 100)")
	}
	for i, s := range cfg.Steps {
		path := p + ".Steps[" + strconv.Itoa(i) + "]"
		if err := finite(path, s, "a percentage in (0, 100]"); err != nil {
			return err
		}
		switch {
		case s <= 0 || s > 100:
			return badField(path, "is %g, want a percentage in (0, 100]", s)
		case i > 0 && s <= cfg.Steps[i-1]:
			return badField(path, "is %g, want more than Steps[%d] (%g): steps ascend", s, i-1, cfg.Steps[i-1])
		}
	}
	if err := checkDuration(p+".MinDuration", cfg.MinDuration); err != nil {
		return err
	}
	if err := checkDuration(p+".MaxWait", cfg.MaxWait); err != nil {
		return err
	}
	if cfg.MinSamples < 0 {
		return badField(p+".MinSamples", "is %d, want >= 0 (0 means 100)", cfg.MinSamples)
	}
	if err := checkOpenUnit(p+".Alpha", cfg.Alpha, true, percentHint); err != nil {
		return err
	}
	return cfg.Guardrails.validate(p + ".Guardrails")
}

// validate checks every field of Guardrails, its zero values included
// (before withDefaults), naming fields under path.
func (g Guardrails) validate(path string) error {
	if err := finite(path+".ErrorEffect", g.ErrorEffect, "a fraction in (0, 1]"); err != nil {
		return err
	}
	if g.ErrorEffect < 0 || g.ErrorEffect > 1 {
		return badField(path+".ErrorEffect", "is %g, want a difference of error rates in (0, 1]%s", g.ErrorEffect, percentHint(g.ErrorEffect))
	}
	if err := checkRate(path+".MaxErrorRate", g.MaxErrorRate); err != nil {
		return err
	}
	if err := checkPositive(path+".LatencyEffect", g.LatencyEffect, true); err != nil {
		return err
	}
	if err := finite(path+".MaxLatencyRatio", g.MaxLatencyRatio, "a ratio >= 1"); err != nil {
		return err
	}
	if g.MaxLatencyRatio != 0 && g.MaxLatencyRatio < 1 {
		return badField(path+".MaxLatencyRatio", "is %g, want a ratio >= 1 (1.1 tolerates a 10%% slowdown)", g.MaxLatencyRatio)
	}
	seen := make(map[string]int, len(g.Metrics))
	for i, m := range g.Metrics {
		mp := path + ".Metrics[" + strconv.Itoa(i) + "]"
		if m.Name == "" {
			return badField(mp+".Name", "is empty, want the metric's name")
		}
		if j, dup := seen[m.Name]; dup {
			return badField(mp+".Name", "is %q like Metrics[%d].Name, want each metric once", m.Name, j)
		}
		seen[m.Name] = i
		if err := checkPositive(mp+".Effect", m.Effect, false); err != nil {
			return err
		}
	}
	if err := finite(path+".ErrorMargin", g.ErrorMargin, "a relative margin >= 0"); err != nil {
		return err
	}
	if g.ErrorMargin < 0 {
		return badField(path+".ErrorMargin", "is %g, want a relative margin >= 0 (0.2 tolerates 20%% more errors)", g.ErrorMargin)
	}
	if err := checkRate(path+".ErrorSlack", g.ErrorSlack); err != nil {
		return err
	}
	if err := finite(path+".MaxUnitLoss", g.MaxUnitLoss, "a fraction in (0, 1]"); err != nil {
		return err
	}
	if g.MaxUnitLoss < 0 || g.MaxUnitLoss > 1 {
		return badField(path+".MaxUnitLoss", "is %g, want a fraction in (0, 1]%s", g.MaxUnitLoss, percentHint(g.MaxUnitLoss))
	}
	return checkOpenUnit(path+".SRMAlpha", g.SRMAlpha, true, percentHint)
}

// validate checks every field of a Gate, its zero values included (before
// withDefaults), naming fields under path.
func (g Gate) validate(path string) error {
	if err := checkRate(path+".MaxErrorRate", g.MaxErrorRate); err != nil {
		return err
	}
	if err := checkDuration(path+".MaxLatency", g.MaxLatency); err != nil {
		return err
	}
	return checkOpenUnit(path+".LatencyQuantile", g.LatencyQuantile, true, quantileHint)
}

// validate checks every field of a RollingConfig, its zero values
// included, before defaults are applied.
func (cfg *RollingConfig) validate() error {
	const p = "RollingConfig"
	if cfg.Target == nil {
		return badField(p+".Target", "is nil, want a target (a router, say)")
	}
	if err := checkVariants(p, "Old", cfg.Old, "New", cfg.New); err != nil {
		return err
	}
	if cfg.Batches < 0 || cfg.Batches > 100 {
		return badField(p+".Batches", "is %d, want 1 to 100 (0 means 4)", cfg.Batches)
	}
	if err := checkDuration(p+".Pause", cfg.Pause); err != nil {
		return err
	}
	if err := checkDuration(p+".MaxWait", cfg.MaxWait); err != nil {
		return err
	}
	if cfg.MinSamples < 0 {
		return badField(p+".MinSamples", "is %d, want >= 0 (0 means 100)", cfg.MinSamples)
	}
	return cfg.Gate.validate(p + ".Gate")
}

// validate checks a BlueGreenConfig's fields.
func (cfg *BlueGreenConfig) validate() error {
	const p = "BlueGreenConfig"
	if cfg.Target == nil {
		return badField(p+".Target", "is nil, want a target (a router, say)")
	}
	return checkVariants(p, "Live", cfg.Live, "Standby", cfg.Standby)
}

// planError wraps an invalid plan (strategy.ErrInvalidPlan) as a bad
// configuration.
func planError(path string, err error) error {
	return &configError{msg: "rollout: " + path + ": " + err.Error(), cause: err}
}
