package hist

import (
	"math/rand/v2"
	"testing"
	"time"
)

func BenchmarkAdd(b *testing.B) {
	h := New(DefaultScale)
	ds := logUniform(rand.New(rand.NewPCG(1, 1)), 1024, time.Microsecond, time.Minute)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.Add(ds[i&1023])
		i++
	}
}

// BenchmarkAddParallel adds from GOMAXPROCS goroutines to one histogram:
// the contended case of many requests of one variant.
func BenchmarkAddParallel(b *testing.B) {
	h := New(DefaultScale)
	ds := logUniform(rand.New(rand.NewPCG(1, 1)), 1024, time.Microsecond, time.Minute)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			h.Add(ds[i&1023])
			i++
		}
	})
}

// BenchmarkQuantile reads p99 from a snapshot of 100k latencies and
// reports the largest relative error of Quantile over q = 0, 0.001, ..., 1
// on them (log-uniform between 1 µs and 1 min), at the default scale.
func BenchmarkQuantile(b *testing.B) {
	ds := logUniform(rand.New(rand.NewPCG(2, 2)), 100_000, time.Microsecond, time.Minute)
	h := New(DefaultScale)
	for _, d := range ds {
		h.Add(d)
	}
	s := h.Snapshot()
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Quantile(0.99)
	}
	b.ReportMetric(100*quantileError(DefaultScale, ds), "max-rel-err-%")
}

func BenchmarkSnapshot(b *testing.B) {
	h := New(DefaultScale)
	h.Add(time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Snapshot()
	}
}
