package shadow_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/varroute/varroute/shadow"
)

func TestPSI(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name             string
		expected, actual []float64
		bins             int
		want             float64
	}{
		{"identical", []float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}, 2, 0},
		// Range [1,4], 2 bins split at 2.5: e = (0.5, 0.5), a = (0.75, 0.25):
		// 0.25*ln(1.5) + (-0.25)*ln(0.5) = 0.101366 + 0.173287.
		{"shifted share", []float64{1, 2, 3, 4}, []float64{1, 1, 1, 4}, 2, 0.274653},
		// e = (1, 0), a = (0, 1); empty shares count as 1e-4:
		// 2 * (1 - 1e-4) * ln(1e4).
		{"disjoint", []float64{0, 0, 0, 0}, []float64{1, 1, 1, 1}, 2, 18.418839},
		// Range [0,10], 5 bins of 2: e = (.2,.2,.2,.2,.2),
		// a = (.4,.4,.2,0→1e-4,0→1e-4):
		// 2*0.2*ln(2) + 2*(1e-4-0.2)*ln(1e-4/0.2).
		{"five bins", []float64{0, 2, 4, 6, 10}, []float64{0, 1, 2, 3, 4}, 5, 0.4*math.Ln2 + 2*(1e-4-0.2)*math.Log(1e-4/0.2)},
		{"symmetric", []float64{1, 1, 1, 4}, []float64{1, 2, 3, 4}, 2, 0.274653},
		{"NaNs ignored", []float64{1, 2, nan, 3, 4}, []float64{1, 1, 1, 4, nan}, 2, 0.274653},
		{"all equal", []float64{5, 5}, []float64{5}, 10, 0},
		{"zero bins means 10", []float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}, 0, 0},
		{"empty", nil, []float64{1}, 10, nan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, a := slices.Clone(tc.expected), slices.Clone(tc.actual)
			got := shadow.PSI(tc.expected, tc.actual, tc.bins)
			if math.IsNaN(tc.want) {
				assert.True(t, math.IsNaN(got), "got %v", got)
			} else {
				assert.InDelta(t, tc.want, got, 1e-6)
			}
			same := shadow.SliceTolerance(0, 0) // NaN agrees with NaN
			assert.True(t, same(e, tc.expected), "expected must not change")
			assert.True(t, same(a, tc.actual), "actual must not change")
		})
	}
}

func TestKS(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		a, b []float64
		want float64
	}{
		{"identical", []float64{1, 2, 3}, []float64{3, 2, 1}, 0},
		{"disjoint", []float64{1, 2}, []float64{3, 4}, 1},
		// F_a - F_b is 0.5 at x = 2, 3 and 4.
		{"half overlap", []float64{1, 2, 3, 4}, []float64{3, 4, 5, 6}, 0.5},
		// Ties: at x = 1 F_a = 2/3, F_b = 1/3; at x = 2 both 1.
		// scipy.stats.ks_2samp gives 0.3333.
		{"ties", []float64{1, 1, 2}, []float64{1, 2, 2}, 1.0 / 3},
		// Unequal sizes: a = {1,2,3,4,5}, b = {2.5}: max at x = 2: 0.4,
		// and at x = 2.5: |0.4 - 1| = 0.6.
		{"unequal sizes", []float64{5, 4, 3, 2, 1}, []float64{2.5}, 0.6},
		{"NaNs ignored", []float64{1, nan, 2}, []float64{3, 4, nan}, 1},
		{"empty", []float64{}, []float64{1}, nan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := slices.Clone(tc.a)
			got := shadow.KS(tc.a, tc.b)
			if math.IsNaN(tc.want) {
				assert.True(t, math.IsNaN(got), "got %v", got)
			} else {
				assert.InDelta(t, tc.want, got, 1e-12)
			}
			assert.True(t, shadow.SliceTolerance(0, 0)(a, tc.a), "input must not be sorted in place")
		})
	}
}

func TestDrift(t *testing.T) {
	var zero shadow.Drift
	assert.True(t, math.IsNaN(zero.KS()), "empty window")
	assert.True(t, math.IsNaN(zero.PSI(0)), "empty window")
	zero.Add(1, 1)
	assert.Equal(t, 1, zero.Len())

	d := shadow.NewDrift(4)
	// Old pairs that disagree completely are evicted by the window.
	for range 10 {
		d.Add(0, 100)
	}
	for _, v := range []float64{1, 2, 3, 4} {
		d.Add(v, v+2) // shadow = primary + 2
	}
	assert.Equal(t, 4, d.Len())
	assert.InDelta(t, 0.5, d.KS(), 1e-12, "KS of {1,2,3,4} vs {3,4,5,6}")
	assert.InDelta(t, shadow.PSI([]float64{1, 2, 3, 4}, []float64{3, 4, 5, 6}, 3), d.PSI(3), 1e-12)
}

func TestDriftSink(t *testing.T) {
	d := shadow.NewDrift(10)
	sink := shadow.DriftSink(d, "v2", func(o float64) float64 { return o * 10 })
	ctx := context.Background()
	tests := []struct {
		name string
		c    shadow.Comparison
		add  bool
	}{
		{"candidate", shadow.Comparison{Primary: "v1", Shadow: "v2"}, true},
		{"failed call", shadow.Comparison{Primary: "v1", Shadow: "v2", Err: errors.New("x")}, false},
		{"other shadow", shadow.Comparison{Primary: "v1", Shadow: "v3"}, false},
		{"noise floor", shadow.Comparison{Primary: "v1", Shadow: "v1", NoiseFloor: true}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := d.Len()
			sink.RecordOutputs(ctx, tc.c, 1, 2)
			assert.Equal(t, tc.add, d.Len() == before+1)
		})
	}
	assert.InDelta(t, 1, d.KS(), 1e-12, "10 vs 20")
}

func TestDriftConcurrent(t *testing.T) {
	d := shadow.NewDrift(100)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				d.Add(float64(i), float64(i+g))
				if i%50 == 0 {
					_, _ = d.KS(), d.PSI(10)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 100, d.Len())
}

func TestDriftAddAllocs(t *testing.T) {
	d := shadow.NewDrift(8)
	d.Add(0, 0)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { d.Add(1, 2) }))
}
