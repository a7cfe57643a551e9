package shadow

import "math"

// Wilson returns the Wilson score interval for a proportion of successes
// out of n trials at the given two-sided confidence level (0.95 for 95%):
//
//	p  = successes / n
//	z  = Φ⁻¹((1 + confidence) / 2)
//	c  = (p + z²/(2n)) / (1 + z²/n)
//	h  = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/(4n²))
//	[lo, hi] = [c - h, c + h] clamped to [0, 1]
//
// Unlike the normal approximation it stays inside [0, 1] and is sound for
// rates near 0 or 1 and for small n. With n <= 0 it returns [0, 1]. A
// confidence outside (0, 1) means 0.95. It is a pure function.
func Wilson(successes, n int64, confidence float64) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	successes = min(max(successes, 0), n)
	z := zFor(confidence)
	nf := float64(n)
	p := float64(successes) / nf
	z2 := z * z
	den := 1 + z2/nf
	c := (p + z2/(2*nf)) / den
	h := z / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return math.Max(0, c-h), math.Min(1, c+h)
}

// zFor returns the two-sided standard normal quantile for confidence.
func zFor(confidence float64) float64 {
	if !(confidence > 0 && confidence < 1) {
		confidence = 0.95
	}
	return math.Sqrt2 * math.Erfinv(confidence)
}

// newcombe returns Newcombe's hybrid score interval (his method 10) for the
// difference p1 - p2 of two independent proportions, built from their
// Wilson intervals [l1, u1] and [l2, u2]:
//
//	lo = d - sqrt((p1-l1)² + (u2-p2)²)
//	hi = d + sqrt((u1-p1)² + (p2-l2)²)
func newcombe(p1, l1, u1, p2, l2, u2 float64) (lo, hi float64) {
	d := p1 - p2
	lo = d - math.Sqrt((p1-l1)*(p1-l1)+(u2-p2)*(u2-p2))
	hi = d + math.Sqrt((u1-p1)*(u1-p1)+(p2-l2)*(p2-l2))
	return math.Max(-1, lo), math.Min(1, hi)
}
