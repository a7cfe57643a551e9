package strategy_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/varroute/varroute/strategy"
)

// exampleClock is a clock the examples advance by hand.
type exampleClock struct{ now time.Time }

func (c *exampleClock) Now() time.Time { return c.now }

// exampleTarget stands for a router: it compiles each plan it is given and
// decides units with it.
type exampleTarget struct{ cp *strategy.Compiled }

func (t *exampleTarget) SetPlan(p strategy.Plan) error {
	cp, err := strategy.Compile(p)
	if err == nil {
		t.cp = cp
	}
	return err
}

// A candidate failing 6% of its requests against a baseline failing 1% is
// rolled back at its first step. In a service, the target is the router and
// the rollout is registered with router.AddObserver; here the example decides
// units with the plans it is given and reports the outcomes itself.
func ExampleRollout() {
	clock := &exampleClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	target := &exampleTarget{}
	ro, err := strategy.NewRollout(strategy.RolloutConfig{
		Target:      target,
		Baseline:    "v1",
		Candidate:   "v2",
		Steps:       []float64{5, 25, 50, 100},
		MinDuration: time.Hour,
		Clock:       clock,
		Logger:      slog.New(slog.DiscardHandler),
		OnEvent: func(e strategy.Event) {
			fmt.Printf("%s: %s at %g%%\n", e.Time.Format("15:04"), e.Kind, e.Percent)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	errRate := map[string]float64{"v1": 0.01, "v2": 0.06}
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	_ = ro.Step() // applies the first step
	for n := 0; !ro.Status().State.Final() && n < 100_000; n++ {
		d := target.cp.Decide("user-"+strconv.Itoa(n), nil)
		o := strategy.Outcome{Decision: d, Served: d.Variant, Latency: 20 * time.Millisecond}
		if rng.Float64() < errRate[d.Variant] {
			o.Failure = errors.New("model error")
		}
		ro.Observe(ctx, o)
		if n%1000 == 999 { // a look every minute of 1,000 requests
			clock.now = clock.now.Add(time.Minute)
			_ = ro.Step()
		}
	}
	st := ro.Status()
	fmt.Printf("candidate: %d errors in %d requests\n", st.Figures.Candidate.Errors, st.Figures.Candidate.Requests)
	fmt.Println("v2 now serves", target.cp.Plan().Default.Weight("v2"), "percent")
	// Output:
	// 00:00: started at 5%
	// 00:08: rolled-back at 0%
	// candidate: 21 errors in 399 requests
	// v2 now serves 0 percent
}

// A blue-green switch verifies the idle slot with smoke inputs before it
// goes live, and rolls back at once.
func ExampleBlueGreen() {
	call := func(_ context.Context, slot string, in float64) (float64, error) {
		return 2 * in, nil // both slots double their input
	}
	bg, err := strategy.NewBlueGreen(strategy.BlueGreenConfig{
		Target: strategy.TargetFunc(func(p strategy.Plan) error {
			fmt.Println("serving", p.Default.Majority())
			return nil
		}),
		Live:    "blue",
		Standby: "green",
		Verify: strategy.SmokeTest(call, func(got, want float64) bool { return got == want },
			strategy.SmokeCase[float64, float64]{In: 1, Want: 2},
			strategy.SmokeCase[float64, float64]{In: 3, Want: 6}),
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
	clock := &exampleClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	target := &exampleTarget{}
	u, err := strategy.NewRolling(strategy.RollingConfig{
		Target:  target,
		Old:     "v1",
		New:     "v2",
		Batches: 2,
		Pause:   10 * time.Minute,
		Gate:    strategy.Gate{MaxErrorRate: 0.02},
		Clock:   clock,
		Logger:  slog.New(slog.DiscardHandler),
		OnEvent: func(e strategy.Event) {
			fmt.Printf("%s: %s at %g%%\n", e.Time.Format("15:04"), e.Kind, e.Percent)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	_ = u.Step()
	for n := 0; !u.Status().State.Final(); n++ {
		d := target.cp.Decide("user-"+strconv.Itoa(n), nil)
		u.Observe(ctx, strategy.Outcome{Decision: d, Served: d.Variant, Latency: 20 * time.Millisecond})
		if n%100 == 99 {
			clock.now = clock.now.Add(time.Minute)
			_ = u.Step()
		}
	}
	// Output:
	// 00:00: started at 50%
	// 00:10: advanced at 100%
	// 00:20: promoted at 100%
}
