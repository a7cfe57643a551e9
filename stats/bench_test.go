package stats

import (
	"math/rand/v2"
	"testing"
)

func benchData(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 100 * rng.ExpFloat64()
	}
	return xs
}

func BenchmarkSummarize(b *testing.B) {
	xs := benchData(1_000_000, 1)
	b.SetBytes(8 * int64(len(xs)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Summarize(xs)
	}
	b.ReportMetric(float64(len(xs))*float64(b.N)/b.Elapsed().Seconds(), "values/s")
}

func BenchmarkSummaryAdd(b *testing.B) {
	var s Summary
	b.ReportAllocs()
	x := 1.0
	for b.Loop() {
		s.Add(x)
		x += 0.5
	}
}

func BenchmarkWelchTTest(b *testing.B) {
	c, t := NewSummary(100_000_000, 0, 1), NewSummary(100_000_000, 0.0003, 1)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = WelchTTest(c, t, TwoSided, 0.95)
	}
}

func BenchmarkTwoProportionZTest(b *testing.B) {
	c, t := Proportion{200, 10000}, Proportion{245, 10000}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = TwoProportionZTest(c, t, TwoSided, 0.95)
	}
}

func BenchmarkMannWhitneyU(b *testing.B) {
	c, t := benchData(1_000_000, 2), benchData(1_000_000, 3)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = MannWhitneyU(c, t, TwoSided)
	}
}

func BenchmarkChiSquareGoodnessOfFit(b *testing.B) {
	obs, shares := []int64{50123, 49877, 50010}, []float64{1, 1, 1}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ChiSquareGoodnessOfFit(obs, shares)
	}
}

func BenchmarkProbabilityToBeat(b *testing.B) {
	c, t := Proportion{10000, 1_000_000}, Proportion{10150, 1_000_000}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ProbabilityToBeat(c, t)
	}
}
