package main

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/varroute/varroute/rollout"
)

// binomTail returns P(X >= k) for X ~ Binomial(n, p), by summing the pmf.
func binomTail(k, n int, p float64) float64 {
	var sum float64
	for x := k; x <= n; x++ {
		lc, _ := math.Lgamma(float64(n + 1))
		lx, _ := math.Lgamma(float64(x + 1))
		ly, _ := math.Lgamma(float64(n - x + 1))
		sum += math.Exp(lc - lx - ly + float64(x)*math.Log(p) + float64(n-x)*math.Log1p(-p))
	}
	return sum
}

// TestClopperPearson checks the interval's definition: at lo, P(X >= k) is
// 2.5%; at hi, P(X <= k) is 2.5%.
func TestClopperPearson(t *testing.T) {
	for _, tc := range [][2]int{{0, 500}, {5, 500}, {500, 500}, {24, 1000}, {1, 10}} {
		k, n := tc[0], tc[1]
		lo, hi := clopperPearson(k, n)
		if k == 0 && lo != 0 || k == n && hi != 1 {
			t.Errorf("clopperPearson(%d, %d) = [%v, %v]: an end should be 0 or 1", k, n, lo, hi)
		}
		if k > 0 {
			if got := binomTail(k, n, lo); math.Abs(got-0.025) > 1e-6 {
				t.Errorf("clopperPearson(%d, %d): P(X >= k) at lo %v is %v, want 0.025", k, n, lo, got)
			}
		}
		if k < n {
			if got := 1 - binomTail(k+1, n, hi); math.Abs(got-0.025) > 1e-6 {
				t.Errorf("clopperPearson(%d, %d): P(X <= k) at hi %v is %v, want 0.025", k, n, hi, got)
			}
		}
	}
}

func TestPoisson(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, m := range []float64{0.1, 10, 500} {
		var sum float64
		const n = 20000
		for range n {
			sum += float64(poisson(rng, m))
		}
		if got := sum / n; math.Abs(got-m) > 5*math.Sqrt(m/n) {
			t.Errorf("mean of poisson(%v) = %v", m, got)
		}
	}
}

// TestRunDetects runs one simulated rollout of a bad candidate: the
// command's machinery end to end.
func TestRunDetects(t *testing.T) {
	tr := base
	tr.candErr = 0.2
	o := run(tr, 7)
	if o.state != rollout.StateRolledBack || o.maxPercent != 1 || o.requests == 0 {
		t.Fatalf("%+v, want rolled back at 1%%", o)
	}
}

func TestForRunsSeeds(t *testing.T) {
	seen := map[uint64]bool{}
	var seeds [100]uint64
	forRuns(100, 1, 42, func(i int, s uint64) { seeds[i] = s })
	for _, s := range seeds {
		if seen[s] {
			t.Fatalf("seed %d drawn twice", s)
		}
		seen[s] = true
	}
}
