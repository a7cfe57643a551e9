package shadow_test

import (
	"testing"
	"time"

	"github.com/varroute/varroute/shadow"
)

func BenchmarkAggregatorAdd(b *testing.B) {
	agg := shadow.NewAggregator(0.95)
	c := shadow.Comparison{Primary: "v1", Shadow: "v2", Agreed: true, PrimaryLatency: 1200 * time.Microsecond, ShadowLatency: 3 * time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		agg.Add(c)
	}
}

func BenchmarkAggregatorAddParallel(b *testing.B) {
	agg := shadow.NewAggregator(0.95)
	c := shadow.Comparison{Primary: "v1", Shadow: "v2", Agreed: true, PrimaryLatency: 1200 * time.Microsecond, ShadowLatency: 3 * time.Millisecond}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			agg.Add(c)
		}
	})
}

func BenchmarkAggregatorReport(b *testing.B) {
	agg := shadow.NewAggregator(0.95)
	for i := range 10000 {
		agg.Add(shadow.Comparison{Primary: "v1", Shadow: "v2", Agreed: i%7 != 0, ShadowLatency: time.Duration(i) * time.Microsecond})
		agg.Add(shadow.Comparison{Primary: "v1", Shadow: "v1", NoiseFloor: true, Agreed: i%13 != 0})
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
