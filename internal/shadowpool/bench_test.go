package shadowpool_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/varroute/varroute/internal/shadowpool"
	"github.com/varroute/varroute/shadow"
)

type benchTask struct {
	in  []float64
	out float64
}

func newBenchPool(b *testing.B, cfg shadow.Config, run func(context.Context, benchTask) error) *shadowpool.Pool[benchTask] {
	b.Helper()
	p, err := shadowpool.New(cfg, run)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := p.Close(context.Background()); err != nil {
			b.Error(err)
		}
	})
	return p
}

var benchInfo = shadow.Info{Primary: "v1", Shadow: "v2"}

// BenchmarkPoolSubmit measures submit + run of a trivial task, retrying
// (and counting) submissions the full pool drops, so that every op is one
// call that ran. Allocations of the workers are included.
func BenchmarkPoolSubmit(b *testing.B) {
	p := newBenchPool(b, shadow.Config{}, func(ctx context.Context, t benchTask) error {
		_, _ = shadow.FromContext(ctx)
		return nil
	})
	ctx := b.Context()
	task := benchTask{in: []float64{1, 2, 3}, out: 1}
	b.ReportAllocs()
	for b.Loop() {
		for !p.TrySubmit(ctx, benchInfo, task) {
			runtime.Gosched()
		}
	}
	b.StopTimer()
	s := p.Stats()
	b.ReportMetric(float64(s.Dropped)/float64(s.Submitted), "retries/op")
}

// BenchmarkPoolSubmitParallel is BenchmarkPoolSubmit from GOMAXPROCS
// submitters at once.
func BenchmarkPoolSubmitParallel(b *testing.B) {
	p := newBenchPool(b, shadow.Config{}, func(ctx context.Context, t benchTask) error { return nil })
	task := benchTask{in: []float64{1, 2, 3}, out: 1}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			for !p.TrySubmit(ctx, benchInfo, task) {
				runtime.Gosched()
			}
		}
	})
}

// BenchmarkPoolRoundTrip measures the latency from submit to the end of a
// trivial run, one call at a time.
func BenchmarkPoolRoundTrip(b *testing.B) {
	done := make(chan struct{})
	p := newBenchPool(b, shadow.Config{MaxInFlight: 1}, func(ctx context.Context, t benchTask) error {
		done <- struct{}{}
		return nil
	})
	ctx := b.Context()
	task := benchTask{in: []float64{1, 2, 3}, out: 1}
	b.ReportAllocs()
	for b.Loop() {
		for !p.TrySubmit(ctx, benchInfo, task) {
			runtime.Gosched()
		}
		<-done
	}
}

// BenchmarkPoolSubmitSelectDone is BenchmarkPoolSubmit with a run that asks
// for ctx.Done, as most real predictors do (it arms the worker's timer and
// makes the Done channel).
func BenchmarkPoolSubmitSelectDone(b *testing.B) {
	p := newBenchPool(b, shadow.Config{}, func(ctx context.Context, t benchTask) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		default:
			return nil
		}
	})
	ctx := b.Context()
	task := benchTask{in: []float64{1, 2, 3}, out: 1}
	b.ReportAllocs()
	for b.Loop() {
		for !p.TrySubmit(ctx, benchInfo, task) {
			runtime.Gosched()
		}
	}
}

// BenchmarkPoolDrop measures a submission to a full pool.
func BenchmarkPoolDrop(b *testing.B) {
	release := make(chan struct{})
	p := newBenchPool(b, shadow.Config{MaxInFlight: 1}, func(ctx context.Context, t benchTask) error {
		<-release
		return nil
	})
	b.Cleanup(func() { close(release) })
	ctx := b.Context()
	task := benchTask{}
	for !p.TrySubmit(ctx, benchInfo, task) {
		runtime.Gosched()
	}
	b.ReportAllocs()
	for b.Loop() {
		if p.TrySubmit(ctx, benchInfo, task) {
			b.Fatal("a full pool accepted a task")
		}
	}
}

// BenchmarkMirror is the background half of a shadow dispatch much as the
// router wires it: TrySubmit, then on the worker a prediction, a comparison
// with DeepEqual and Aggregator.Add. (The router's
// BenchmarkPredictShadowPaced measures the real thing, request included.)
func BenchmarkMirror(b *testing.B) {
	agg := shadow.NewAggregator(0.95)
	predict := func(_ context.Context, in []float64) float64 { return in[0] }
	p := newBenchPool(b, shadow.Config{}, func(ctx context.Context, t benchTask) error {
		start := time.Now()
		out := predict(ctx, t.in)
		c := shadow.Comparison{Primary: benchInfo.Primary, Shadow: benchInfo.Shadow, Agreed: shadow.DeepEqual(t.out, out)}
		c.ShadowLatency = time.Since(start)
		agg.Add(c)
		return nil
	})
	ctx := b.Context()
	task := benchTask{in: []float64{1, 2, 3}, out: 1}
	b.ReportAllocs()
	for b.Loop() {
		for !p.TrySubmit(ctx, benchInfo, task) {
			runtime.Gosched()
		}
	}
}
