package shadow_test

import (
	"context"
	"fmt"
	"time"

	"github.com/varroute/varroute/shadow"
)

// A shadow task as a router would build it: the request's input and the
// primary's answer.
type mirror struct {
	in      string
	primary string
}

// upper is a model that upper-cases its input; it bills a customer unless
// it runs as a shadow.
type upper struct{ billed *int }

func (m upper) Predict(ctx context.Context, in string) (string, error) {
	if !shadow.IsShadow(ctx) {
		*m.billed++ // a side effect a shadow must not repeat
	}
	out := []byte(in)
	for i, c := range out {
		if 'a' <= c && c <= 'z' {
			out[i] = c - 'a' + 'A'
		}
	}
	return string(out), nil
}

// The pool runs each mirrored request in the background; Call compares the
// shadow's answer with the primary's; the Aggregator summarizes.
func ExamplePool() {
	billed := 0
	var candidate shadow.Predictor[string, string] = upper{billed: &billed}
	agg := shadow.NewAggregator(0.95)

	pool, err := shadow.NewPool(shadow.Config{MaxInFlight: 4, Timeout: time.Second},
		func(ctx context.Context, t mirror) error {
			_, c := shadow.Call(ctx, candidate, t.in, t.primary, shadow.Equal[string])
			info, _ := shadow.FromContext(ctx)
			c.Primary, c.Shadow = info.Primary, info.Shadow
			agg.Record(ctx, c)
			return c.Err
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	info := shadow.Info{Primary: "v1", Shadow: "v2"}
	for _, t := range []mirror{{"cat", "CAT"}, {"dog", "DOG"}, {"owl", "0WL"}} {
		pool.TrySubmit(context.Background(), info, t) // never blocks
	}
	if err := pool.Close(context.Background()); err != nil {
		fmt.Println(err)
	}

	s := pool.Stats()
	fmt.Printf("submitted %d, completed %d, dropped %d, billed %d\n", s.Submitted, s.Completed, s.Dropped, billed)
	r, _ := agg.Report().Row("v1", "v2")
	fmt.Printf("v2 agrees with v1 on %d of %d: %.2f [%.2f, %.2f]\n",
		r.Agreements, r.Answered, r.AgreementRate, r.AgreementLow, r.AgreementHigh)
	// Output:
	// submitted 3, completed 3, dropped 0, billed 0
	// v2 agrees with v1 on 2 of 3: 0.67 [0.21, 0.94]
}

func ExampleFromContext() {
	predict := func(ctx context.Context) string {
		if info, ok := shadow.FromContext(ctx); ok {
			return "shadow of " + info.Primary + ": skip the email"
		}
		return "primary: send the email"
	}
	ctx := context.Background()
	fmt.Println(predict(ctx))
	fmt.Println(predict(shadow.NewContext(ctx, shadow.Info{Primary: "v1", Shadow: "v2"})))
	// Output:
	// primary: send the email
	// shadow of v1: skip the email
}

func ExampleAggregator() {
	agg := shadow.NewAggregator(0.95)
	ctx := context.Background()
	for i := range 1000 {
		// The candidate disagrees with the primary on 10% of requests, the
		// primary with itself (the noise floor) on 4%.
		agg.Record(ctx, shadow.Comparison{Primary: "v1", Shadow: "v2", Agreed: i%10 != 0,
			PrimaryLatency: time.Millisecond, ShadowLatency: 3 * time.Millisecond})
		agg.Record(ctx, shadow.Comparison{Primary: "v1", Shadow: "v1", NoiseFloor: true, Agreed: i%25 != 0})
	}
	r, _ := agg.Report().Row("v1", "v2")
	fmt.Printf("agreement %.3f [%.3f, %.3f], errors %.3f\n", r.AgreementRate, r.AgreementLow, r.AgreementHigh, r.ErrorRate)
	fmt.Printf("latency p50 primary %v, shadow %v\n", r.PrimaryLatency.P50, r.ShadowLatency.P50)
	fmt.Printf("disagreement %.3f = noise %.3f + excess %.3f [%.3f, %.3f], significant: %v\n",
		r.Noise.Disagreement, r.Noise.NoiseDisagreement, r.Noise.Excess, r.Noise.Low, r.Noise.High, r.Noise.Significant())
	// Output:
	// agreement 0.900 [0.880, 0.917], errors 0.000
	// latency p50 primary 1ms, shadow 3ms
	// disagreement 0.100 = noise 0.040 + excess 0.060 [0.038, 0.083], significant: true
}

func ExampleTopKAgree() {
	agree := shadow.TopKAgree(2, 0) // the same two best classes, in any order
	primary := []float64{0.50, 0.30, 0.15, 0.05}
	fmt.Println(agree(primary, []float64{0.35, 0.45, 0.15, 0.05}))
	fmt.Println(agree(primary, []float64{0.50, 0.10, 0.35, 0.05}))
	fmt.Println(shadow.ArgmaxAgree(primary, []float64{0.50, 0.10, 0.35, 0.05}))
	// Output:
	// true
	// false
	// true
}

func ExampleFloatTolerance() {
	close := shadow.FloatTolerance(1e-6, 0.01) // 1% relative, or 1e-6 absolute near 0
	fmt.Println(close(100, 100.9), close(100, 102), close(0, 1e-7))
	// Output:
	// true false true
}

func ExampleBy() {
	type prediction struct {
		Label string
		Score float64
	}
	sameLabel := shadow.By(func(p prediction) string { return p.Label }, shadow.Equal[string])
	fmt.Println(sameLabel(prediction{"cat", 0.9}, prediction{"cat", 0.7}))
	// Output:
	// true
}

func ExamplePSI() {
	primary := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}
	same := []float64{0.105, 0.205, 0.305, 0.405, 0.505, 0.605, 0.705, 0.805, 0.905, 1.0}
	shifted := []float64{0.6, 0.7, 0.7, 0.8, 0.8, 0.9, 0.9, 1.0, 1.0, 1.0}
	fmt.Printf("PSI same %.2f, shifted %.2f\n", shadow.PSI(primary, same, 5), shadow.PSI(primary, shifted, 5))
	fmt.Printf("KS  same %.2f, shifted %.2f\n", shadow.KS(primary, same), shadow.KS(primary, shifted))
	// Output:
	// PSI same 0.00, shifted 3.52
	// KS  same 0.10, shifted 0.50
}

func ExampleDrift() {
	d := shadow.NewDrift(100)
	for i := range 300 {
		score := float64(i%100) / 100
		d.Add(score, score*0.8) // the candidate scores 20% lower
	}
	fmt.Printf("window %d, KS %.2f, PSI %.2f\n", d.Len(), d.KS(), d.PSI(10))
	// Output:
	// window 100, KS 0.20, PSI 0.94
}
