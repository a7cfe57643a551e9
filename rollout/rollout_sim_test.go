package rollout_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/varroute/varroute/rollout"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// fakeClock is a Clock advanced by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// model describes a simulated variant: its error probability and its
// lognormal latency.
type model struct {
	errRate float64
	median  time.Duration
	sigma   float64
}

var errModel = errors.New("model failed")

// quiet discards the controllers' logs in tests.
var quiet = slog.New(slog.DiscardHandler)

// sim drives synthetic traffic: each request has a fresh unit key, is decided
// by serve (a real router or the current compiled plan), gets a synthetic
// latency from its assigned variant's model, and is observed by the
// controller. After each tick of perTick requests the clock advances by tick
// and the controller steps.
type sim struct {
	clock   *fakeClock
	rng     *rand.Rand
	models  map[string]model
	perTick int
	tick    time.Duration
	seq     int
	// serve decides and serves one request; in is the request's uniform
	// draw, which the models compare with their error rate.
	serve func(key string, in float64) router.Outcome
	// observe receives every outcome (nil: none).
	observe func(router.Outcome)
	// anonymous sends requests without a key.
	anonymous bool
}

func (s *sim) latency(variant string) time.Duration {
	m := s.models[variant]
	if m.median == 0 {
		return 0
	}
	return time.Duration(float64(m.median) * math.Exp(m.sigma*s.rng.NormFloat64()))
}

// runTick sends one tick of traffic.
func (s *sim) runTick() {
	for range s.perTick {
		key := ""
		if !s.anonymous {
			// Keys drawn from the seed: another seed assigns other
			// units, so runs are independent trials.
			key = strconv.FormatUint(s.rng.Uint64(), 36)
		}
		s.seq++
		o := s.serve(key, s.rng.Float64())
		o.Latency = s.latency(o.Decision.Variant)
		if s.observe != nil {
			s.observe(o)
		}
	}
}

// run ticks until the rollout is final or paused, or maxTicks pass, and
// returns the ticks run.
func (s *sim) run(t testing.TB, c interface {
	Step(ctx context.Context) error
	Status() rollout.Status
}, maxTicks int) int {
	t.Helper()
	if err := c.Step(t.Context()); err != nil { // start
		t.Fatal(err)
	}
	for i := 1; i <= maxTicks; i++ {
		s.runTick()
		s.clock.Advance(s.tick)
		if err := c.Step(t.Context()); err != nil {
			t.Fatal(err)
		}
		if st := c.Status().State; st.Final() || st == rollout.StatePaused {
			return i
		}
	}
	return maxTicks
}

// planServe decides by the last plan set on it and simulates the models'
// failures itself, without calling predictors: the fast path of the large
// simulations.
type planServe struct {
	r      *router.Router[struct{}, struct{}]
	plan   strategy.Plan
	models map[string]model
}

func (p *planServe) SetPlan(pl strategy.Plan) error {
	if p.r == nil {
		none := router.PredictorFunc[struct{}, struct{}](func(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil })
		vs := map[string]router.Predictor[struct{}, struct{}]{}
		for name := range p.models {
			vs[name] = none
		}
		r, err := router.New(router.Config[struct{}, struct{}]{Variants: vs, Plan: pl})
		if err != nil {
			return err
		}
		p.r = r
	} else if err := p.r.SetPlan(pl); err != nil {
		return err
	}
	p.plan = pl
	return nil
}

func (p *planServe) serve(key string, in float64) router.Outcome {
	d := p.r.Decide(router.Unit{Key: key})
	o := router.Outcome{Decision: d, Served: d.Variant}
	if in < p.models[d.Variant].errRate {
		o.Failure = errModel
		if fb, ok := p.plan.Fallbacks[d.Variant]; ok {
			o.Served = fb
		} else {
			o.Served, o.Err = "", errModel
		}
	}
	return o
}

// newRouter returns a router with variants v1 and v2 whose predictors fail
// when their input is below the model's error rate.
func newRouter(t testing.TB, models map[string]model) *router.Router[float64, float64] {
	t.Helper()
	vs := map[string]router.Predictor[float64, float64]{}
	for name, m := range models {
		rate := m.errRate
		vs[name] = router.PredictorFunc[float64, float64](func(_ context.Context, in float64) (float64, error) {
			if in < rate {
				return 0, errModel
			}
			return in, nil
		})
	}
	r, err := router.New(router.Config[float64, float64]{Variants: vs, Plan: strategy.BigBang("v1")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

func routerServe(r *router.Router[float64, float64]) func(string, float64) router.Outcome {
	ctx := context.Background()
	return func(key string, in float64) router.Outcome {
		_, o, _ := r.Serve(ctx, router.Unit{Key: key}, in)
		return o
	}
}

type eventLog struct {
	mu     sync.Mutex
	events []rollout.Event
}

func (l *eventLog) add(e rollout.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *eventLog) kinds() []rollout.EventKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ks []rollout.EventKind
	for _, e := range l.events {
		ks = append(ks, e.Kind)
	}
	return ks
}

var (
	stable = model{errRate: 0.01, median: 20 * time.Millisecond, sigma: 0.3}
	ms     = time.Millisecond
)

// TestRolloutSimulations runs a real router through whole rollouts on a fake
// clock: the verdicts the issue asks for.
func TestRolloutSimulations(t *testing.T) {
	type tc struct {
		name      string
		candidate model
		drop      float64 // share of candidate outcomes lost (broken instrumentation)
		anonymous bool
		minDur    time.Duration
		maxTicks  int
		want      rollout.State
		wantKinds []rollout.EventKind
		wantStep  int
	}
	steps := []rollout.EventKind{rollout.EventStarted, rollout.EventAdvanced, rollout.EventAdvanced, rollout.EventAdvanced, rollout.EventPromoted}
	cases := []tc{
		{name: "healthy candidate is promoted through every step", candidate: stable, minDur: 30 * time.Minute, maxTicks: 400,
			want: rollout.StatePromoted, wantKinds: steps, wantStep: 4},
		{name: "5% errors against 1% is rolled back at the first step", candidate: model{errRate: 0.05, median: 20 * ms, sigma: 0.3}, minDur: 3 * time.Hour, maxTicks: 400,
			want: rollout.StateRolledBack, wantKinds: []rollout.EventKind{rollout.EventStarted, rollout.EventRolledBack}},
		{name: "30% slower is rolled back", candidate: model{errRate: 0.01, median: 26 * ms, sigma: 0.3}, minDur: 30 * time.Minute, maxTicks: 400,
			want: rollout.StateRolledBack, wantKinds: []rollout.EventKind{rollout.EventStarted, rollout.EventRolledBack}},
		{name: "no keyed traffic is never promoted", candidate: stable, anonymous: true, minDur: time.Minute, maxTicks: 100,
			want: rollout.StateRunning, wantKinds: []rollout.EventKind{rollout.EventStarted}},
		{name: "lost candidate outcomes halt as a sample ratio mismatch", candidate: stable, drop: 0.3, minDur: 3 * time.Hour, maxTicks: 400,
			want: rollout.StatePaused, wantKinds: []rollout.EventKind{rollout.EventStarted, rollout.EventHalted}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			models := map[string]model{"v1": stable, "v2": c.candidate}
			r := newRouter(t, models)
			clock := newFakeClock()
			var log eventLog
			ro, err := rollout.NewRollout(rollout.RolloutConfig{
				Target: r, Baseline: "v1", Candidate: "v2",
				MinDuration: c.minDur, Now: clock.Now, Logger: quiet, OnEvent: log.add,
			})
			if err != nil {
				t.Fatal(err)
			}
			s := &sim{clock: clock, rng: rand.New(rand.NewPCG(1, 2)), models: models, perTick: 1000, tick: time.Minute,
				serve: routerServe(r), anonymous: c.anonymous}
			s.observe = func(o router.Outcome) {
				if o.Decision.Variant == "v2" && s.rng.Float64() < c.drop {
					return
				}
				ro.Observe(context.Background(), o)
			}
			ticks := s.run(t, ro, c.maxTicks)
			st := ro.Status()
			t.Logf("%s after %d ticks (%d requests): %s", st.State, ticks, s.seq, st.Reason)
			if st.State != c.want {
				t.Fatalf("state %v, want %v (%s)", st.State, c.want, st.Reason)
			}
			if got := log.kinds(); !reflect.DeepEqual(got, c.wantKinds) {
				t.Fatalf("events %v, want %v", got, c.wantKinds)
			}
			if st.Step != c.wantStep {
				t.Fatalf("step %d, want %d", st.Step, c.wantStep)
			}
			// The router serves what the rollout decided.
			if got := r.Plan().Default.Weight("v2"); got != st.Percent {
				t.Fatalf("router serves %g%% to v2, rollout says %g%%", got, st.Percent)
			}
			if st.State == rollout.StatePromoted {
				if fb := r.Plan().Fallbacks["v2"]; fb != "v1" {
					t.Fatalf("promoted plan: fallback of v2 is %q, want v1", fb)
				}
			}
		})
	}
}

// TestRolloutZeroErrorBaseline checks the degenerate case of a baseline that
// never fails: a candidate with 5% errors must still be rolled back, and one
// that never fails either must be promoted.
func TestRolloutZeroErrorBaseline(t *testing.T) {
	cases := []struct {
		name      string
		candidate float64
		minDur    time.Duration
		want      rollout.State
	}{
		{"candidate with 5% errors is caught", 0.05, 3 * time.Hour, rollout.StateRolledBack},
		{"candidate without errors is promoted", 0, 20 * time.Minute, rollout.StatePromoted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			models := map[string]model{"v1": {median: 20 * ms, sigma: 0.3}, "v2": {errRate: c.candidate, median: 20 * ms, sigma: 0.3}}
			ps := &planServe{models: models}
			clock := newFakeClock()
			ro, err := rollout.NewRollout(rollout.RolloutConfig{Target: ps, Baseline: "v1", Candidate: "v2", MinDuration: c.minDur, Now: clock.Now, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			s := &sim{clock: clock, rng: rand.New(rand.NewPCG(3, 4)), models: models, perTick: 1000, tick: time.Minute, serve: ps.serve,
				observe: func(o router.Outcome) { ro.Observe(context.Background(), o) }}
			s.run(t, ro, 2000)
			st := ro.Status()
			t.Logf("%v after %d requests: %s", st.State, s.seq, st.Reason)
			if st.State != c.want {
				t.Fatalf("state %v, want %v", st.State, c.want)
			}
		})
	}
}

// TestRolloutTinySamples checks that no verdict is given before MinSamples:
// a candidate whose first request fails is not rolled back.
func TestRolloutTinySamples(t *testing.T) {
	clock := newFakeClock()
	ro, err := rollout.NewRollout(rollout.RolloutConfig{Target: strategy.Targets{}, Baseline: "v1", Candidate: "v2", Now: clock.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	name, rev := ro.PlanName(), router.Revision(strategy.Canary("v1", "v2", 1))
	ctx := context.Background()
	for i := range 99 {
		ro.Observe(ctx, router.Outcome{Decision: router.Decision{Plan: name, Revision: rev, Variant: "v1", Reason: router.ReasonDefault}, Latency: ms})
		if i < 5 {
			ro.Observe(ctx, router.Outcome{Decision: router.Decision{Plan: name, Revision: rev, Variant: "v2", Reason: router.ReasonDefault}, Failure: errModel, Latency: 50 * ms})
		}
	}
	clock.Advance(time.Hour)
	if err := ro.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := ro.Status(); st.State != rollout.StateRunning || st.Figures.Candidate.Errors != 5 {
		t.Fatalf("status %v with %d candidate errors, want running with 5", st.State, st.Figures.Candidate.Errors)
	}
}

// TestRolloutReplicas drives two routers (two replicas) from one Rollout: it
// publishes each plan to both through strategy.Targets and reads a window fed by
// both routers' observations.
func TestRolloutReplicas(t *testing.T) {
	models := map[string]model{"v1": stable, "v2": stable}
	r1, r2 := newRouter(t, models), newRouter(t, models)
	clock := newFakeClock()
	ro, err := rollout.NewRollout(rollout.RolloutConfig{
		Target: strategy.Targets{r1, r2}, Baseline: "v1", Candidate: "v2",
		MinDuration: 10 * time.Minute, Now: clock.Now, Logger: quiet,
		Guardrails: rollout.Guardrails{NoLatency: true}, // real latencies of two routers
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mustObserve(t, r1, ro)()
	defer mustObserve(t, r2, ro)()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	served := [2]int{}
	for tick := 0; tick < 500 && !ro.Status().State.Final(); tick++ {
		if err := ro.Step(t.Context()); err != nil {
			t.Fatal(err)
		}
		if p1, p2 := r1.Plan(), r2.Plan(); !reflect.DeepEqual(p1, p2) {
			t.Fatalf("tick %d: replicas serve different plans: %+v and %+v", tick, p1.Default, p2.Default)
		}
		for i := range 1000 {
			r := r1
			if i%2 == 1 {
				r = r2
			}
			served[i%2]++
			_, _, _ = r.Serve(ctx, router.Unit{Key: "u-" + strconv.Itoa(tick*1000+i)}, rng.Float64())
		}
		clock.Advance(time.Minute)
	}
	if err := ro.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := ro.Status()
	if st.State != rollout.StatePromoted {
		t.Fatalf("state %v, want promoted: %s", st.State, st.Reason)
	}
	if !reflect.DeepEqual(r1.Plan(), r2.Plan()) || r1.Plan().Default.Weight("v2") != 100 {
		t.Fatalf("replicas end on %+v and %+v", r1.Plan().Default, r2.Plan().Default)
	}
	t.Logf("two replicas promoted together after %d+%d requests", served[0], served[1])
}

// TestRolloutManual exercises Pause, Resume, Promote and Abort.
func TestRolloutManual(t *testing.T) {
	cases := []struct {
		name string
		ops  func(ro *rollout.Rollout) error
		want rollout.State
		pct  float64
	}{
		{"pause keeps the plan", func(ro *rollout.Rollout) error { return ro.Pause() }, rollout.StatePaused, 1},
		{"pause then resume", func(ro *rollout.Rollout) error {
			return errors.Join(ro.Pause(), ro.Resume())
		}, rollout.StateRunning, 1},
		{"resume while running fails", func(ro *rollout.Rollout) error {
			if err := ro.Resume(); !errors.Is(err, rollout.ErrNotPaused) {
				return errors.New("want ErrNotPaused")
			}
			return nil
		}, rollout.StateRunning, 1},
		{"promote", func(ro *rollout.Rollout) error { return ro.Promote() }, rollout.StatePromoted, 100},
		{"abort after promote", func(ro *rollout.Rollout) error { return errors.Join(ro.Promote(), ro.Abort()) }, rollout.StateAborted, 0},
		{"abort twice fails", func(ro *rollout.Rollout) error {
			if err := ro.Abort(); err != nil {
				return err
			}
			if err := ro.Abort(); !errors.Is(err, rollout.ErrFinished) {
				return errors.New("want ErrFinished")
			}
			return nil
		}, rollout.StateAborted, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var last strategy.Plan
			target := strategy.TargetFunc(func(p strategy.Plan) error { last = p; return nil })
			ro, err := rollout.NewRollout(rollout.RolloutConfig{Target: target, Baseline: "v1", Candidate: "v2", Now: newFakeClock().Now, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			if err := ro.Step(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := c.ops(ro); err != nil {
				t.Fatal(err)
			}
			st := ro.Status()
			if st.State != c.want || st.Percent != c.pct || last.Default.Weight("v2") != c.pct {
				t.Fatalf("state %v at %g%% (target %g%%), want %v at %g%%", st.State, st.Percent, last.Default.Weight("v2"), c.want, c.pct)
			}
		})
	}
}

// TestRolloutTargetFailure checks that a refused plan leaves the state
// unchanged and is retried on the next Step.
func TestRolloutTargetFailure(t *testing.T) {
	fail := true
	var log eventLog
	target := strategy.TargetFunc(func(strategy.Plan) error {
		if fail {
			return errors.New("replica down")
		}
		return nil
	})
	ro, err := rollout.NewRollout(rollout.RolloutConfig{Target: target, Baseline: "v1", Candidate: "v2", Now: newFakeClock().Now, Logger: quiet, OnEvent: log.add})
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.Step(t.Context()); err == nil || ro.Status().State != rollout.StatePending {
		t.Fatalf("Step = %v, state %v; want an error and pending", err, ro.Status().State)
	}
	fail = false
	if err := ro.Step(t.Context()); err != nil || ro.Status().State != rollout.StateRunning {
		t.Fatalf("Step = %v, state %v; want running", err, ro.Status().State)
	}
	if got, want := log.kinds(), []rollout.EventKind{rollout.EventPlanFailed, rollout.EventStarted}; !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

// TestRolloutMetric rolls back a candidate that lowers a business metric
// reported later by unit key.
func TestRolloutMetric(t *testing.T) {
	models := map[string]model{"v1": stable, "v2": stable}
	ps := &planServe{models: models}
	clock := newFakeClock()
	ro, err := rollout.NewRollout(rollout.RolloutConfig{Target: ps, Baseline: "v1", Candidate: "v2", MinDuration: 24 * time.Hour, Now: clock.Now, Logger: quiet,
		Guardrails: rollout.Guardrails{Metrics: []rollout.MetricGuardrail{{Name: "conversion", Effect: 0.05, LowerIsWorse: true}}}})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 9))
	s := &sim{clock: clock, rng: rand.New(rand.NewPCG(10, 11)), models: models, perTick: 500, tick: time.Minute, serve: ps.serve}
	s.observe = func(o router.Outcome) {
		ro.Observe(context.Background(), o)
		p := 0.10
		if o.Decision.Variant == "v2" {
			p = 0.05
		}
		v := 0.0
		if rng.Float64() < p {
			v = 1
		}
		ro.RecordMetric(o.Decision, "conversion", v)
	}
	s.run(t, ro, 1440)
	st := ro.Status()
	t.Logf("%v after %d requests: %s", st.State, s.seq, st.Reason)
	if st.State != rollout.StateRolledBack || len(st.Figures.Metrics) != 1 {
		t.Fatalf("state %v, want rolled back on the metric", st.State)
	}
}

// TestRolloutAggregatedWindow reads the window through the Window interface
// from metrics aggregated across two replicas — each replica's own Collector
// stands for what it exports (to Prometheus, say), and a WindowFunc sums them
// as a query across replicas would.
func TestRolloutAggregatedWindow(t *testing.T) {
	models := map[string]model{"v1": stable, "v2": {errRate: 0.05, median: 20 * ms, sigma: 0.3}}
	r1, r2 := newRouter(t, models), newRouter(t, models)
	name := strategy.Canary("v1", "v2", 0).Name
	c1, c2 := rollout.NewCollector(name, "v1", "v2"), rollout.NewCollector(name, "v1", "v2")
	defer mustObserve(t, r1, c1)()
	defer mustObserve(t, r2, c2)()
	sum := rollout.WindowFunc(func(ctx context.Context, q rollout.Query) (rollout.Evidence, error) {
		e1, err := c1.Read(ctx, q)
		if err != nil {
			return rollout.Evidence{}, err
		}
		e2, err := c2.Read(ctx, q)
		if err != nil {
			return rollout.Evidence{}, err
		}
		add := func(a, b rollout.VariantWindow) rollout.VariantWindow {
			return rollout.VariantWindow{Requests: a.Requests + b.Requests, Errors: a.Errors + b.Errors, Latency: a.Latency.Merge(b.Latency)}
		}
		return rollout.Evidence{Baseline: add(e1.Baseline, e2.Baseline), Candidate: add(e1.Candidate, e2.Candidate)}, nil
	})
	clock := newFakeClock()
	ro, err := rollout.NewRollout(rollout.RolloutConfig{
		Target: strategy.Targets{r1, r2}, Baseline: "v1", Candidate: "v2", Window: sum,
		MinDuration: 3 * time.Hour, Now: clock.Now, Logger: quiet,
		Guardrails: rollout.Guardrails{NoLatency: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	rs := []*router.Router[float64, float64]{r1, r2}
	s := &sim{clock: clock, rng: rand.New(rand.NewPCG(14, 15)), models: models, perTick: 1000, tick: time.Minute}
	s.serve = func(key string, in float64) router.Outcome {
		_, o, _ := rs[s.seq%2].Serve(context.Background(), router.Unit{Key: key}, in)
		return o
	}
	s.run(t, ro, 400)
	st := ro.Status()
	t.Logf("%v after %d requests over two replicas: %s", st.State, s.seq, st.Reason)
	if st.State != rollout.StateRolledBack || r1.Plan().Default.Weight("v2") != 0 || r2.Plan().Default.Weight("v2") != 0 {
		t.Fatalf("state %v, replicas at %g%% and %g%%; want rolled back everywhere", st.State, r1.Plan().Default.Weight("v2"), r2.Plan().Default.Weight("v2"))
	}
}

// mustObserve registers o with r and returns the function that removes it.
func mustObserve[In, Out any](t testing.TB, r *router.Router[In, Out], o router.Observer) func() {
	t.Helper()
	remove, err := r.AddObserver(o)
	if err != nil {
		t.Fatal(err)
	}
	return remove
}
