package stats_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/varroute/varroute/stats"
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
		{"shifted share", []float64{1, 2, 3, 4}, []float64{1, 1, 1, 4}, 2, 0.25*math.Log(1.5) - 0.25*math.Log(0.5)},
		// e = (1, 0), a = (0, 1); empty shares count as 1e-4:
		// 2 * (1 - 1e-4) * ln(1e4).
		{"disjoint", []float64{0, 0, 0, 0}, []float64{1, 1, 1, 1}, 2, 2 * (1 - 1e-4) * math.Log(1e4)},
		// Range [0,10], 5 bins of 2: e = (.2,.2,.2,.2,.2),
		// a = (.4,.4,.2,0→1e-4,0→1e-4):
		// 2*0.2*ln(2) + 2*(1e-4-0.2)*ln(1e-4/0.2).
		{"five bins", []float64{0, 2, 4, 6, 10}, []float64{0, 1, 2, 3, 4}, 5, 0.4*math.Ln2 + 2*(1e-4-0.2)*math.Log(1e-4/0.2)},
		{"symmetric", []float64{1, 1, 1, 4}, []float64{1, 2, 3, 4}, 2, 0.25*math.Log(1.5) - 0.25*math.Log(0.5)},
		{"NaNs ignored", []float64{1, 2, nan, 3, 4}, []float64{1, 1, 1, 4, nan}, 2, 0.25*math.Log(1.5) - 0.25*math.Log(0.5)},
		{"all equal", []float64{5, 5}, []float64{5}, 10, 0},
		{"zero bins means 10", []float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}, 0, 0},
		{"empty", nil, []float64{1}, 10, nan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, a := slices.Clone(tc.expected), slices.Clone(tc.actual)
			got := stats.PSI(tc.expected, tc.actual, tc.bins)
			checkClose(t, "PSI", got, tc.want, 1e-12)
			if !sameFloats(e, tc.expected) || !sameFloats(a, tc.actual) {
				t.Error("PSI modified its arguments")
			}
		})
	}
}

// Reference values: scipy 1.10.1, ks_2samp(a, b).statistic, and by hand.
func TestKS(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		a, b []float64
		want float64
	}{
		{"identical", []float64{1, 2, 3}, []float64{3, 2, 1}, 0},
		{"disjoint (scipy 1.0)", []float64{1, 2, 3}, []float64{10, 11}, 1},
		// F_a - F_b is 0.5 at x = 2, 3 and 4.
		{"half overlap", []float64{1, 2, 3, 4}, []float64{3, 4, 5, 6}, 0.5},
		{"scipy 0.5", []float64{1, 2, 3, 4, 5}, []float64{3, 4, 5, 6, 7, 8}, 0.5},
		{"scipy 0.666667", []float64{0.1, 0.5, 0.9}, []float64{0.2, 0.3}, 2.0 / 3},
		// Ties: at x = 1 F_a = 2/3, F_b = 1/3; at x = 2 both 1.
		{"ties", []float64{1, 1, 2}, []float64{1, 2, 2}, 1.0 / 3},
		{"ties (scipy 0.25)", []float64{1, 1, 2, 2}, []float64{1, 2, 2, 3}, 0.25},
		// a = {1,2,3,4,5}, b = {2.5}: at x = 2.5, |0.4 - 1| = 0.6.
		{"unequal sizes", []float64{5, 4, 3, 2, 1}, []float64{2.5}, 0.6},
		{"NaNs ignored", []float64{1, nan, 2}, []float64{3, 4, nan}, 1},
		{"empty", []float64{}, []float64{1}, nan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := slices.Clone(tc.a)
			checkClose(t, "KS", stats.KS(tc.a, tc.b), tc.want, 1e-12)
			if !sameFloats(a, tc.a) {
				t.Error("KS sorted its argument in place")
			}
		})
	}
}

// sameFloats reports whether a and b hold the same numbers, NaN equal to
// NaN.
func sameFloats(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) })
}

func ExamplePSI() {
	primary := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}
	same := []float64{0.105, 0.205, 0.305, 0.405, 0.505, 0.605, 0.705, 0.805, 0.905, 1.0}
	shifted := []float64{0.6, 0.7, 0.7, 0.8, 0.8, 0.9, 0.9, 1.0, 1.0, 1.0}
	fmt.Printf("PSI same %.2f, shifted %.2f\n", stats.PSI(primary, same, 5), stats.PSI(primary, shifted, 5))
	fmt.Printf("KS  same %.2f, shifted %.2f\n", stats.KS(primary, same), stats.KS(primary, shifted))
	// Output:
	// PSI same 0.00, shifted 3.52
	// KS  same 0.10, shifted 0.50
}
