package stats_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/varroute/varroute/stats"
)

// Reference values: statsmodels 0.13.5,
// proportion_confint(k, n, alpha=1-conf, method="wilson").
func TestWilson(t *testing.T) {
	tests := []struct {
		name         string
		k, n         int64
		conf         float64
		wantLo, want float64
	}{
		{"8 of 10", 8, 10, 0.95, 0.4901624715, 0.9433178485},
		{"8 of 10 at 99%", 8, 10, 0.99, 0.4008186965, 0.9598688475},
		{"0 of 10", 0, 10, 0.95, 0, 0.2775327999},
		{"10 of 10", 10, 10, 0.95, 0.7224672001, 1},
		{"50 of 100", 50, 100, 0.95, 0.4038315304, 0.5961684696},
		{"50 of 100 at 99%", 50, 100, 0.99, 0.3752796250, 0.6247203750},
		{"1 of 3", 1, 3, 0.95, 0.0614919447, 0.7923403992},
		{"37 of 1000", 37, 1000, 0.95, 0.0269611809, 0.0505823975},
		{"999 of 1000 at 99%", 999, 1000, 0.99, 0.9915394338, 0.9998825836},
		{"no trials", 0, 0, 0.95, 0, 1},
		{"bad confidence", 8, 10, 1.5, math.NaN(), math.NaN()},
		{"negative count", -1, 10, 0.95, math.NaN(), math.NaN()},
		{"more successes than trials", 11, 10, 0.95, math.NaN(), math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := stats.Wilson(tc.k, tc.n, tc.conf)
			checkClose(t, "lo", lo, tc.wantLo, 1e-9)
			checkClose(t, "hi", hi, tc.want, 1e-9)
		})
	}
}

// Reference values: statsmodels 0.13.5, confint_proportions_2indep(s1, n1,
// s2, n2, method="newcomb", compare="diff", alpha=1-conf).
func TestNewcombe(t *testing.T) {
	tests := []struct {
		name           string
		s1, n1, s2, n2 int64
		conf           float64
		wantLo, wantHi float64
	}{
		{"20/100 - 5/100", 20, 100, 5, 100, 0.95, 0.0591535030, 0.2432758428},
		{"3/40 - 7/50 at 90%", 3, 40, 7, 50, 0.90, -0.1738126494, 0.0515205225},
		{"0/10 - 10/10", 0, 10, 10, 10, 0.95, -1, -0.6075093504},
		{"15/200 - 9/180", 15, 200, 9, 180, 0.95, -0.0262847180, 0.0757936605},
		{"no trials on one side", 1, 10, 0, 0, 0.95, -1, 1},
		{"bad input", 11, 10, 0, 10, 0.95, math.NaN(), math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := stats.Newcombe(tc.s1, tc.n1, tc.s2, tc.n2, tc.conf)
			checkClose(t, "lo", lo, tc.wantLo, 1e-9)
			checkClose(t, "hi", hi, tc.wantHi, 1e-9)
		})
	}
}

func checkClose(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(want) {
		if !math.IsNaN(got) {
			t.Errorf("%s = %v, want NaN", what, got)
		}
		return
	}
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.10f, want %.10f", what, got, want)
	}
}

func ExampleWilson() {
	// 80 of 100 shadow answers agreed with the primary.
	lo, hi := stats.Wilson(80, 100, 0.95)
	fmt.Printf("agreement 0.80 [%.3f, %.3f]\n", lo, hi)
	// Output:
	// agreement 0.80 [0.711, 0.867]
}

func ExampleNewcombe() {
	// A candidate disagrees with the primary on 20 of 100 requests; the
	// primary disagrees with itself on 5 of 100 (its noise floor).
	lo, hi := stats.Newcombe(20, 100, 5, 100, 0.95)
	fmt.Printf("excess disagreement 0.15 [%.3f, %.3f]\n", lo, hi)
	// Output:
	// excess disagreement 0.15 [0.059, 0.243]
}
