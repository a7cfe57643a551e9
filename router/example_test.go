package router_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

func constant(v string) router.Predictor[string, string] {
	return router.PredictorFunc[string, string](func(context.Context, string) (string, error) { return v, nil })
}

// Unit-test a routing decision without calling any model.
func ExampleRouter_Decide() {
	plan := strategy.Canary("v1", "v2", 10)
	plan.Audiences = []audience.Audience{{
		Name:       "california",
		Conditions: audience.Condition{Key: "location", Op: audience.OpEquals, Value: "california"},
	}}
	plan.Rules = []strategy.Rule{{Audience: "california", Split: strategy.Split{{Variant: "v2", Weight: 100}}}}

	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v1": constant("v1"), "v2": constant("v2")},
		Plan:     plan,
	})
	if err != nil {
		panic(err)
	}
	defer r.Close(context.Background())

	d := r.Decide(router.Unit{Key: "user-1", Attrs: audience.Attributes{audience.String("location", "california")}})
	fmt.Println(d.Variant, d.Rule, d.Reason)
	d = r.Decide(router.Unit{Key: "user-1", Attrs: audience.Attributes{audience.String("location", "texas")}})
	fmt.Println(d.Variant, d.Reason)
	d = r.Decide(router.Unit{}) // anonymous: never hashed
	fmt.Println(d.Variant, d.Reason)
	// Output:
	// v2 california rule
	// v1 default
	// v1 no-key
}

// Multi-version failover: v2 fails, v1 serves, and the outcome says so.
func ExampleRouter_Serve() {
	broken := router.PredictorFunc[string, string](func(context.Context, string) (string, error) {
		return "", errors.New("feature store unavailable")
	})
	plan := strategy.BigBang("v2")
	plan.Fallbacks = map[string]string{"v2": "v1"}
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v1": constant("answer from v1"), "v2": broken},
		Plan:     plan,
	})
	if err != nil {
		panic(err)
	}
	defer r.Close(context.Background())

	out, o, err := r.Serve(context.Background(), router.Unit{Key: "user-1"}, "input")
	fmt.Println(out, err)
	fmt.Println("assigned", o.Decision.Variant, "served", o.Served, "fell back", o.FellBack())
	fmt.Println(o.Failure)
	// Output:
	// answer from v1 <nil>
	// assigned v2 served v1 fell back true
	// router: variant "v2": feature store unavailable
}

// A new version is loaded at run time, canaried, promoted, and the old one
// retired — without restarting the service.
func ExampleRouter_AddVariant() {
	ctx := context.Background()
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v1": constant("v1")},
		Plan:     strategy.BigBang("v1"),
	})
	if err != nil {
		panic(err)
	}
	defer r.Close(ctx)

	if err := r.AddVariant("v2", constant("v2")); err != nil {
		panic(err)
	}
	if err := r.SetPlan(strategy.Canary("v1", "v2", 5)); err != nil {
		panic(err)
	}
	fmt.Println(r.RemoveVariant(ctx, "v1")) // refused: still in the plan
	if err := r.SetPlan(strategy.BigBang("v2")); err != nil {
		panic(err)
	}
	fmt.Println(r.RemoveVariant(ctx, "v1"))
	out, _ := r.Predict(ctx, router.Unit{Key: "user-1"}, "input")
	fmt.Println(out)
	// Output:
	// router: variant in use by the current plan: "v1" (set a plan that does not name it first)
	// <nil>
	// v2
}

// A bad plan is refused with an error naming the field, and the old plan
// keeps serving.
func ExampleRouter_SetPlan() {
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v1": constant("v1"), "v2": constant("v2")},
		Plan:     strategy.BigBang("v1"),
	})
	if err != nil {
		panic(err)
	}
	defer r.Close(context.Background())

	bad := strategy.ABTest("exp", strategy.Split{{Variant: "v1", Weight: 50}, {Variant: "v2", Weight: 40}})
	fmt.Println(r.SetPlan(bad))
	fmt.Println(r.SetPlan(strategy.BigBang("v3")))
	fmt.Println(r.Plan().Name)
	// Output:
	// strategy: default: weights sum to 90, want 100
	// strategy: default[0].variant: unknown variant "v3"
	// bigbang
}

// Pin one decision for all the model calls of a request.
func ExampleRouter_Pin() {
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v1": constant("v1"), "v2": constant("v2")},
		Plan:     strategy.BigBang("v1"),
	})
	if err != nil {
		panic(err)
	}
	defer r.Close(context.Background())

	ctx, d := r.Pin(context.Background(), router.Unit{Key: "user-1"})
	_ = r.SetPlan(strategy.BigBang("v2")) // a swap in the middle of the request
	step1, _ := r.Predict(ctx, router.Unit{Key: "user-1"}, "embed")
	step2, _ := r.Predict(ctx, router.Unit{Key: "user-1"}, "rank")
	fmt.Println(d.Variant, step1, step2)
	// Output: v1 v1 v1
}

// Build a router over two model versions with a 10% sticky canary.
func ExampleNew() {
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v1": constant("v1"), "v2": constant("v2")},
		Plan:     strategy.Canary("v1", "v2", 10),
	})
	if err != nil {
		panic(err)
	}
	defer r.Close(context.Background())
	fmt.Println(r.Plan().Name, r.Plan().Default)

	// A plan naming a variant that is not registered is refused.
	_, err = router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v1": constant("v1")},
		Plan:     strategy.Canary("v1", "v2", 10),
	})
	fmt.Println(errors.Is(err, router.ErrUnknownVariant))
	// Output:
	// canary/v2 [{v1 90} {v2 10}]
	// true
}

// Predict in a handler: the unit's key makes the assignment sticky.
func ExampleRouter_Predict() {
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v1": constant("v1"), "v2": constant("v2")},
		Plan:     strategy.Canary("v1", "v2", 50),
	})
	if err != nil {
		panic(err)
	}
	defer r.Close(context.Background())

	ctx := context.Background()
	counts := map[string]int{}
	for i := range 10_000 {
		out, err := r.Predict(ctx, router.Unit{Key: fmt.Sprintf("user-%d", i)}, "features")
		if err != nil {
			panic(err)
		}
		counts[out]++
	}
	again, _ := r.Predict(ctx, router.Unit{Key: "user-42"}, "features")
	first, _ := r.Predict(ctx, router.Unit{Key: "user-42"}, "features")
	fmt.Println(counts["v1"] > 4800 && counts["v2"] > 4800, again == first)
	// Output: true true
}

// Close stops admitting requests, waits for those in flight and closes the
// predictors; a Close whose context ended can be called again to finish.
func ExampleRouter_Close() {
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v1": constant("v1")},
		Plan:     strategy.BigBang("v1"),
	})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	fmt.Println(r.Close(ctx))
	_, err = r.Predict(context.Background(), router.Unit{Key: "u"}, "x")
	fmt.Println(err)
	// Output:
	// <nil>
	// router: closed
}

// A collector reads the router's aggregates into one Metrics it keeps, so
// that a warm read reuses its memory.
func ExampleRouter_ReadMetrics() {
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v1": constant("v1"), "v2": constant("v2")},
		Plan:     strategy.Canary("v1", "v2", 20),
	})
	if err != nil {
		panic(err)
	}
	defer r.Close(context.Background())
	for i := range 1000 {
		_, _ = r.Predict(context.Background(), router.Unit{Key: fmt.Sprint("user-", i)}, "in")
	}

	var m router.Metrics // kept between reads
	for range 2 {
		r.ReadMetrics(&m)
	}
	for _, rm := range m.Requests {
		fmt.Println(rm.Variant, rm.Reason, rm.Outcome, rm.Latency.Count())
	}
	// Output:
	// v1 default ok 803
	// v2 default ok 197
}
