package rollout

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestStepFactor(t *testing.T) {
	for _, tc := range []struct {
		next, want float64
	}{
		{100, 1}, {50, 2}, {25, 4}, {10, 10}, {5, 10}, {1, 10},
	} {
		if got := stepFactor(tc.next); got != tc.want {
			t.Errorf("stepFactor(%v) = %v, want %v", tc.next, got, tc.want)
		}
	}
}

func TestTCorrection(t *testing.T) {
	// (t_{df,0.99}/z_{0.99})^2 from the t quantiles 2.821 (9), 2.457 (30),
	// 2.364 (120).
	for _, tc := range []struct {
		df   int
		want float64
	}{
		{9, 1.4706}, {30, 1.1156}, {120, 1.0327},
	} {
		if got := tCorrection(tc.df); math.Abs(got-tc.want) > 0.01*tc.want {
			t.Errorf("tCorrection(%d) = %v, want %v", tc.df, got, tc.want)
		}
	}
}

// TestRobustVariance checks the time-bucket variance: close to the
// variance of the sum for independent residuals, and much larger than the
// bucket-by-bucket one when residuals come in runs longer than a bucket
// (bursts), which the coarser widths catch.
func TestRobustVariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 64
	filled := make([]bool, n)
	for i := range filled {
		filled[i] = true
	}
	var iid, runs []float64
	for i := range n {
		iid = append(iid, rng.NormFloat64())
		// Runs of 8 equal residuals, alternating signs at random.
		if i%8 == 0 {
			runs = append(runs, rng.NormFloat64())
		} else {
			runs = append(runs, runs[i-1])
		}
	}
	sumSq := func(xs []float64) float64 {
		var s float64
		for _, x := range xs {
			s += x * x
		}
		return s
	}
	v, ok := robustVariance(iid, filled)
	if !ok || v < sumSq(iid) || v > 3*sumSq(iid) {
		t.Fatalf("independent residuals: %v (ok %v), want about %v", v, ok, sumSq(iid))
	}
	v, ok = robustVariance(runs, filled)
	if !ok || v < 4*sumSq(runs) {
		t.Fatalf("runs of 8: %v, want well above the bucket-by-bucket %v", v, sumSq(runs))
	}
	if _, ok := robustVariance(iid[:minBuckets-1], filled[:minBuckets-1]); ok {
		t.Fatal("fewer buckets than the burn-in gave a variance")
	}
}

// TestSegmentBuckets checks that a segment adds each read's increment to
// the bucket of its time, merges pairs when it outgrows maxBuckets, and
// ignores a read whose counters went back.
func TestSegmentBuckets(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSegment(5, start, nil)
	var ev Evidence
	for m := 1; m <= 6*60; m++ {
		ev.Baseline.Requests += 100
		ev.Candidate.Requests += 5
		ev.Candidate.Errors++
		s.add(start.Add(time.Duration(m)*time.Minute), ev)
	}
	if len(s.buckets) > maxBuckets || s.width != 2*bucketWidth {
		t.Fatalf("%d buckets of %v after 6 hours, want at most %d of %v", len(s.buckets), s.width, maxBuckets, 2*bucketWidth)
	}
	if s.total[0].req.w != 36000 || s.total[1].req.w != 1800 || s.total[1].req.y != 360 {
		t.Fatalf("totals %+v", s.total)
	}
	back := ev
	back.Baseline.Requests -= 50
	s.add(start.Add(7*time.Hour), back)
	if s.total[0].req.w != 36000 {
		t.Fatalf("a decreasing read was counted: %v", s.total[0].req.w)
	}
	e := s.contrast(quantity{kind: qErrors}, 0, 1)
	if !e.ok || math.Abs(e.value-0.2) > 1e-12 {
		t.Fatalf("candidate error rate %+v, want 0.2", e)
	}
}

// TestLossUpper checks the lost-units bound: near 0 for a correct split with
// many units, and above the true loss's neighbourhood when units are
// missing.
func TestLossUpper(t *testing.T) {
	for _, tc := range []struct {
		name       string
		base, cand int64
		share      float64
		lo, hi     float64
	}{
		{"correct split, many units", 50000, 50000, 0.5, 0, 0.05},
		{"10% of the candidate's units lost", 50000, 45000, 0.5, 0.1, 0.2},
		{"few units", 500, 500, 0.5, 0.2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := Evidence{Baseline: VariantWindow{Units: tc.base}, Candidate: VariantWindow{Units: tc.cand}}
			up, ok := lossUpper(newSegment(100*tc.share, time.Time{}, nil), cur, tc.share, 0.01)
			if !ok || up < tc.lo || up > tc.hi {
				t.Fatalf("upper bound %v (ok %v), want in [%v, %v]", up, ok, tc.lo, tc.hi)
			}
		})
	}
}
