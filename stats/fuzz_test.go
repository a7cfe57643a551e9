package stats

import (
	"math"
	"testing"
)

// checkResult fails if a result returned without error holds NaN or Inf
// anywhere other than the documented infinite end of a one-sided interval,
// or a p-value outside [0, 1].
func checkResult(t *testing.T, r Result, alt Alternative) {
	t.Helper()
	for _, v := range []float64{r.Statistic, r.DF, r.PValue, r.Effect} {
		if !finite(v) {
			t.Fatalf("non-finite value in %+v", r)
		}
	}
	if r.PValue < 0 || r.PValue > 1 {
		t.Fatalf("p-value %v out of [0, 1]", r.PValue)
	}
	lo, hi := r.CI.Lo, r.CI.Hi
	if alt == Less && math.IsInf(lo, -1) {
		lo = 0
	}
	if alt == Greater && math.IsInf(hi, 1) {
		hi = 0
	}
	if !finite(lo) || !finite(hi) {
		t.Fatalf("non-finite interval in %+v", r)
	}
}

func FuzzTTests(f *testing.F) {
	f.Add(int64(10), 1.0, 2.0, int64(12), 1.5, 3.0, 0, 0.95)
	f.Add(int64(100000000), 0.0, 1.0, int64(100000000), 0.0015, 1.0, 1, 0.999)
	f.Add(int64(2), 1e300, 1e300, int64(2), -1e300, 0.0, 2, 0.5)
	f.Fuzz(func(t *testing.T, n1 int64, m1, v1 float64, n2 int64, m2, v2 float64, alt int, conf float64) {
		a := Alternative(alt)
		c, tr := NewSummary(n1, m1, v1), NewSummary(n2, m2, v2)
		if r, err := WelchTTest(c, tr, a, conf); err == nil {
			checkResult(t, r, a)
		}
		if r, err := StudentTTest(c, tr, a, conf); err == nil {
			checkResult(t, r, a)
		}
		if r, err := MixtureSPRT(c, tr, math.Abs(v1-v2)); err == nil {
			checkResult(t, r, TwoSided)
		}
	})
}

func FuzzProportions(f *testing.F) {
	f.Add(int64(200), int64(10000), int64(245), int64(10000), 0, 0.95)
	f.Add(int64(0), int64(1), int64(1), int64(1), 1, 0.5)
	f.Add(int64(99999000), int64(100000000), int64(99998900), int64(100000000), 2, 0.9)
	f.Fuzz(func(t *testing.T, s1, n1, s2, n2 int64, alt int, conf float64) {
		a := Alternative(alt)
		c, tr := Proportion{s1, n1}, Proportion{s2, n2}
		if r, err := TwoProportionZTest(c, tr, a, conf); err == nil {
			checkResult(t, r, a)
		}
		// Keep the quadrature fast under the fuzzer.
		if n1 < 1e7 && n2 < 1e7 {
			if p, err := ProbabilityToBeat(c, tr); err == nil && !(p >= 0 && p <= 1) {
				t.Fatalf("ProbabilityToBeat = %v", p)
			}
		}
		if n, err := SampleSizeProportions(conf, float64(s1)/1e6, 0.05, 0.8, a); err == nil && n < 0 {
			t.Fatalf("sample size %d", n)
		}
		if n, err := SampleSizeMeans(float64(s2), float64(n2)/1e3, conf, 0.8, a); err == nil && n < 0 {
			t.Fatalf("sample size %d", n)
		}
	})
}

func floats(b []byte) []float64 {
	out := make([]float64, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		v := float64(int(b[i])-128) * math.Pow(10, float64(int(b[i+1]%24)-12))
		out = append(out, v)
	}
	return out
}

func FuzzSamples(f *testing.F) {
	f.Add([]byte{130, 12, 140, 12, 150, 12}, []byte{131, 12, 141, 12, 129, 12, 200, 12}, 0)
	f.Add([]byte{128, 0, 128, 0}, []byte{128, 0}, 1)
	f.Fuzz(func(t *testing.T, bc, bt []byte, alt int) {
		a := Alternative(alt)
		c, tr := floats(bc), floats(bt)
		if r, err := MannWhitneyU(c, tr, a); err == nil {
			checkResult(t, r, a)
		}
		n := min(len(c), len(tr))
		if adj, theta, err := CUPED(c[:n], tr[:n]); err == nil {
			if !finite(theta) {
				t.Fatalf("theta %v", theta)
			}
			for _, v := range adj {
				if !finite(v) {
					t.Fatalf("adjusted %v", v)
				}
			}
		}
		if r, err := WelchTTest(Summarize(c), Summarize(tr), a, 0.95); err == nil {
			checkResult(t, r, a)
		}
		for _, adj := range [][]float64{HolmBonferroni(c), BenjaminiHochberg(tr)} {
			for _, v := range adj {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("adjusted p %v", v)
				}
			}
		}
	})
}

func FuzzChiSquare(f *testing.F) {
	f.Add([]byte{10, 20, 30, 40}, 2)
	f.Add([]byte{0, 0, 255, 1}, 1)
	f.Fuzz(func(t *testing.T, b []byte, cols int) {
		obs := make([]int64, len(b))
		shares := make([]float64, len(b))
		for i, v := range b {
			obs[i] = int64(v) * int64(v) * int64(v) * 1000
			shares[i] = float64(v%7) + 0.5
		}
		if r, err := ChiSquareGoodnessOfFit(obs, shares); err == nil {
			checkResult(t, r, TwoSided)
		}
		if cols <= 0 || cols > 16 {
			return
		}
		var table [][]int64
		for i := 0; i+cols <= len(obs); i += cols {
			table = append(table, obs[i:i+cols])
		}
		if r, err := ChiSquareIndependence(table); err == nil {
			checkResult(t, r, TwoSided)
		}
	})
}
