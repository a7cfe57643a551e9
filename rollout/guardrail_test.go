package rollout_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/varroute/varroute/rollout"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// harness feeds a Rollout hand-made outcomes, minute by minute, without a
// router: each request is a new unit, errors are spread evenly.
type harness struct {
	t     *testing.T
	clock *fakeClock
	ro    *rollout.Rollout
	unit  uint64
	ctx   context.Context
}

func newHarness(t *testing.T, cfg rollout.RolloutConfig) *harness {
	t.Helper()
	h := &harness{t: t, clock: newFakeClock(), ctx: t.Context()}
	cfg.Target, cfg.Baseline, cfg.Candidate = strategy.Targets{}, "v1", "v2"
	cfg.Now, cfg.Logger = h.clock.Now, quiet
	ro, err := rollout.NewRollout(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.ro = ro
	if err := ro.Step(h.ctx); err != nil {
		t.Fatal(err)
	}
	return h
}

// minute sends n requests of variant v with errs errors, then (if step)
// advances the clock a minute and steps.
func (h *harness) send(v string, n, errs int, lat time.Duration) {
	st := h.ro.Status()
	d := router.Decision{Plan: h.ro.PlanName(), Revision: router.Revision(strategy.Canary("v1", "v2", st.Percent)), Variant: v, Reason: router.ReasonDefault}
	for i := range n {
		h.unit++
		o := router.Outcome{Decision: d, Served: v, Latency: lat, UnitHash: h.unit * 0x9e3779b97f4a7c15}
		if errs > 0 && i%(n/errs) == 0 && i/(n/errs) < errs {
			o.Failure = errModel
		}
		h.ro.Observe(h.ctx, o)
	}
}

func (h *harness) step() rollout.Status {
	h.clock.Advance(time.Minute)
	if err := h.ro.Step(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	return h.ro.Status()
}

// traffic is one minute of a step: requests and errors per variant, for a
// step's share.
type traffic func(pct float64) (nb, eb, nc, ec int)

func (h *harness) run(minutes int, tr traffic) rollout.Status {
	st := h.ro.Status()
	for range minutes {
		nb, eb, nc, ec := tr(st.Percent)
		h.send("v1", nb, eb, 20*ms)
		h.send("v2", nc, ec, 20*ms)
		st = h.step()
		if st.State != rollout.StateRunning {
			break
		}
	}
	return st
}

// rates returns traffic of n requests a minute split by the step's share,
// with the given error rates (fractions of an error carried to the next
// minute).
func rates(n int, base, cand float64) traffic {
	var carry [2]float64
	errs := func(a, n int, rate float64) int {
		carry[a] += float64(n) * rate
		e := int(carry[a])
		carry[a] -= float64(e)
		return e
	}
	return func(pct float64) (int, int, int, int) {
		nc := int(float64(n)*pct/100 + 0.5)
		nb := n - nc
		return nb, errs(0, nb, base), nc, errs(1, nc, cand)
	}
}

func TestGuardrailVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      rollout.RolloutConfig
		minutes  int
		traffic  traffic
		want     rollout.State
		wantStep int
		reason   string
	}{
		{name: "no verdict during the burn-in, even for a broken candidate", minutes: 44, traffic: rates(2000, 0.01, 1),
			want: rollout.StateRunning, reason: "gets 1%"},
		{name: "a broken candidate is rolled back once the burn-in is over", minutes: 60, traffic: rates(2000, 0.01, 1),
			want: rollout.StateRolledBack, reason: "error rate"},
		{name: "the error ceiling rolls back on a lower bound, not on the raw rate", minutes: 120, traffic: rates(2000, 0.2, 0.2),
			cfg:  rollout.RolloutConfig{Guardrails: rollout.Guardrails{MaxErrorRate: 0.03, NoLatency: true}},
			want: rollout.StateRolledBack, reason: "error rate ceiling"},
		{name: "a rate just below the ceiling is not rolled back", minutes: 600, traffic: rates(1000, 0.029, 0.029),
			cfg:  rollout.RolloutConfig{Guardrails: rollout.Guardrails{MaxErrorRate: 0.03, NoLatency: true}},
			want: rollout.StatePromoted},
		{name: "a much better candidate is promoted early, skipping steps", minutes: 240, traffic: rates(2000, 0.05, 0),
			cfg:  rollout.RolloutConfig{Guardrails: rollout.Guardrails{NoSRM: true}},
			want: rollout.StatePromoted, reason: "early success"},
		{name: "an equal candidate advances step by step", minutes: 600, traffic: rates(2000, 0.01, 0.01),
			cfg:  rollout.RolloutConfig{Guardrails: rollout.Guardrails{NoSRM: true}},
			want: rollout.StatePromoted, wantStep: 4, reason: "promoted to 100%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg)
			st := h.run(tc.minutes, tc.traffic)
			if st.State != tc.want || !strings.Contains(st.Reason, tc.reason) {
				t.Fatalf("%v at step %d: %s (holding: %s); want %v with %q", st.State, st.Step, st.Reason, st.Figures.Holding, tc.want, tc.reason)
			}
			if tc.wantStep != 0 && st.Step != tc.wantStep {
				t.Fatalf("step %d, want %d: %s", st.Step, tc.wantStep, st.Reason)
			}
		})
	}
}

// TestGuardrailHolds checks that a step without the evidence it needs holds,
// says why, and estimates the traffic it still needs.
func TestGuardrailHolds(t *testing.T) {
	h := newHarness(t, rollout.RolloutConfig{Guardrails: rollout.Guardrails{NoSRM: true}})
	st := h.run(55, rates(500, 0.01, 0.01))
	f := st.Figures
	if st.State != rollout.StateRunning || st.Step != 0 {
		t.Fatalf("%v at step %d, want running at step 0: %s", st.State, st.Step, st.Reason)
	}
	if !strings.Contains(f.Holding, "errors: upper bound") || f.Needed <= 0 {
		t.Fatalf("holding %q, needed %d; want the error bound and a positive need", f.Holding, f.Needed)
	}
	if len(f.Checks) == 0 || !f.Checks[0].Ready || f.Checks[0].Upper <= f.Checks[0].Margin || f.Next != 5 {
		t.Fatalf("checks %+v (next %g)", f.Checks, f.Next)
	}
}

// TestGuardrailUnitSRM checks the split of units: a candidate that gets too
// few units halts the rollout as broken instrumentation; its requests alone
// (one unit sending many) do not.
func TestGuardrailUnitSRM(t *testing.T) {
	t.Run("units missing", func(t *testing.T) {
		h := newHarness(t, rollout.RolloutConfig{Steps: []float64{50, 100}})
		st := h.run(120, rates(1000, 0.01, 0.01))
		if st.State == rollout.StatePaused {
			t.Fatalf("halted on a correct split: %s", st.Reason)
		}
		h = newHarness(t, rollout.RolloutConfig{Steps: []float64{50, 100}})
		st = h.run(120, func(float64) (int, int, int, int) { return 500, 5, 450, 5 })
		if st.State != rollout.StatePaused || !strings.Contains(st.Reason, "sample ratio mismatch") || !strings.Contains(st.Reason, "units") {
			t.Fatalf("%v: %s; want halted on the units' split", st.State, st.Reason)
		}
	})
	t.Run("heavy user", func(t *testing.T) {
		h := newHarness(t, rollout.RolloutConfig{Steps: []float64{50, 100}, Guardrails: rollout.Guardrails{NoLatency: true}})
		ctx := t.Context()
		for range 120 {
			h.send("v1", 500, 5, 20*ms)
			h.send("v2", 500, 5, 20*ms)
			// One sticky candidate unit sends 300 requests a minute.
			d := router.Decision{Plan: h.ro.PlanName(), Revision: router.Revision(strategy.Canary("v1", "v2", 50)), Variant: "v2"}
			for range 300 {
				h.ro.Observe(ctx, router.Outcome{Decision: d, Served: "v2", Latency: 20 * ms, UnitHash: 42})
			}
			if st := h.step(); st.State == rollout.StatePaused {
				t.Fatalf("halted by a heavy user: %s", st.Reason)
			}
		}
	})
}

// TestRolloutBreakerOpens checks issue 18's case through a real router: the
// candidate of a canary (which has the baseline as fallback, hence a
// default breaker) fails, its breaker opens, the requests it no longer gets
// fail over with router.ErrCircuitOpen, which count as its errors, and the
// rollout rolls it back.
func TestRolloutBreakerOpens(t *testing.T) {
	models := map[string]model{"v1": stable, "v2": {errRate: 1, median: 20 * ms, sigma: 0.3}}
	r := newRouter(t, models)
	clock := newFakeClock()
	ro, err := rollout.NewRollout(rollout.RolloutConfig{Target: r, Baseline: "v1", Candidate: "v2", Now: clock.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	open, failed := 0, 0
	s := &sim{clock: clock, rng: newRand(5), models: models, perTick: 400, tick: time.Minute, serve: routerServe(r)}
	s.observe = func(o router.Outcome) {
		if o.Decision.Variant == "v2" {
			if errors.Is(o.Failure, router.ErrCircuitOpen) {
				open++
			}
			if o.Err != nil {
				failed++
			}
		}
		ro.Observe(context.Background(), o)
	}
	s.run(t, ro, 120)
	st := ro.Status()
	if st.State != rollout.StateRolledBack || r.Plan().Default.Weight("v2") != 0 {
		t.Fatalf("%v, router at %g%%: %s; want rolled back", st.State, r.Plan().Default.Weight("v2"), st.Reason)
	}
	if open == 0 || failed != 0 {
		t.Fatalf("%d circuit-open outcomes, %d failed requests; want some open and every request served by the fallback", open, failed)
	}
	t.Logf("%d circuit-open outcomes; %s", open, st.Reason)
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x7e57)) }
