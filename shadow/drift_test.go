package shadow_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/varroute/varroute/shadow"
	"github.com/varroute/varroute/stats"
)

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
	assert.InDelta(t, stats.PSI([]float64{1, 2, 3, 4}, []float64{3, 4, 5, 6}, 3), d.PSI(3), 1e-12)
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
			sink.Record(ctx, tc.c, 1, 2)
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
