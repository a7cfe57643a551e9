package shadow_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/varroute/varroute/shadow"
	"github.com/varroute/varroute/stats"
)

func TestAggregator(t *testing.T) {
	var a shadow.Aggregator // the zero value is ready
	rec := func(n int, c shadow.Comparison) {
		for range n {
			a.Add(c)
		}
	}
	ms := time.Millisecond
	// Candidate v2 against primary v1: 80 agree, 20 disagree, 5 errors
	// (2 of them timeouts, 1 panic), 3 late answers that agree.
	rec(77, shadow.Comparison{Primary: "v1", Shadow: "v2", Agreed: true, PrimaryLatency: ms, ShadowLatency: 10 * ms})
	rec(3, shadow.Comparison{Primary: "v1", Shadow: "v2", Agreed: true, TimedOut: true, PrimaryLatency: ms, ShadowLatency: 10 * ms})
	rec(20, shadow.Comparison{Primary: "v1", Shadow: "v2", PrimaryLatency: ms, ShadowLatency: 10 * ms})
	rec(2, shadow.Comparison{Primary: "v1", Shadow: "v2", Err: errors.New("x"), PrimaryLatency: ms, ShadowLatency: 10 * ms})
	rec(2, shadow.Comparison{Primary: "v1", Shadow: "v2", Err: context.DeadlineExceeded, TimedOut: true, PrimaryLatency: ms, ShadowLatency: 10 * ms})
	rec(1, shadow.Comparison{Primary: "v1", Shadow: "v2", Err: errors.New("panicked"), Panicked: true, PrimaryLatency: ms, ShadowLatency: 10 * ms})
	// Noise floor of v1: 95 of 100 agree.
	rec(95, shadow.Comparison{Primary: "v1", Shadow: "v1", NoiseFloor: true, Agreed: true, PrimaryLatency: ms, ShadowLatency: ms})
	rec(5, shadow.Comparison{Primary: "v1", Shadow: "v1", NoiseFloor: true, PrimaryLatency: ms, ShadowLatency: ms})
	// Another pair, no noise floor.
	rec(4, shadow.Comparison{Primary: "v0", Shadow: "v2", Agreed: true})

	rep := a.Report()
	assert.Equal(t, 0.95, rep.Confidence)
	require.Len(t, rep.Shadows, 2)
	require.Len(t, rep.NoiseFloors, 1)
	assert.Equal(t, "v0", rep.Shadows[0].Primary, "sorted by primary")
	assert.Nil(t, rep.Shadows[0].Noise, "v0 has no noise floor")

	r, ok := rep.Row("v1", "v2")
	require.True(t, ok)
	assert.Equal(t, int64(105), r.Comparisons)
	assert.Equal(t, int64(100), r.Answered)
	assert.Equal(t, int64(80), r.Agreements)
	assert.Equal(t, int64(5), r.Errors)
	assert.Equal(t, int64(5), r.TimedOut)
	assert.Equal(t, int64(1), r.Panicked)
	assert.InDelta(t, 0.8, r.AgreementRate, 1e-12)
	lo, hi := stats.Wilson(80, 100, 0.95)
	assert.Equal(t, lo, r.AgreementLow)
	assert.Equal(t, hi, r.AgreementHigh)
	assert.InDelta(t, 5.0/105, r.ErrorRate, 1e-12)
	assert.InDelta(t, 5.0/105, r.TimeoutRate, 1e-12)
	assert.Equal(t, ms, r.PrimaryLatency.P50)
	assert.Equal(t, 10*ms, r.ShadowLatency.Max)
	assert.Equal(t, int64(105), r.ShadowLatency.Count)

	require.NotNil(t, r.Noise)
	assert.InDelta(t, 0.20, r.Noise.Disagreement, 1e-12)
	assert.InDelta(t, 0.05, r.Noise.NoiseDisagreement, 1e-12)
	assert.InDelta(t, 0.15, r.Noise.Excess, 1e-12)
	assert.Equal(t, int64(100), r.Noise.NoiseAnswered)
	// Newcombe's hybrid interval for 20/100 - 5/100, by hand from the
	// Wilson limits [0.133367, 0.288829] and [0.021544, 0.111750]:
	// 0.15 -/+ sqrt(0.066633² + 0.061750²), sqrt(0.088829² + 0.028456²).
	assert.InDelta(t, 0.059154, r.Noise.Low, 1e-5)
	assert.InDelta(t, 0.243276, r.Noise.High, 1e-5)
	assert.True(t, r.Noise.Significant())

	nf, ok := rep.Row("v1", "v1")
	require.True(t, ok)
	assert.True(t, nf.NoiseFloor)
	assert.InDelta(t, 0.95, nf.AgreementRate, 1e-12)

	_, ok = rep.Row("v9", "v2")
	assert.False(t, ok)

	b, err := json.Marshal(rep)
	require.NoError(t, err, "the report must be JSON-friendly")
	assert.Contains(t, string(b), `"agreement_rate":0.8`)
}

func TestAggregatorEmpty(t *testing.T) {
	rep := shadow.NewAggregator(0.9).Report()
	assert.Equal(t, 0.9, rep.Confidence)
	assert.Empty(t, rep.Shadows)
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.JSONEq(t, `{"confidence":0.9,"shadows":[]}`, string(b))
}

func TestAggregatorRecordAllocs(t *testing.T) {
	a := shadow.NewAggregator(0.95)
	c := shadow.Comparison{Primary: "v1", Shadow: "v2", Agreed: true, PrimaryLatency: time.Millisecond, ShadowLatency: 3 * time.Millisecond}
	a.Add(c)
	n := testing.AllocsPerRun(1000, func() { a.Add(c) })
	assert.Zero(t, n)
}

func TestAggregatorConcurrent(t *testing.T) {
	a := shadow.NewAggregator(0.95)
	var wg sync.WaitGroup
	names := []string{"a", "b", "c"}
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				a.Add(shadow.Comparison{Primary: "p", Shadow: names[(g+i)%3], Agreed: i%2 == 0})
				if i%100 == 0 {
					_ = a.Report()
				}
			}
		})
	}
	wg.Wait()
	var total int64
	for _, r := range a.Report().Shadows {
		total += r.Comparisons
	}
	assert.Equal(t, int64(4000), total)
}

func TestLatencySummaryAccuracy(t *testing.T) {
	a := shadow.NewAggregator(0)
	// 1..10000 microseconds, each once: exact p50 5000us, p90 9000us, p99 9900us.
	for i := 1; i <= 10000; i++ {
		d := time.Duration(i) * time.Microsecond
		a.Add(shadow.Comparison{Primary: "p", Shadow: "s", PrimaryLatency: d, ShadowLatency: d / 1000})
	}
	r := a.Report().Shadows[0]
	tests := []struct {
		name      string
		got, want time.Duration
		relErr    float64
	}{
		{"p50", r.PrimaryLatency.P50, 5000 * time.Microsecond, 0.0433},
		{"p90", r.PrimaryLatency.P90, 9000 * time.Microsecond, 0.0433},
		{"p99", r.PrimaryLatency.P99, 9900 * time.Microsecond, 0.0433},
		{"max exact", r.PrimaryLatency.Max, 10000 * time.Microsecond, 0},
		{"min exact", r.PrimaryLatency.Min, time.Microsecond, 0},
		{"mean exact", r.PrimaryLatency.Mean, 5000500 * time.Nanosecond, 0},
		{"microseconds p50", r.ShadowLatency.P50, 5000 * time.Nanosecond, 0.0433},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.InDelta(t, float64(tc.want), float64(tc.got), tc.relErr*float64(tc.want)+1)
		})
	}
}
