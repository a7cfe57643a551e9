package stats

import (
	"math"
	"slices"
)

// psiFloor replaces an empty bin's share in PSI so that the logarithm
// stays finite.
const psiFloor = 1e-4

// PSI returns the population stability index of actual against expected,
// a measure of how far a distribution has shifted:
//
//	PSI = sum_i (a_i - e_i) * ln(a_i / e_i)
//
// where e_i and a_i are the shares of expected and actual in bin i of bins
// equal-width bins spanning the smallest to the largest value of both
// samples (the last bin is closed), and a share of zero counts as 1e-4. It
// is symmetric in its arguments. Rules of thumb: below 0.1 no real shift,
// 0.1 to 0.25 a moderate one, above 0.25 a major one.
//
// bins <= 0 means 10. NaNs are ignored. PSI returns NaN if either sample has
// no numbers, and 0 if all numbers are equal. It does not modify its
// arguments; it allocates two slices of bins counts.
func PSI(expected, actual []float64, bins int) float64 {
	if bins <= 0 {
		bins = 10
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range [2][]float64{expected, actual} {
		for _, v := range s {
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	ce, ca := make([]int, bins), make([]int, bins)
	ne, na := binInto(ce, expected, lo, hi), binInto(ca, actual, lo, hi)
	if ne == 0 || na == 0 {
		return math.NaN()
	}
	if lo == hi {
		return 0
	}
	var sum float64
	for i := range ce {
		e := math.Max(float64(ce[i])/float64(ne), psiFloor)
		a := math.Max(float64(ca[i])/float64(na), psiFloor)
		sum += (a - e) * math.Log(a/e)
	}
	return sum
}

// binInto counts s into len(counts) equal-width bins over [lo, hi] and
// returns how many numbers it counted.
func binInto(counts []int, s []float64, lo, hi float64) int {
	bins := len(counts)
	n := 0
	for _, v := range s {
		if math.IsNaN(v) {
			continue
		}
		i := 0
		if hi > lo {
			i = int((v - lo) / (hi - lo) * float64(bins))
			i = min(max(i, 0), bins-1)
		}
		counts[i]++
		n++
	}
	return n
}

// KS returns the two-sample Kolmogorov-Smirnov statistic of a and b: the
// largest distance between their empirical distribution functions,
//
//	D = sup_x |F_a(x) - F_b(x)|
//
// between 0 (same distribution of values) and 1 (disjoint ranges); the
// statistic of scipy.stats.ks_2samp. NaNs are ignored; KS returns NaN if
// either sample has no numbers. It does not modify its arguments; it sorts
// copies.
func KS(a, b []float64) float64 {
	sa, sb := sortedNumbers(a), sortedNumbers(b)
	if len(sa) == 0 || len(sb) == 0 {
		return math.NaN()
	}
	n, m := float64(len(sa)), float64(len(sb))
	var d float64
	i, j := 0, 0
	for i < len(sa) && j < len(sb) {
		x := math.Min(sa[i], sb[j])
		for i < len(sa) && sa[i] <= x {
			i++
		}
		for j < len(sb) && sb[j] <= x {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/n-float64(j)/m))
	}
	return d
}

// sortedNumbers returns the numbers of s, NaNs left out, sorted, in a new
// slice.
func sortedNumbers(s []float64) []float64 {
	out := make([]float64, 0, len(s))
	for _, v := range s {
		if !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}
