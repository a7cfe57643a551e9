package stats

import (
	"math"
	"slices"
)

// HolmBonferroni returns Holm's step-down adjusted p-values, in the order of
// p; it equals statsmodels multipletests(p, method="holm")[1]. It controls
// the family-wise error rate under any dependence.
//
//	sort ascending: p_(1) <= ... <= p_(m)
//	adj_(i) = min(1, max_{j<=i} (m-j+1) * p_(j))
//
// NaN inputs count as 1 and values are clamped to [0, 1], so the result
// never holds NaN. A nil or empty p gives an empty result. It does not modify
// p and is safe for concurrent use.
func HolmBonferroni(p []float64) []float64 {
	m := len(p)
	idx, ps := sortedP(p)
	out := make([]float64, m)
	run := 0.0
	for k, i := range idx {
		run = math.Max(run, ps[i]*float64(m-k))
		out[i] = math.Min(run, 1)
	}
	return out
}

// BenjaminiHochberg returns Benjamini-Hochberg adjusted p-values (q-values),
// in the order of p; it equals statsmodels multipletests(p,
// method="fdr_bh")[1]. It controls the false discovery rate for independent
// or positively dependent tests.
//
//	sort ascending: p_(1) <= ... <= p_(m)
//	adj_(i) = min(1, min_{j>=i} p_(j) / (j/m))
//
// Input handling is that of HolmBonferroni.
func BenjaminiHochberg(p []float64) []float64 {
	m := len(p)
	idx, ps := sortedP(p)
	out := make([]float64, m)
	run := math.Inf(1)
	for k := m - 1; k >= 0; k-- {
		i := idx[k]
		run = math.Min(run, ps[i]/(float64(k+1)/float64(m)))
		out[i] = math.Min(run, 1)
	}
	return out
}

// sortedP returns clamped copies of p and the indices that sort them.
func sortedP(p []float64) ([]int, []float64) {
	ps := make([]float64, len(p))
	idx := make([]int, len(p))
	for i, v := range p {
		switch {
		case math.IsNaN(v) || v > 1:
			v = 1
		case v < 0:
			v = 0
		}
		ps[i] = v
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case ps[a] < ps[b]:
			return -1
		case ps[a] > ps[b]:
			return 1
		}
		return 0
	})
	return idx, ps
}
