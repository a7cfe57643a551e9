package stats_test

import (
	"fmt"

	"github.com/varroute/varroute/stats"
)

// Conversion rates of two variants: is B's lift significant?
func ExampleTwoProportionZTest() {
	a := stats.Proportion{Successes: 200, Trials: 10000} // control: 2.00%
	b := stats.Proportion{Successes: 245, Trials: 10000} // treatment: 2.45%
	r, err := stats.TwoProportionZTest(a, b, stats.TwoSided, 0.95)
	if err != nil {
		panic(err)
	}
	fmt.Printf("z=%.3f p=%.4f lift=%+.2fpp CI=[%+.2fpp, %+.2fpp]\n",
		r.Statistic, r.PValue, 100*r.Effect, 100*r.CI.Lo, 100*r.CI.Hi)
	// Output: z=2.157 p=0.0310 lift=+0.45pp CI=[+0.04pp, +0.86pp]
}

// Average order value from streaming summaries of two variants.
func ExampleWelchTTest() {
	control := stats.Summarize([]float64{20, 22, 19, 24, 21, 23, 20, 22})
	var treatment stats.Summary
	for _, x := range []float64{23, 25, 22, 27, 24, 26, 23} {
		treatment.Add(x)
	}
	r, err := stats.WelchTTest(control, treatment, stats.Greater, 0.95)
	if err != nil {
		panic(err)
	}
	fmt.Printf("t=%.3f df=%.2f p=%.5f diff=%.3f CI=[%.3f, %v]\n", r.Statistic, r.DF, r.PValue, r.Effect, r.CI.Lo, r.CI.Hi)
	// Output: t=3.219 df=12.45 p=0.00353 diff=2.911 CI=[1.304, +Inf]
}

// Pooled-variance t test on aggregated data (n, mean, variance per group).
func ExampleStudentTTest() {
	control := stats.NewSummary(5000, 12.0, 9.0)
	treatment := stats.NewSummary(5000, 12.2, 9.0)
	r, err := stats.StudentTTest(control, treatment, stats.TwoSided, 0.95)
	if err != nil {
		panic(err)
	}
	fmt.Printf("t=%.3f df=%.0f p=%.4f CI=[%.4f, %.4f]\n", r.Statistic, r.DF, r.PValue, r.CI.Lo, r.CI.Hi)
	// Output: t=3.333 df=9998 p=0.0009 CI=[0.0824, 0.3176]
}

// Latency samples: a candidate is worse if its latencies tend to be larger.
func ExampleMannWhitneyU() {
	baseline := []float64{12, 15, 11, 14, 13, 18, 12, 16, 13, 14}
	candidate := []float64{15, 19, 14, 17, 21, 16, 18, 15, 20, 17}
	r, err := stats.MannWhitneyU(baseline, candidate, stats.Greater)
	if err != nil {
		panic(err)
	}
	fmt.Printf("U=%.1f p=%.5f P(candidate slower)=%.3f\n", r.Statistic, r.PValue, r.Effect)
	// Output: U=87.0 p=0.00278 P(candidate slower)=0.870
}

// Sample-ratio mismatch: a 50/50 split that delivered 50,900 / 49,100 users.
func ExampleChiSquareGoodnessOfFit() {
	r, err := stats.ChiSquareGoodnessOfFit([]int64{50900, 49100}, []float64{0.5, 0.5})
	if err != nil {
		panic(err)
	}
	fmt.Printf("chi2=%.2f df=%.0f p=%.3g\n", r.Statistic, r.DF, r.PValue)
	// Output: chi2=32.40 df=1 p=1.25e-08
}

// Outcome distribution (converted / not) across three variants.
func ExampleChiSquareIndependence() {
	r, err := stats.ChiSquareIndependence([][]int64{
		{120, 880},
		{150, 850},
		{135, 865},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("chi2=%.3f df=%.0f p=%.4f\n", r.Statistic, r.DF, r.PValue)
	// Output: chi2=3.854 df=2 p=0.1456
}

// Five metrics tested at once: adjust before reading significance.
func ExampleHolmBonferroni() {
	p := []float64{0.01, 0.04, 0.03, 0.20, 0.005}
	fmt.Printf("%.3f\n", stats.HolmBonferroni(p))
	// Output: [0.040 0.090 0.090 0.200 0.025]
}

func ExampleBenjaminiHochberg() {
	p := []float64{0.01, 0.04, 0.03, 0.20, 0.005}
	fmt.Printf("%.4f\n", stats.BenjaminiHochberg(p))
	// Output: [0.0250 0.0500 0.0500 0.2000 0.0250]
}

// Bayesian read-out of the same conversion data.
func ExampleProbabilityToBeat() {
	p, err := stats.ProbabilityToBeat(
		stats.Proportion{Successes: 200, Trials: 10000},
		stats.Proportion{Successes: 245, Trials: 10000})
	if err != nil {
		panic(err)
	}
	fmt.Printf("P(B beats A) = %.4f\n", p)
	// Output: P(B beats A) = 0.9845
}

// Planning: users per variant to detect 10% -> 11% conversion.
func ExampleSampleSizeProportions() {
	n, err := stats.SampleSizeProportions(0.10, 0.01, 0.05, 0.8, stats.TwoSided)
	if err != nil {
		panic(err)
	}
	fmt.Println(n)
	// Output: 14751
}

func ExampleSampleSizeMeans() {
	n, err := stats.SampleSizeMeans(15, 1, 0.05, 0.8, stats.TwoSided)
	if err != nil {
		panic(err)
	}
	fmt.Println(n)
	// Output: 3532
}

// CUPED: pre-period spend explains most of the in-experiment spend.
func ExampleCUPED() {
	pre := []float64{10, 12, 9, 15, 11, 14, 8, 13}
	post := []float64{11, 13, 9, 16, 12, 15, 9, 13}
	adj, theta, err := stats.CUPED(post, pre)
	if err != nil {
		panic(err)
	}
	before, after := stats.Summarize(post), stats.Summarize(adj)
	fmt.Printf("theta=%.3f variance %.2f -> %.3f\n", theta, before.Variance(), after.Variance())
	// Output: theta=1.024 variance 6.50 -> 0.211
}

// Always-valid monitoring: the p-value may be read after every batch.
func ExampleMixtureSPRT() {
	control := stats.NewSummary(20000, 5.0, 4.0)
	treatment := stats.NewSummary(20000, 5.2, 4.0)
	r, err := stats.MixtureSPRT(control, treatment, 0.04)
	if err != nil {
		panic(err)
	}
	fmt.Printf("Lambda=%.3g p=%.3g\n", r.Statistic, r.PValue)
	// Output: Lambda=3.14e+20 p=3.18e-21
}
