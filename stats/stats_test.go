package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestSummaryMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name   string
		offset float64
		spread float64
		n      int
	}{
		{"standard", 0, 1, 10001},
		{"around-1e9-small-spread", 1e9, 1e-3, 20000},
		{"around-1e12", 1e12, 0.5, 5000},
		{"negative", -3e8, 2, 777},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			xs := make([]float64, tc.n)
			for i := range xs {
				xs[i] = tc.offset + tc.spread*rng.NormFloat64()
			}
			// Exact two-pass reference with compensated sums.
			var mean float64
			for _, x := range xs {
				mean += (x - tc.offset)
			}
			rel := mean / float64(tc.n)
			mean = rel + tc.offset
			var ss float64
			for _, x := range xs {
				d := (x - tc.offset) - rel
				ss += d * d
			}
			want := ss / float64(tc.n-1)

			all := Summarize(xs)
			var merged Summary
			for i := 0; i < len(xs); i += 333 {
				merged = merged.Merge(Summarize(xs[i:min(i+333, len(xs))]))
			}
			var added Summary
			for _, x := range xs {
				added.Add(x)
			}
			for _, s := range []struct {
				name string
				s    Summary
			}{{"Summarize", all}, {"Merge", merged}, {"Add", added}} {
				if s.s.N() != int64(tc.n) {
					t.Errorf("%s: N = %d", s.name, s.s.N())
				}
				if math.Abs(s.s.Mean()-mean) > 1e-12*math.Max(1, math.Abs(mean)) {
					t.Errorf("%s: Mean = %.17g, want %.17g", s.name, s.s.Mean(), mean)
				}
				if math.Abs(s.s.Variance()-want) > 1e-9*want {
					t.Errorf("%s: Variance = %.17g, want %.17g", s.name, s.s.Variance(), want)
				}
			}
		})
	}
}

func TestSummaryEdges(t *testing.T) {
	tests := []struct {
		name     string
		s        Summary
		n        int64
		mean, vr float64
	}{
		{"zero", Summary{}, 0, 0, 0},
		{"one", Summarize([]float64{3}), 1, 3, 0},
		{"new", NewSummary(10, 2, 4), 10, 2, 4},
		{"new-one", NewSummary(1, 2, 4), 1, 2, 0},
		{"new-negative", NewSummary(-5, 2, 4), 0, 0, 0},
		{"merge-empty", NewSummary(3, 1, 1).Merge(Summary{}), 3, 1, 1},
		{"empty-merge", Summary{}.Merge(NewSummary(3, 1, 1)), 3, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.s.N() != tc.n || tc.s.Mean() != tc.mean || math.Abs(tc.s.Variance()-tc.vr) > 1e-15 {
				t.Errorf("got (%d, %v, %v), want (%d, %v, %v)", tc.s.N(), tc.s.Mean(), tc.s.Variance(), tc.n, tc.mean, tc.vr)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	ok := NewSummary(10, 1, 1)
	p := Proportion{5, 10}
	call := func(f func() error) error { return f() }
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"welch-n1", call(func() error { _, e := WelchTTest(NewSummary(1, 0, 0), ok, TwoSided, 0.95); return e }), ErrInsufficientData},
		{"welch-nan", call(func() error { _, e := WelchTTest(NewSummary(5, math.NaN(), 1), ok, TwoSided, 0.95); return e }), ErrInvalidInput},
		{"welch-conf", call(func() error { _, e := WelchTTest(ok, ok, TwoSided, 1); return e }), ErrInvalidInput},
		{"welch-alt", call(func() error { _, e := WelchTTest(ok, ok, Alternative(7), 0.9); return e }), ErrInvalidInput},
		{"welch-zero-var", call(func() error { _, e := WelchTTest(NewSummary(5, 1, 0), NewSummary(5, 2, 0), TwoSided, 0.9); return e }), ErrInsufficientData},
		{"student-inf", call(func() error { _, e := StudentTTest(ok, NewSummary(5, 1, math.Inf(1)), Less, 0.9); return e }), ErrInvalidInput},
		{"z-zero-trials", call(func() error { _, e := TwoProportionZTest(Proportion{}, p, TwoSided, 0.95); return e }), ErrInsufficientData},
		{"z-negative", call(func() error { _, e := TwoProportionZTest(Proportion{-1, 10}, p, TwoSided, 0.95); return e }), ErrInvalidInput},
		{"z-too-many", call(func() error { _, e := TwoProportionZTest(Proportion{11, 10}, p, TwoSided, 0.95); return e }), ErrInvalidInput},
		{"z-no-variation", call(func() error {
			_, e := TwoProportionZTest(Proportion{0, 10}, Proportion{0, 5}, TwoSided, 0.95)
			return e
		}), ErrInsufficientData},
		{"mwu-empty", call(func() error { _, e := MannWhitneyU(nil, []float64{1}, TwoSided); return e }), ErrInsufficientData},
		{"mwu-nan", call(func() error { _, e := MannWhitneyU([]float64{math.NaN()}, []float64{1}, TwoSided); return e }), ErrInvalidInput},
		{"mwu-all-tied", call(func() error { _, e := MannWhitneyU([]float64{1, 1}, []float64{1}, TwoSided); return e }), ErrInsufficientData},
		{"gof-zero", call(func() error { _, e := ChiSquareGoodnessOfFit([]int64{0, 0}, []float64{1, 1}); return e }), ErrInsufficientData},
		{"gof-len", call(func() error { _, e := ChiSquareGoodnessOfFit([]int64{1, 2}, []float64{1}); return e }), ErrInvalidInput},
		{"gof-neg", call(func() error { _, e := ChiSquareGoodnessOfFit([]int64{-1, 2}, []float64{1, 1}); return e }), ErrInvalidInput},
		{"gof-share", call(func() error { _, e := ChiSquareGoodnessOfFit([]int64{1, 2}, []float64{1, 0}); return e }), ErrInvalidInput},
		{"ind-ragged", call(func() error { _, e := ChiSquareIndependence([][]int64{{1, 2}, {3}}); return e }), ErrInvalidInput},
		{"ind-zero-row", call(func() error { _, e := ChiSquareIndependence([][]int64{{1, 2}, {0, 0}}); return e }), ErrInsufficientData},
		{"ind-one-row", call(func() error { _, e := ChiSquareIndependence([][]int64{{1, 2}}); return e }), ErrInsufficientData},
		{"ptb-zero", call(func() error { _, e := ProbabilityToBeat(Proportion{}, p); return e }), ErrInsufficientData},
		{"ptb-bad", call(func() error { _, e := ProbabilityToBeat(p, Proportion{3, 2}); return e }), ErrInvalidInput},
		{"ssp-alpha", call(func() error { _, e := SampleSizeProportions(0.1, 0.01, 0, 0.8, TwoSided); return e }), ErrInvalidInput},
		{"ssp-power", call(func() error { _, e := SampleSizeProportions(0.1, 0.01, 0.05, 1, TwoSided); return e }), ErrInvalidInput},
		{"ssp-mde0", call(func() error { _, e := SampleSizeProportions(0.1, 0, 0.05, 0.8, TwoSided); return e }), ErrInvalidInput},
		{"ssp-baseline", call(func() error { _, e := SampleSizeProportions(1, 0.01, 0.05, 0.8, TwoSided); return e }), ErrInvalidInput},
		{"ssm-sd", call(func() error { _, e := SampleSizeMeans(-1, 0.1, 0.05, 0.8, TwoSided); return e }), ErrInvalidInput},
		{"ssm-mde0", call(func() error { _, e := SampleSizeMeans(1, 0, 0.05, 0.8, TwoSided); return e }), ErrInvalidInput},
		{"cuped-short", call(func() error { _, _, e := CUPED([]float64{1}, []float64{2}); return e }), ErrInsufficientData},
		{"cuped-len", call(func() error { _, _, e := CUPED([]float64{1, 2}, []float64{2}); return e }), ErrInvalidInput},
		{"cuped-const", call(func() error { _, _, e := CUPED([]float64{1, 2}, []float64{2, 2}); return e }), ErrInsufficientData},
		{"msprt-tau", call(func() error { _, e := MixtureSPRT(ok, ok, -1); return e }), ErrInvalidInput},
		{"msprt-n1", call(func() error { _, e := MixtureSPRT(NewSummary(1, 0, 0), ok, 1); return e }), ErrInsufficientData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.want) {
				t.Fatalf("error = %v, want %v", tc.err, tc.want)
			}
			if msg := tc.err.Error(); len(msg) < 7 || msg[:7] != "stats: " {
				t.Errorf("error %q does not start with \"stats: \"", msg)
			}
		})
	}
}

func TestMannWhitneyLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large sample")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	c, tr := make([]float64, 1_000_000), make([]float64, 1_000_000)
	for i := range c {
		c[i] = math.Round(100 * rng.ExpFloat64())
		tr[i] = math.Round(101 * rng.ExpFloat64())
	}
	r, err := MannWhitneyU(c, tr, Greater)
	if err != nil {
		t.Fatal(err)
	}
	if !(r.PValue >= 0 && r.PValue <= 1) || r.Effect <= 0.5 {
		t.Errorf("result %+v", r)
	}
}

func TestSummarizeAllocs(t *testing.T) {
	xs := make([]float64, 4096)
	if n := testing.AllocsPerRun(10, func() { _ = Summarize(xs) }); n != 0 {
		t.Fatalf("Summarize: %v allocs, want 0", n)
	}
}
