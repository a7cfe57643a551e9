package shadow_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/varroute/varroute/shadow"
)

type benchTask struct {
	in  []float64
	out float64
}

func newBenchPool(b *testing.B, cfg shadow.Config, run func(context.Context, benchTask) error) *shadow.Pool[benchTask] {
	b.Helper()
	p, err := shadow.NewPool(cfg, run)
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

type constModel struct{ out float64 }

func (m constModel) Predict(ctx context.Context, in []float64) (float64, error) { return m.out, nil }

// BenchmarkMirror is the whole background half of a shadow dispatch as the
// router wires it: TrySubmit, then on the worker Call (predict, compare
// with DeepEqual) and Aggregator.Record.
func BenchmarkMirror(b *testing.B) {
	agg := shadow.NewAggregator(0.95)
	var model shadow.Predictor[[]float64, float64] = constModel{out: 1}
	p := newBenchPool(b, shadow.Config{}, func(ctx context.Context, t benchTask) error {
		_, c := shadow.Call(ctx, model, t.in, t.out, shadow.DeepEqual[float64])
		c.Primary, c.Shadow = benchInfo.Primary, benchInfo.Shadow
		agg.Record(ctx, c)
		return c.Err
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

func BenchmarkAggregatorRecord(b *testing.B) {
	agg := shadow.NewAggregator(0.95)
	ctx := b.Context()
	c := shadow.Comparison{Primary: "v1", Shadow: "v2", Agreed: true, PrimaryLatency: 1200 * time.Microsecond, ShadowLatency: 3 * time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		agg.Record(ctx, c)
	}
}

func BenchmarkAggregatorRecordParallel(b *testing.B) {
	agg := shadow.NewAggregator(0.95)
	c := shadow.Comparison{Primary: "v1", Shadow: "v2", Agreed: true, PrimaryLatency: 1200 * time.Microsecond, ShadowLatency: 3 * time.Millisecond}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			agg.Record(ctx, c)
		}
	})
}

func BenchmarkAggregatorReport(b *testing.B) {
	agg := shadow.NewAggregator(0.95)
	ctx := b.Context()
	for i := range 10000 {
		agg.Record(ctx, shadow.Comparison{Primary: "v1", Shadow: "v2", Agreed: i%7 != 0, ShadowLatency: time.Duration(i) * time.Microsecond})
		agg.Record(ctx, shadow.Comparison{Primary: "v1", Shadow: "v1", NoiseFloor: true, Agreed: i%13 != 0})
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = agg.Report()
	}
}

func BenchmarkDriftAdd(b *testing.B) {
	d := shadow.NewDrift(1000)
	b.ReportAllocs()
	x := 0.0
	for b.Loop() {
		d.Add(x, x+0.1)
		x += 0.001
	}
}

func BenchmarkDriftKS(b *testing.B) {
	d := shadow.NewDrift(1000)
	for i := range 1000 {
		d.Add(float64(i%97), float64(i%89))
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = d.KS()
	}
}

func BenchmarkDriftPSI(b *testing.B) {
	d := shadow.NewDrift(1000)
	for i := range 1000 {
		d.Add(float64(i%97), float64(i%89))
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = d.PSI(10)
	}
}

func BenchmarkDeepEqual(b *testing.B) {
	type out struct {
		Label string
		Score float64
	}
	x, y := out{"cat", 0.9}, out{"cat", 0.9}
	s1, s2 := []float64{0.1, 0.2, 0.7}, []float64{0.1, 0.2, 0.7}
	b.Run("plain-struct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = shadow.DeepEqual(x, y)
		}
	})
	b.Run("float-slice", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = shadow.DeepEqual(s1, s2)
		}
	})
}
