package shadow_test

import (
	"context"
	"fmt"
	"time"

	"github.com/varroute/varroute/shadow"
)

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
	for i := range 1000 {
		// The candidate disagrees with the primary on 10% of requests, the
		// primary with itself (the noise floor) on 4%.
		agg.Add(shadow.Comparison{Primary: "v1", Shadow: "v2", Agreed: i%10 != 0,
			PrimaryLatency: time.Millisecond, ShadowLatency: 3 * time.Millisecond})
		agg.Add(shadow.Comparison{Primary: "v1", Shadow: "v1", NoiseFloor: true, Agreed: i%25 != 0})
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

// DriftSink turns a Drift into a router's sink (router.Config.ShadowSinks);
// here it is fed by hand as the router would, one comparison at a time.
func ExampleDriftSink() {
	d := shadow.NewDrift(100)
	sink := shadow.DriftSink(d, "v2", func(scores []float64) float64 { return scores[shadow.Argmax(scores)] })
	ctx := context.Background()
	for i := range 100 {
		p := float64(i%10) / 10
		c := shadow.Comparison{Primary: "v1", Shadow: "v2", Agreed: true}
		sink.Record(ctx, c, []float64{p, 1 - p}, []float64{p * 0.9, 1 - p*0.9})
	}
	sink.Record(ctx, shadow.Comparison{Primary: "v1", Shadow: "v2", Err: context.DeadlineExceeded}, nil, nil) // failed calls are left out
	fmt.Printf("window %d, KS %.2f\n", d.Len(), d.KS())
	// Output:
	// window 100, KS 0.10
}
