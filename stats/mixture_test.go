package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// halfNormalMixture returns the one-sided mixture likelihood ratio at
// z = (estimate - null)/sqrt(variance) by numerical integration over the
// half-normal prior: an independent check of the closed form MixtureRadius
// inverts.
func halfNormalMixture(z, variance, tau2 float64) float64 {
	// LR(theta) = exp(theta*X - theta^2*I/2), X = z*sqrt(I), I = 1/variance.
	info := 1 / variance
	x := z * math.Sqrt(info)
	tau := math.Sqrt(tau2)
	const steps = 200000
	top := 12 * tau
	h := top / steps
	var sum float64
	for i := range steps + 1 {
		th := float64(i) * h
		w := 2 * math.Exp(-th*th/(2*tau2)) / (tau * math.Sqrt(2*math.Pi))
		f := math.Exp(th*x-th*th*info/2) * w
		if i == 0 || i == steps {
			f /= 2
		}
		sum += f
	}
	return sum * h
}

func TestMixtureRadius(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		variance, tau2, alpha float64
	}{
		{"variance near tau2", 1e-4, 1e-4, 0.05},
		{"small variance", 1e-6, 1e-4, 0.01},
		{"large variance", 1e-2, 1e-4, 0.05},
		{"tiny alpha", 1e-5, 1e-4, 1e-6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := MixtureRadius(tc.variance, tc.tau2, tc.alpha)
			got := halfNormalMixture(r/math.Sqrt(tc.variance), tc.variance, tc.tau2)
			if math.Abs(got*tc.alpha-1) > 1e-6 {
				t.Fatalf("Lambda+ at the radius %v = %v, want 1/alpha = %v", r, got, 1/tc.alpha)
			}
		})
	}
	for _, tc := range []struct {
		name                  string
		variance, tau2, alpha float64
		want                  float64
	}{
		{"zero variance", 0, 1, 0.05, 0},
		{"zero tau2", 1, 0, 0.05, math.Inf(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MixtureRadius(tc.variance, tc.tau2, tc.alpha); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	for _, bad := range [][3]float64{{-1, 1, 0.05}, {math.NaN(), 1, 0.05}, {1, math.Inf(1), 0.05}, {1, 1, 0}, {1, 1, 1}} {
		if got := MixtureRadius(bad[0], bad[1], bad[2]); !math.IsNaN(got) {
			t.Errorf("MixtureRadius%v = %v, want NaN", bad, got)
		}
	}
	// The radius grows with the variance.
	prev := 0.0
	for v := 1e-9; v < 1e3; v *= 3 {
		r := MixtureRadius(v, 1e-2, 0.05)
		if !(r > prev) {
			t.Fatalf("radius %v at variance %v not above %v", r, v, prev)
		}
		prev = r
	}
}

// TestMixtureRadiusCoverage watches a Gaussian random walk's mean after every
// observation and counts the runs whose true mean ever leaves the upper
// bound: at most alpha (Ville's inequality), and in practice well below.
func TestMixtureRadiusCoverage(t *testing.T) {
	const runs, n, alpha = 2000, 2000, 0.05
	radius := make([]float64, n+1)
	for i := 1; i <= n; i++ {
		radius[i] = MixtureRadius(1/float64(i), 0.01, alpha)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	miss := 0
	for range runs {
		var sum float64
		for i := 1; i <= n; i++ {
			sum += rng.NormFloat64()
			if sum/float64(i)+radius[i] < 0 {
				miss++
				break
			}
		}
	}
	// alpha = 5% of 2,000 runs is 100; the binomial 99.9% upper bound is 131.
	if miss > 131 {
		t.Fatalf("the true mean left the always-valid bound in %d of %d runs, want at most %v", miss, runs, alpha)
	}
	t.Logf("missed in %d of %d runs", miss, runs)
}

func TestMixtureSampleSize(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		variance, gap, tau2, alpha float64
	}{
		{"error rate", 0.0099, 0.0025, 1e-4, 0.01},
		{"log latency", 0.25, 0.05, 0.05, 0.05},
		{"easy", 1, 10, 1, 0.05},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := MixtureSampleSize(tc.variance, tc.gap, tc.tau2, tc.alpha)
			if err != nil {
				t.Fatal(err)
			}
			if r := MixtureRadius(tc.variance/float64(n), tc.tau2, tc.alpha); r > tc.gap {
				t.Fatalf("n=%d: radius %v > gap %v", n, r, tc.gap)
			}
			if n > 1 {
				if r := MixtureRadius(tc.variance/float64(n-1), tc.tau2, tc.alpha); r <= tc.gap {
					t.Fatalf("n-1=%d already has radius %v <= gap %v", n-1, r, tc.gap)
				}
			}
		})
	}
	for _, bad := range [][4]float64{{-1, 1, 1, 0.05}, {1, 0, 1, 0.05}, {1, 1, 0, 0.05}, {1, 1, 1, 1}, {1, 1e-300, 1, 0.05}} {
		if _, err := MixtureSampleSize(bad[0], bad[1], bad[2], bad[3]); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("MixtureSampleSize%v: %v, want ErrInvalidInput", bad, err)
		}
	}
}

func TestMixtureSPRTBurnIn(t *testing.T) {
	ok := NewSummary(MixtureMinN, 0, 1)
	short := NewSummary(MixtureMinN-1, 0, 1)
	if _, err := MixtureSPRT(short, ok, 1); !errors.Is(err, ErrInsufficientData) {
		t.Fatalf("control below the burn-in: %v", err)
	}
	if _, err := MixtureSPRT(ok, short, 1); !errors.Is(err, ErrInsufficientData) {
		t.Fatalf("treatment below the burn-in: %v", err)
	}
	if _, err := MixtureSPRT(ok, ok, 1); err != nil {
		t.Fatalf("at the burn-in: %v", err)
	}
}

// TestSequentialBinomialMartingale checks the property the test's validity
// rests on: under p0, the expected next Lambda equals the current one, for
// every count along a path.
func TestSequentialBinomialMartingale(t *testing.T) {
	for _, tc := range []struct {
		name string
		x, n int64
		p0   float64
	}{
		{"start", 0, 0, 0.05},
		{"balanced", 480, 1000, 0.5},
		{"skewed", 30, 1000, 0.01},
		{"large", 2_400_000, 10_000_000, 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now, err := SequentialBinomial(tc.x, tc.n, tc.p0)
			if err != nil {
				t.Fatal(err)
			}
			yes, _ := SequentialBinomial(tc.x+1, tc.n+1, tc.p0)
			no, _ := SequentialBinomial(tc.x, tc.n+1, tc.p0)
			next := tc.p0*yes.Statistic + (1-tc.p0)*no.Statistic
			if math.Abs(next/now.Statistic-1) > 1e-6 {
				t.Fatalf("E[Lambda next] = %v, Lambda = %v", next, now.Statistic)
			}
		})
	}
}

func TestSequentialBinomial(t *testing.T) {
	for _, tc := range []struct {
		name       string
		x, n       int64
		p0         float64
		wantReject bool
	}{
		{"on the weight", 5000, 10000, 0.5, false},
		{"one percent step", 1010, 100000, 0.01, false},
		{"5% of the arm lost at 50%", 48_700, 100_000, 0.5, true},
		{"gross mismatch early", 60, 100, 0.05, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := SequentialBinomial(tc.x, tc.n, tc.p0)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.PValue < 0.001; got != tc.wantReject {
				t.Fatalf("p = %v, want rejected at 0.001: %v", r.PValue, tc.wantReject)
			}
		})
	}
	for _, bad := range [][2]int64{{-1, 10}, {11, 10}} {
		if _, err := SequentialBinomial(bad[0], bad[1], 0.5); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%v: %v, want ErrInvalidInput", bad, err)
		}
	}
	if _, err := SequentialBinomial(1, 10, 1); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("p0 = 1: %v, want ErrInvalidInput", err)
	}
}

// TestSequentialBinomialAA watches A/A splits after every unit and counts the
// runs whose p-value ever falls below alpha: at most alpha.
func TestSequentialBinomialAA(t *testing.T) {
	const runs, n, alpha, p0 = 400, 3000, 0.05, 0.2
	rng := rand.New(rand.NewPCG(3, 4))
	hits := 0
	for range runs {
		var x int64
		for i := int64(1); i <= n; i++ {
			if rng.Float64() < p0 {
				x++
			}
			if i%10 != 0 {
				continue
			}
			if r, _ := SequentialBinomial(x, i, p0); r.PValue <= alpha {
				hits++
				break
			}
		}
	}
	// 5% of 400 is 20; the binomial 99.9% upper bound is 35.
	if hits > 35 {
		t.Fatalf("%d of %d A/A runs rejected, want at most %v", hits, runs, alpha)
	}
	t.Logf("%d of %d A/A runs rejected", hits, runs)
}

func TestSequentialBinomialInterval(t *testing.T) {
	for _, tc := range []struct {
		name  string
		x, n  int64
		alpha float64
	}{
		{"half", 5000, 10000, 0.05},
		{"rare", 30, 100000, 0.01},
		{"none", 0, 1000, 0.05},
		{"all", 1000, 1000, 0.05},
		{"small", 3, 7, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := SequentialBinomialInterval(tc.x, tc.n, tc.alpha)
			ph := float64(tc.x) / float64(tc.n)
			if !(lo <= ph && ph <= hi && lo >= 0 && hi <= 1) {
				t.Fatalf("[%v, %v] does not hold %v", lo, hi, ph)
			}
			// The ends are where the p-value crosses alpha.
			for _, end := range []float64{lo, hi} {
				if end == 0 || end == 1 {
					continue
				}
				r, _ := SequentialBinomial(tc.x, tc.n, end)
				if math.Abs(r.PValue-tc.alpha) > 1e-6*tc.alpha {
					t.Errorf("p-value at %v = %v, want %v", end, r.PValue, tc.alpha)
				}
			}
		})
	}
	if lo, hi := SequentialBinomialInterval(0, 0, 0.05); lo != 0 || hi != 1 {
		t.Errorf("n = 0: [%v, %v]", lo, hi)
	}
	if lo, _ := SequentialBinomialInterval(2, 1, 0.05); !math.IsNaN(lo) {
		t.Errorf("2 of 1: %v", lo)
	}
}
