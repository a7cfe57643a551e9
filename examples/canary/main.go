// Canary: a progressive rollout that promotes a good model and rolls a bad
// one back by itself.
//
// Three versions of a model sit behind one varroute router. A Rollout first
// takes v2 (healthy) from 1% to 100% of users; then a second Rollout
// canaries v3, which fails 5% of its requests (against 1%) and is 30% slower,
// and rolls it back automatically at its first step. The program prints the
// timeline of both rollouts and the figures that triggered the rollback.
//
// Time is simulated: a fake clock advances one minute per 2,000 requests, so
// the hours of a real rollout take a second, and the output is the same on
// every run. For the same reason the latencies fed to the rollout are drawn
// from each model's simulated latency distribution; in a service you would
// register the rollout with router.AddObserver and it would read the
// latencies the router measures.
//
//	go run ./examples/canary
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/varroute/varroute/rollout"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// model is a simulated model version.
type model struct {
	errRate float64       // probability that a call fails
	median  time.Duration // median latency (lognormal, sigma 0.3)
}

var models = map[string]model{
	"v1": {errRate: 0.01, median: 20 * time.Millisecond},
	"v2": {errRate: 0.01, median: 20 * time.Millisecond},
	"v3": {errRate: 0.05, median: 26 * time.Millisecond}, // the bad build
}

var errModel = errors.New("model error")

// clock is the simulated clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// request is a model input: the features, and the draw that decides
// whether the simulated model fails on it.
type request struct {
	features []float64
	draw     float64
}

func main() {
	variants := map[string]router.Predictor[request, float64]{}
	for name, m := range models {
		variants[name] = router.PredictorFunc[request, float64](func(_ context.Context, in request) (float64, error) {
			if in.draw < m.errRate {
				return 0, errModel
			}
			return in.features[0] * 0.5, nil
		})
	}
	r, err := router.New(router.Config[request, float64]{Variants: variants, Plan: strategy.BigBang("v1")})
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = r.Close(context.Background()) }()

	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := &clock{now: start}
	rng := rand.New(rand.NewPCG(2026, 3))
	users := 0

	run := func(baseline, candidate string) rollout.Status {
		fmt.Printf("\n== canary of %s against %s\n", candidate, baseline)
		ro, err := rollout.NewRollout(rollout.RolloutConfig{
			Target:      r,
			Baseline:    baseline,
			Candidate:   candidate,
			MinDuration: 30 * time.Minute,
			Now:         c.Now,
			Logger:      slog.New(slog.DiscardHandler),
			OnEvent: func(e rollout.Event) {
				fmt.Printf("%s  %-11s %5g%%  %s\n", e.Time.Format("15:04"), e.Kind, e.Percent, e.Reason)
			},
		})
		if err != nil {
			log.Fatal(err)
		}
		ctx := context.Background()
		if err := ro.Step(ctx); err != nil {
			log.Fatal(err)
		}
		for minute := 0; minute < 24*60 && !ro.Status().State.Final(); minute++ {
			for range 2000 {
				users++
				in := request{features: []float64{rng.Float64()}, draw: rng.Float64()}
				_, o, _ := r.Serve(ctx, router.Unit{Key: "user-" + strconv.Itoa(users)}, in)
				m := models[o.Decision.Variant]
				o.Latency = time.Duration(float64(m.median) * math.Exp(0.3*rng.NormFloat64()))
				ro.Observe(ctx, o)
			}
			c.now = c.now.Add(time.Minute)
			if err := ro.Step(ctx); err != nil {
				log.Fatal(err)
			}
		}
		return ro.Status()
	}

	st := run("v1", "v2")
	fmt.Printf("-> %s; the router serves %v\n", st.State, r.Plan().Default)

	st = run("v2", "v3")
	fmt.Printf("-> %s; the router serves %v\n", st.State, r.Plan().Default)
	if st.State != rollout.StateRolledBack {
		fmt.Println("expected the bad build to be rolled back")
		os.Exit(1)
	}
	f := st.Figures
	fmt.Printf("\nfigures of the step window that triggered the rollback (step %d, %g%%, %v):\n", f.Step, f.Percent, f.Elapsed)
	fmt.Printf("  %-9s %9s %7s %8s %10s %10s\n", "variant", "requests", "errors", "rate", "p50", "p90")
	for _, v := range []struct {
		name string
		vf   rollout.VariantFigures
	}{{"v2 (base)", f.Baseline}, {"v3 (cand)", f.Candidate}} {
		fmt.Printf("  %-9s %9d %7d %7.2f%% %10v %10v\n", v.name, v.vf.Requests, v.vf.Errors, 100*v.vf.ErrorRate,
			v.vf.P50.Round(time.Microsecond), v.vf.P90.Round(time.Microsecond))
	}
	fmt.Printf("  latency ratio %.2fx; always-valid bounds on the candidate's harm over all steps (alpha %.4f each):\n", f.LatencyRatio, f.Alpha)
	for _, c := range f.Checks {
		if c.Ready && c.Name != "lost units" {
			fmt.Printf("    %-13s estimate %+.4f, bounds [%+.4f, %+.4f]; rolls back when the lower is above %g, advances when the upper is below %.4f\n",
				c.Name, c.Estimate, c.Lower, c.Upper, c.Limit, c.Margin)
		}
	}
	fmt.Printf("  requests seen by this rollout before the rollback: %d\n", f.TotalRequests)
}
