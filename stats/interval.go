package stats

import "math"

// Wilson returns the Wilson score interval for a proportion: successes out
// of n trials, at the given two-sided confidence level (0.95 for 95%); the
// interval of statsmodels' proportion_confint(successes, n, alpha=1-confidence,
// method="wilson").
//
//	p  = successes / n
//	z  = Φ⁻¹((1 + confidence) / 2)
//	c  = (p + z²/(2n)) / (1 + z²/n)
//	h  = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/(4n²))
//	[lo, hi] = [c - h, c + h] clamped to [0, 1]
//
// Unlike the normal approximation it stays inside [0, 1] and is sound for
// rates near 0 or 1 and for small n. With n = 0 it returns [0, 1] (nothing
// is known). It returns NaN, NaN for a negative count, successes > n or a
// confidence outside (0, 1).
func Wilson(successes, n int64, confidence float64) (lo, hi float64) {
	if successes < 0 || successes > n || !(confidence > 0 && confidence < 1) {
		return math.NaN(), math.NaN()
	}
	if n == 0 {
		return 0, 1
	}
	z := -normQuantile((1 - confidence) / 2)
	nf := float64(n)
	p := float64(successes) / nf
	z2 := z * z
	den := 1 + z2/nf
	c := (p + z2/(2*nf)) / den
	h := z / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return math.Max(0, c-h), math.Min(1, c+h)
}

// Newcombe returns Newcombe's hybrid score interval (his method 10) for the
// difference p1 - p2 of two independent proportions, s1 of n1 and s2 of n2,
// at the given two-sided confidence level; the interval of statsmodels'
// confint_proportions_2indep(s1, n1, s2, n2, method="newcomb",
// compare="diff", alpha=1-confidence). It is built from the Wilson intervals
// [l1, u1] and [l2, u2] of the two proportions:
//
//	d  = p1 - p2
//	lo = d - sqrt((p1-l1)² + (u2-p2)²)
//	hi = d + sqrt((u1-p1)² + (p2-l2)²)
//
// clamped to [-1, 1]. With n1 or n2 = 0 it returns [-1, 1]. It returns
// NaN, NaN for a negative count, more successes than trials or a
// confidence outside (0, 1).
func Newcombe(s1, n1, s2, n2 int64, confidence float64) (lo, hi float64) {
	l1, u1 := Wilson(s1, n1, confidence)
	l2, u2 := Wilson(s2, n2, confidence)
	switch {
	case math.IsNaN(l1) || math.IsNaN(l2):
		return math.NaN(), math.NaN()
	case n1 == 0 || n2 == 0:
		return -1, 1
	}
	p1, p2 := float64(s1)/float64(n1), float64(s2)/float64(n2)
	d := p1 - p2
	lo = d - math.Sqrt((p1-l1)*(p1-l1)+(u2-p2)*(u2-p2))
	hi = d + math.Sqrt((u1-p1)*(u1-p1)+(p2-l2)*(p2-l2))
	return math.Max(-1, lo), math.Min(1, hi)
}
