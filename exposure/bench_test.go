package exposure_test

import (
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/varroute/varroute/exposure"
)

func benchExposure() exposure.Exposure {
	return exposure.Exposure{
		Time:    time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC),
		Plan:    "checkout-2026",
		Variant: "treatment",
		Reason:  "default",
		Unit:    "user-0012345",
	}
}

// BenchmarkWriterLog is the request path in drop mode: the caller's cost
// (plus the background writer's, on the other core). Exposures that find
// the queue full are dropped; the dropped share is reported.
func BenchmarkWriterLog(b *testing.B) {
	w, err := exposure.NewWriter(io.Discard, exposure.WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	e := benchExposure()
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		w.Log(ctx, e)
	}
	b.StopTimer()
	if err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
	s := w.Stats()
	b.ReportMetric(float64(s.Dropped)/float64(s.Logged), "dropped/op")
}

// BenchmarkWriterLogParallel: many request goroutines logging at once.
func BenchmarkWriterLogParallel(b *testing.B) {
	w, err := exposure.NewWriter(io.Discard, exposure.WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	e := benchExposure()
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Log(ctx, e)
		}
	})
	b.StopTimer()
	if err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
	s := w.Stats()
	b.ReportMetric(float64(s.Dropped)/float64(s.Logged), "dropped/op")
}

// BenchmarkWriterBlocking: block mode, so every exposure is encoded and
// written: this is the writer's sustained throughput.
func BenchmarkWriterBlocking(b *testing.B) {
	for _, dedup := range []time.Duration{0, time.Hour} {
		b.Run("dedup="+dedup.String(), func(b *testing.B) {
			w, err := exposure.NewWriter(io.Discard, exposure.WriterOptions{Block: true, Dedup: dedup})
			if err != nil {
				b.Fatal(err)
			}
			units := make([]string, 1<<12)
			for i := range units {
				units[i] = "user-" + strconv.Itoa(i)
			}
			e := benchExposure()
			ctx := b.Context()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				e.Unit = units[i&(len(units)-1)]
				w.Log(ctx, e)
			}
			if err := w.Close(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}
