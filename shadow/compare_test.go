package shadow_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/varroute/varroute/shadow"
)

func TestComparators(t *testing.T) {
	type pred struct {
		Label  string
		Scores []float64
	}
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"Equal same", shadow.Equal("cat", "cat"), true},
		{"Equal different", shadow.Equal(1, 2), false},
		{"DeepEqual structs", shadow.DeepEqual(pred{"a", []float64{1, 2}}, pred{"a", []float64{1, 2}}), true},
		{"DeepEqual differ", shadow.DeepEqual(pred{"a", []float64{1, 2}}, pred{"a", []float64{1, 3}}), false},
		{"DeepEqual nil vs empty", shadow.DeepEqual([]int(nil), []int{}), false},
		{"DeepEqual interfaces", shadow.DeepEqual[any](1, 1), true},
		{"DeepEqual interface types differ", shadow.DeepEqual[any](1, int64(1)), false},
		{"DeepEqual nil interfaces", shadow.DeepEqual[any](nil, nil), true},
		{"DeepEqual plain struct", shadow.DeepEqual(struct {
			A string
			B [2]float64
		}{"x", [2]float64{1, 2}}, struct {
			A string
			B [2]float64
		}{"x", [2]float64{1, 2}}), true},
		{"DeepEqual plain struct NaN", shadow.DeepEqual(struct{ F float64 }{nan}, struct{ F float64 }{nan}), false},
		{"DeepEqual float slices", shadow.DeepEqual([]float64{1, 2}, []float64{1, 2}), true},
		{"DeepEqual float slices differ", shadow.DeepEqual([]float64{1, 2}, []float64{1, 3}), false},
		{"DeepEqual float slice nil vs empty", shadow.DeepEqual([]float64(nil), []float64{}), false},
		{"DeepEqual pointers followed", shadow.DeepEqual(&pred{Label: "a"}, &pred{Label: "a"}), true},
		{"FloatTolerance abs in", shadow.FloatTolerance(0.01, 0)(1.0, 1.009), true},
		{"FloatTolerance abs out", shadow.FloatTolerance(0.01, 0)(1.0, 1.02), false},
		{"FloatTolerance rel in", shadow.FloatTolerance(0, 0.01)(1000, 1009), true},
		{"FloatTolerance rel out", shadow.FloatTolerance(0, 0.01)(1000, 1011), false},
		{"FloatTolerance exact zero tol", shadow.FloatTolerance(0, 0)(0.1, 0.1), true},
		{"FloatTolerance negative tol is zero", shadow.FloatTolerance(-1, -1)(1, 1.0000001), false},
		{"FloatTolerance NaN NaN", shadow.FloatTolerance(0.1, 0)(nan, nan), true},
		{"FloatTolerance NaN number", shadow.FloatTolerance(0.1, 0)(nan, 1), false},
		{"FloatTolerance inf inf", shadow.FloatTolerance(0.1, 0)(inf, inf), true},
		{"FloatTolerance inf -inf", shadow.FloatTolerance(0.1, 1)(inf, -inf), false},
		{"FloatTolerance inf number", shadow.FloatTolerance(0.1, 1)(inf, 1e300), false},
		{"SliceTolerance in", shadow.SliceTolerance(1e-3, 0)([]float64{1, 2}, []float64{1.0005, 1.9995}), true},
		{"SliceTolerance out", shadow.SliceTolerance(1e-3, 0)([]float64{1, 2}, []float64{1, 2.1}), false},
		{"SliceTolerance lengths", shadow.SliceTolerance(1, 1)([]float64{1}, []float64{1, 2}), false},
		{"SliceTolerance empty", shadow.SliceTolerance(0, 0)(nil, []float64{}), true},
		{"ArgmaxAgree same label", shadow.ArgmaxAgree([]float64{0.1, 0.7, 0.2}, []float64{0.3, 0.4, 0.3}), true},
		{"ArgmaxAgree different label", shadow.ArgmaxAgree([]float64{0.1, 0.7, 0.2}, []float64{0.5, 0.4, 0.1}), false},
		{"ArgmaxAgree lengths", shadow.ArgmaxAgree([]float64{1}, []float64{1, 0}), false},
		{"ArgmaxAgree empty", shadow.ArgmaxAgree(nil, nil), true},
		{"TopKAgree same set other order", shadow.TopKAgree(2, 0)([]float64{0.5, 0.3, 0.1, 0.1}, []float64{0.3, 0.5, 0.1, 0.1}), true},
		{"TopKAgree differs", shadow.TopKAgree(2, 0)([]float64{0.5, 0.3, 0.2, 0}, []float64{0.5, 0.2, 0.3, 0}), false},
		{"TopKAgree overlap 1 of 2", shadow.TopKAgree(2, 1)([]float64{0.5, 0.3, 0.2, 0}, []float64{0.5, 0.2, 0.3, 0}), true},
		{"TopKAgree k above len", shadow.TopKAgree(10, 0)([]float64{1, 2}, []float64{2, 1}), true},
		{"TopKAgree NaN ranks last", shadow.TopKAgree(1, 0)([]float64{nan, 1}, []float64{0, 1}), true},
		{"TopKAgree big k", shadow.TopKAgree(40, 0)(make([]float64, 50), make([]float64, 50)), true},
		{"By field", shadow.By(func(p pred) string { return p.Label }, shadow.Equal[string])(pred{Label: "a"}, pred{Label: "a", Scores: []float64{1}}), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.got)
		})
	}
}

func TestArgmax(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want int
	}{
		{"empty", nil, -1},
		{"all NaN", []float64{math.NaN()}, -1},
		{"first on ties", []float64{1, 3, 3}, 1},
		{"skips NaN", []float64{math.NaN(), 0, -1}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, shadow.Argmax(tc.in))
		})
	}
}

func TestComparatorAllocs(t *testing.T) {
	a, b := []float64{0.1, 0.5, 0.2, 0.2}, []float64{0.1, 0.4, 0.3, 0.2}
	type out struct {
		Label string
		Score float64
	}
	oa, ob := out{"x", 1}, out{"x", 1}
	topk, tol := shadow.TopKAgree(3, 2), shadow.SliceTolerance(0.2, 0)
	tests := []struct {
		name string
		f    func()
		max  float64
	}{
		{"TopKAgree", func() { topk(a, b) }, 0},
		{"SliceTolerance", func() { tol(a, b) }, 0},
		{"ArgmaxAgree", func() { shadow.ArgmaxAgree(a, b) }, 0},
		{"DeepEqual plain struct", func() { shadow.DeepEqual(oa, ob) }, 0},
		{"DeepEqual float slice", func() { shadow.DeepEqual(a, b) }, 0},
		{"DeepEqual string", func() { shadow.DeepEqual("a", "b") }, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := testing.AllocsPerRun(100, tc.f)
			t.Logf("%s: %v allocs", tc.name, n)
			assert.LessOrEqual(t, n, tc.max)
		})
	}
}
