package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/varroute/varroute/rollout"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// A candidate failing 6% of its requests against a baseline failing 1% is
// rolled back at its first step.
func ExampleRollout() {
	// Two model versions; each fails when its input is below its error rate.
	errRate := map[string]float64{"v1": 0.01, "v2": 0.06}
	model := func(name string) router.Predictor[float64, string] {
		return router.PredictorFunc[float64, string](func(_ context.Context, in float64) (string, error) {
			if in < errRate[name] {
				return "", errors.New("model error")
			}
			return name, nil
		})
	}
	r, err := router.New(router.Config[float64, string]{
		Variants: map[string]router.Predictor[float64, string]{"v1": model("v1"), "v2": model("v2")},
		Plan:     strategy.BigBang("v1"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close(context.Background())

	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // simulated time
	ro, err := rollout.NewRollout(rollout.RolloutConfig{
		Target:      r,
		Baseline:    "v1",
		Candidate:   "v2",
		Steps:       []float64{5, 25, 50, 100},
		MinDuration: time.Hour,
		Now:         func() time.Time { return now },
		Logger:      slog.New(slog.DiscardHandler),
		OnEvent: func(e rollout.Event) {
			fmt.Printf("%s: %s at %g%%\n", e.Time.Format("15:04"), e.Kind, e.Percent)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// In a service, r.AddObserver(ro) feeds the rollout every outcome. Here
	// the example passes each outcome on itself with a fixed latency, so
	// that its output does not depend on the machine's speed.
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	_ = ro.Step(ctx) // applies the first step
	for n := 0; !ro.Status().State.Final() && n < 100_000; n++ {
		_, o, _ := r.Serve(ctx, router.Unit{Key: "user-" + strconv.Itoa(n)}, rng.Float64())
		o.Latency = 20 * time.Millisecond
		ro.Observe(ctx, o)
		if n%1000 == 999 { // a look every minute of 1,000 requests
			now = now.Add(time.Minute)
			_ = ro.Step(ctx)
		}
	}
	st := ro.Status()
	fmt.Printf("candidate: %d errors in %d requests\n", st.Figures.Candidate.Errors, st.Figures.Candidate.Requests)
	fmt.Println("v2 now serves", r.Plan().Default.Weight("v2"), "percent")
	// Output:
	// 00:00: started at 5%
	// 00:45: rolled-back at 0%
	// candidate: 138 errors in 2210 requests
	// v2 now serves 0 percent
}

// A blue-green switch verifies the idle slot with smoke inputs before it
// goes live, and rolls back at once.
func ExampleBlueGreen() {
	call := func(_ context.Context, slot string, in float64) (float64, error) {
		return 2 * in, nil // both slots double their input
	}
	bg, err := rollout.NewBlueGreen(rollout.BlueGreenConfig{
		Target: strategy.TargetFunc(func(p strategy.Plan) error {
			fmt.Println("serving", p.Default.Majority())
			return nil
		}),
		Live:    "blue",
		Standby: "green",
		Verify: rollout.SmokeTest(call, func(got, want float64) bool { return got == want },
			rollout.SmokeCase[float64, float64]{In: 1, Want: 2},
			rollout.SmokeCase[float64, float64]{In: 3, Want: 6}),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := bg.Switch(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println("live:", bg.Status().Live)
	if err := bg.Rollback(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("live:", bg.Status().Live)
	// Output:
	// serving green
	// live: green
	// serving blue
	// live: blue
}

// A rolling update moves units from v1 to v2 in two batches, each held ten
// minutes and gated on v2's error rate.
func ExampleRolling() {
	serve := router.PredictorFunc[struct{}, string](func(context.Context, struct{}) (string, error) { return "ok", nil })
	r, err := router.New(router.Config[struct{}, string]{
		Variants: map[string]router.Predictor[struct{}, string]{"v1": serve, "v2": serve},
		Plan:     strategy.BigBang("v1"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close(context.Background())

	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // simulated time
	u, err := rollout.NewRolling(rollout.RollingConfig{
		Target:  r,
		Old:     "v1",
		New:     "v2",
		Batches: 2,
		Pause:   10 * time.Minute,
		Gate:    rollout.Gate{MaxErrorRate: 0.02},
		Now:     func() time.Time { return now },
		Logger:  slog.New(slog.DiscardHandler),
		OnEvent: func(e rollout.Event) {
			fmt.Printf("%s: %s at %g%%\n", e.Time.Format("15:04"), e.Kind, e.Percent)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	remove, err := r.AddObserver(u) // the rolling update watches every request
	if err != nil {
		fmt.Println(err)
		return
	}
	defer remove()
	ctx := context.Background()
	_ = u.Step(ctx)
	for n := 0; !u.Status().State.Final(); n++ {
		_, _ = r.Predict(ctx, router.Unit{Key: "user-" + strconv.Itoa(n)}, struct{}{})
		if n%100 == 99 {
			now = now.Add(time.Minute)
			_ = u.Step(ctx)
		}
	}
	// Output:
	// 00:00: started at 50%
	// 00:10: advanced at 100%
	// 00:20: promoted at 100%
}
