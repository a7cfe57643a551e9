package varprom_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	varprom "github.com/varroute/varroute/contrib/prometheus"
	"github.com/varroute/varroute/rollout"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// The fleet tests: one Rollout controller, reading a Window over a real
// Prometheus that scrapes every replica, publishing plans through a plan
// file every replica follows.
const (
	fleetReplicas = 5
	fleetScrape   = 500 * time.Millisecond
	fleetRate     = 2000 // requests per second over the fleet
	fleetNoKey    = 0.10 // share of requests without a unit key
	fleetStepTick = 200 * time.Millisecond
)

// fleetSpeedup is how many times faster than the wall clock the
// controller's clock runs (RolloutConfig.Now). The controller buckets a
// step's evidence by 5 minutes of its time and needs 10 buckets before it
// judges; at 1200x a bucket lasts 250 ms of real time, so a rollout of
// hours takes seconds. Prometheus and the replicas run on the wall clock:
// the Window gets real times (see fastClock).
const fleetSpeedup = 1200

// fleetConfig is the controller's configuration in the fleet tests, its
// durations in real time (runRollout scales them): two analysed steps held
// 3 s at least, non-inferiority margins wide enough for seconds of traffic
// (errors up to twice the baseline's, latency 1.1x, a fifth of the units
// lost), no fallback (so that two identical versions are identical).
func fleetConfig(name string) rollout.RolloutConfig {
	plan := strategy.Canary("v1", "v2", 0)
	plan.Name = name
	plan.Fallbacks = nil
	return rollout.RolloutConfig{
		Baseline:    "v1",
		Candidate:   "v2",
		Plan:        plan,
		Steps:       []float64{20, 50, 100},
		MinDuration: 3 * time.Second,
		MinSamples:  1000,
		Alpha:       0.01,
		Guardrails:  rollout.Guardrails{ErrorMargin: 1, MaxUnitLoss: 0.2},
		MaxWait:     2 * time.Minute,
		Logger:      slog.New(slog.DiscardHandler),
	}
}

// fastClock is the controller's clock: it runs k times faster than the wall
// clock from start.
type fastClock struct {
	start time.Time
	k     float64
}

func newFastClock(k float64) fastClock { return fastClock{start: time.Now(), k: k} }

// Now returns the controller's time.
func (c fastClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.k))
}

// real returns the wall-clock time of the controller's time t.
func (c fastClock) real(t time.Time) time.Time {
	return c.start.Add(time.Duration(float64(t.Sub(c.start)) / c.k))
}

// result is what one rollout over the fleet did.
type result struct {
	status  rollout.Status
	events  []rollout.Event
	plans   []strategy.Plan // every plan published, in order
	final   strategy.Plan   // the last one
	decided time.Time       // when the controller made its last transition (wall clock)
	settled time.Time       // when every replica applied the last plan (wall clock)
}

func (r result) halted() bool {
	return slices.ContainsFunc(r.events, func(e rollout.Event) bool { return e.Kind == rollout.EventHalted })
}

// planAt returns the plan published for a step of pct percent, and
// whether there was one.
func (r result) planAt(pct float64) (strategy.Plan, bool) {
	for _, p := range r.plans {
		if p.Default.Weight("v2") == pct {
			return p, true
		}
	}
	return strategy.Plan{}, false
}

// runRollout runs a Rollout configured by cfg over the fleet, reading w,
// stepping every fleetStepTick until it finishes or halts (or ctx ends),
// and waits until every replica serves its last plan. The controller runs
// on a fastClock: cfg's MinDuration and MaxWait are real times, scaled here.
// during, if not nil, is called after every Step.
func (f *fleet) runRollout(ctx context.Context, t *testing.T, w rollout.Window, cfg rollout.RolloutConfig, during func(*rollout.Rollout)) result {
	t.Helper()
	var mu sync.Mutex
	var res result
	clk := newFastClock(fleetSpeedup)
	cfg.Now = clk.Now
	cfg.MinDuration *= fleetSpeedup
	cfg.MaxWait *= fleetSpeedup
	cfg.Window = rollout.WindowFunc(func(ctx context.Context, q rollout.Query) (rollout.Evidence, error) {
		q.Since = clk.real(q.Since) // Prometheus keeps the wall clock
		return w.Read(ctx, q)
	})
	cfg.Target = strategy.TargetFunc(func(p strategy.Plan) error {
		if err := f.target.SetPlan(p); err != nil {
			return err
		}
		mu.Lock()
		res.plans = append(res.plans, p)
		mu.Unlock()
		return nil
	})
	cfg.OnEvent = func(e rollout.Event) {
		mu.Lock()
		res.events = append(res.events, e)
		mu.Unlock()
		t.Logf("%s %-11s %3g%%  %s", time.Now().Format("15:04:05.000"), e.Kind, e.Percent, e.Reason)
	}
	ro, err := rollout.NewRollout(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(fleetStepTick)
	defer tick.Stop()
	for {
		if err := ro.Step(ctx); err != nil {
			t.Fatalf("Step: %v", err)
		}
		if during != nil {
			during(ro)
		}
		st := ro.Status()
		if st.State.Final() || st.State == rollout.StatePaused {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("rollout unfinished: %v; status %+v", ctx.Err(), st)
		case <-tick.C:
		}
	}
	res.status = ro.Status()
	res.decided = clk.real(res.status.Changed)
	mu.Lock()
	res.final = res.plans[len(res.plans)-1]
	mu.Unlock()
	if res.settled, err = f.waitRevision(ctx, router.Revision(res.final)); err != nil {
		t.Fatal(err)
	}
	return res
}

// startFleet starts the replicas and a Prometheus scraping them every
// scrape interval, and returns a Window over it.
func startFleet(t *testing.T, models map[string]sim, scrape time.Duration) (*fleet, *promServer, *varprom.Window) {
	t.Helper()
	f := newFleet(t, fleetReplicas, models, "v1")
	prom := startPrometheus(t, f.addrs(), scrape)
	w, err := varprom.NewWindow(varprom.WindowOptions{
		API:            prom.api,
		Targets:        `up{job="varroute"}`,
		Replicas:       fleetReplicas,
		ScrapeInterval: scrape,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, prom, w
}

// servesBaseline checks, through each replica's Decide, that 1,000 units
// drawn from the seed all get v1.
func (f *fleet) servesBaseline(t *testing.T, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	for range 1000 {
		u := router.Unit{Key: strconv.FormatUint(seed, 36) + "-" + strconv.FormatUint(rng.Uint64()>>20, 36)}
		for i, rep := range f.replicas {
			if d := rep.r.Decide(u); d.Variant != "v1" {
				t.Fatalf("replica %d decides %s for unit %q after the rollback", i, d.Variant, u.Key)
			}
		}
	}
}

// TestFleet runs one controller over five replicas and a real Prometheus
// (scrape interval 500 ms), 2,000 requests per second with 10% of them
// without a unit key throughout: A/A rollouts promote, a candidate failing
// 5% of requests (against 1%) and a 1.5x slower one are rolled back with
// every replica serving the baseline after, and a controller whose
// Prometheus stops neither promotes nor rolls back until it returns.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Prometheus and a fleet for minutes")
	}
	start := time.Now()
	defer func() { t.Logf("TestFleet wall time: %v", time.Since(start).Round(time.Second)) }()
	same := sim{errRate: 0.01, median: 500 * time.Microsecond}
	f, prom, w := startFleet(t, map[string]sim{"v1": same, "v2": same}, fleetScrape)

	t.Run("A/A promotes", func(t *testing.T) {
		f.setModels(map[string]sim{"v1": same, "v2": same})
		const runs = 10
		promoted := 0
		for i := range runs {
			ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
			seed := uint64(1000 + i)
			l := f.startLoad(seed, fleetRate, fleetNoKey)
			res := f.runRollout(ctx, t, w, fleetConfig(fmt.Sprintf("aa-%d", seed)), nil)
			l.halt()
			cancel()
			if res.halted() {
				t.Fatalf("run %d: an A/A rollout halted: %s", i, res.status.Reason)
			}
			if res.status.State == rollout.StatePromoted {
				promoted++
			}
			fg := res.status.Figures
			t.Logf("run %d: %v; last step %d vs %d requests, SRM p %.3g, latency ratio %.3f", i, res.status.State,
				fg.Baseline.Requests, fg.Candidate.Requests, fg.SRMP, fg.LatencyRatio)
		}
		t.Logf("A/A: %d of %d promoted", promoted, runs)
		if promoted < 9 {
			t.Fatalf("A/A: %d of %d promoted, want >= 9", promoted, runs)
		}
	})

	t.Run("5% errors rolled back", func(t *testing.T) {
		f.setModels(map[string]sim{"v1": same, "v2": {errRate: 0.05, median: same.median}})
		errorRuns(t, f, w, 10, 2000, fleetScrape)
	})

	t.Run("1.5x slower rolled back", func(t *testing.T) {
		f.setModels(map[string]sim{"v1": {errRate: same.errRate, median: 10 * time.Millisecond}, "v2": {errRate: same.errRate, median: 15 * time.Millisecond}})
		ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
		defer cancel()
		l := f.startLoad(3000, fleetRate, fleetNoKey)
		res := f.runRollout(ctx, t, w, fleetConfig("slow-3000"), nil)
		l.halt()
		if res.status.State != rollout.StateRolledBack {
			t.Fatalf("%v (%s), want rolled back", res.status.State, res.status.Reason)
		}
		f.servesBaseline(t, 3000)
		fg := res.status.Figures
		step, ok := res.planAt(fg.Percent)
		if !ok {
			t.Fatalf("no plan published at %g%%", fg.Percent)
		}
		rev := router.Revision(step)
		b, c := l.truth(rev, "v1"), l.truth(rev, "v2")
		truth := math.Exp(c.sumLog/float64(c.requests) - b.sumLog/float64(b.requests))
		t.Logf("latency ratio read from Prometheus %.3f, measured by the routers %.3f (nominal 1.5), from %d and %d requests",
			fg.LatencyRatio, truth, fg.Baseline.Requests, fg.Candidate.Requests)
		if math.Abs(fg.LatencyRatio/truth-1) > 0.10 {
			t.Fatalf("latency ratio %.3f, true %.3f: off by more than 10%%", fg.LatencyRatio, truth)
		}
	})

	t.Run("Prometheus stopped mid-rollout", func(t *testing.T) {
		f.setModels(map[string]sim{"v1": same, "v2": same})
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		l := f.startLoad(4000, fleetRate, fleetNoKey)
		defer l.halt()
		const outage = 5 * time.Second
		var stoppedAt time.Time
		var waiting []string
		restarted := false
		res := f.runRollout(ctx, t, w, fleetConfig("outage-4000"), func(ro *rollout.Rollout) {
			st := ro.Status()
			switch {
			case stoppedAt.IsZero() && st.State == rollout.StateRunning && st.Figures.Baseline.Requests > 0:
				// The first step has evidence: stop Prometheus.
				prom.stop()
				stoppedAt = time.Now()
				t.Logf("Prometheus stopped at step %d (%g%%)", st.Step, st.Percent)
			case !stoppedAt.IsZero() && !restarted:
				if st.State != rollout.StateRunning || st.Last != rollout.EventStarted {
					t.Fatalf("the controller decided without Prometheus: %v, last %v: %s", st.State, st.Last, st.Reason)
				}
				if st.Waiting != "" {
					waiting = append(waiting, st.Waiting)
				}
				if time.Since(stoppedAt) >= outage {
					if len(waiting) == 0 {
						t.Fatal("the controller did not report why it waits")
					}
					prom.start()
					restarted = true
					t.Logf("Prometheus restarted after %v; the controller waited: %s", time.Since(stoppedAt).Round(time.Millisecond), waiting[len(waiting)-1])
				}
			}
		})
		if !restarted {
			t.Fatal("the rollout ended before Prometheus was stopped")
		}
		if res.status.State != rollout.StatePromoted {
			t.Fatalf("%v (%s), want promoted once Prometheus returned", res.status.State, res.status.Reason)
		}
		if !slices.ContainsFunc(res.events, func(e rollout.Event) bool {
			return e.Kind == rollout.EventWaiting && strings.Contains(e.Reason, "evidence not ready")
		}) {
			t.Fatal("no waiting event")
		}
	})
}

// errorRuns rolls a bad candidate out runs times (the fleet's models set by
// the caller), checks that each run rolls back and leaves every replica on
// the baseline, and reports the time from the candidate's first request to
// the rollback decision and to every replica serving the baseline, and the
// requests the candidate got meanwhile.
func errorRuns(t *testing.T, f *fleet, w rollout.Window, runs int, seedBase uint64, scrape time.Duration) {
	t.Helper()
	var lags, decided []time.Duration
	var served []int64
	for i := range runs {
		ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
		seed := seedBase + uint64(i)
		l := f.startLoad(seed, fleetRate, fleetNoKey)
		res := f.runRollout(ctx, t, w, fleetConfig(fmt.Sprintf("errors-%d", seed)), nil)
		n, first := l.variantRequests("v2")
		l.halt()
		cancel()
		if res.status.State != rollout.StateRolledBack {
			t.Fatalf("run %d: %v (%s), want rolled back", i, res.status.State, res.status.Reason)
		}
		f.servesBaseline(t, seed)
		lag, dec := res.settled.Sub(first), res.decided.Sub(first)
		lags, decided, served = append(lags, lag), append(decided, dec), append(served, n)
		fg := res.status.Figures
		t.Logf("run %d: rolled back at %g%%: candidate %.2f%% errors (%d requests), baseline %.2f%%; from the candidate's first request: %v to the decision, %v to every replica on the baseline; %d requests on the candidate",
			i, fg.Percent, 100*fg.Candidate.ErrorRate, fg.Candidate.Requests, 100*fg.Baseline.ErrorRate,
			dec.Round(time.Millisecond), lag.Round(time.Millisecond), n)
	}
	slices.Sort(lags)
	slices.Sort(decided)
	slices.Sort(served)
	ms := func(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
	t.Logf("MEASURE scrape %v, %d runs, %d replicas, %d req/s (%.0f%% without a key), first step 20%%: "+
		"first bad request -> decision median %v (min %v, max %v); -> every replica on the baseline median %v (min %v, max %v); requests on the bad candidate median %d (min %d, max %d)",
		scrape, runs, fleetReplicas, fleetRate, 100*fleetNoKey,
		ms(decided[runs/2]), ms(decided[0]), ms(decided[runs-1]), ms(lags[runs/2]), ms(lags[0]), ms(lags[runs-1]),
		served[runs/2], served[0], served[runs-1])
}

// TestFleetMeasure measures, for several scrape intervals, how long a bad
// candidate serves before every replica is back on the baseline. It runs
// only with VARROUTE_MEASURE=1:
//
//	cd contrib/prometheus && VARROUTE_MEASURE=1 go test -run TestFleetMeasure -v -timeout 20m . | grep MEASURE
func TestFleetMeasure(t *testing.T) {
	if os.Getenv("VARROUTE_MEASURE") == "" {
		t.Skip("set VARROUTE_MEASURE=1 to measure the time to roll a bad candidate back")
	}
	same := sim{errRate: 0.01, median: 500 * time.Microsecond}
	for _, scrape := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second} {
		t.Run(scrape.String(), func(t *testing.T) {
			f, _, w := startFleet(t, map[string]sim{"v1": same, "v2": {errRate: 0.05, median: same.median}}, scrape)
			errorRuns(t, f, w, 7, 5000+uint64(scrape/time.Millisecond), scrape)
		})
	}
}
