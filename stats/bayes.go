package stats

import (
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// ProbabilityToBeat returns the Bayesian probability that the treatment's
// true rate exceeds the control's, with independent uniform priors:
//
//	p_c ~ Beta(1+s_c, 1+n_c-s_c), p_t ~ Beta(1+s_t, 1+n_t-s_t)
//	P(p_t > p_c) = integral_0^1 f_c(x) * (1 - F_t(x)) dx
//
// It integrates the log-concave integrand around its mode with Gauss-Legendre
// quadrature; densities use Loader's saddle-point form and the tail of the
// other posterior the incomplete beta continued fraction, so the result has
// full relative precision for any counts, including probabilities far below
// 1e-50 and trials up to 1e9 and beyond. The smaller of P(p_t > p_c) and
// P(p_c > p_t) is computed directly and the other as its complement. It
// returns an error wrapping ErrInvalidInput for negative counts or successes
// > trials, and one wrapping ErrInsufficientData for zero trials.
func ProbabilityToBeat(control, treatment Proportion) (float64, error) {
	if err := control.check("control"); err != nil {
		return 0, err
	}
	if err := treatment.check("treatment"); err != nil {
		return 0, err
	}
	a1 := 1 + float64(control.Successes)
	b1 := 1 + float64(control.Trials-control.Successes)
	a2 := 1 + float64(treatment.Successes)
	b2 := 1 + float64(treatment.Trials-treatment.Successes)
	return probGreater(a1, b1, a2, b2), nil
}

// probGreater returns P(X2 > X1) for X1 ~ Beta(a1,b1), X2 ~ Beta(a2,b2),
// a, b >= 1.
func probGreater(a1, b1, a2, b2 float64) float64 {
	m1, m2 := a1/(a1+b1), a2/(a2+b2)
	if m1+m2 > 1 {
		// Work near 0, where x and 1-x are both exact: X -> 1-X.
		return probGreater(b2, a2, b1, a1)
	}
	if m2 <= m1 {
		return betaOverlap(a1, b1, a2, b2)
	}
	return 1 - betaOverlap(a2, b2, a1, b1)
}

// betaOverlap returns P(X2 > X1) = integral f1(x) * S2(x) dx.
func betaOverlap(a1, b1, a2, b2 float64) float64 {
	logG := func(x float64) float64 {
		if x <= 0 || x >= 1 {
			if x <= 0 && a1 == 1 {
				return math.Log(a1 + b1 - 1)
			}
			return math.Inf(-1)
		}
		y := 1 - x
		lf := math.Log(a1+b1-1) + logDbinom(a1-1, b1-1, x, y)
		_, s := incBeta(a2, b2, x, y)
		return lf + math.Log(s)
	}
	// The integrand is log-concave: find its mode by golden-section search.
	lo, hi := 0.0, 1.0
	const gr = 0.6180339887498949
	x1, x2 := hi-gr*(hi-lo), lo+gr*(hi-lo)
	f1, f2 := logG(x1), logG(x2)
	for range 200 {
		if hi-lo <= 1e-15*math.Max(hi, 1e-300) {
			break
		}
		if f1 < f2 {
			lo, x1, f1 = x1, x2, f2
			x2 = lo + gr*(hi-lo)
			f2 = logG(x2)
		} else {
			hi, x2, f2 = x2, x1, f1
			x1 = hi - gr*(hi-lo)
			f1 = logG(x1)
		}
	}
	mode := (lo + hi) / 2
	top := logG(mode)
	if math.IsInf(top, -1) || math.IsNaN(top) {
		return 0
	}
	// Width scale: the larger posterior standard deviation, capped by the
	// distance to the ends.
	sd := math.Max(betaSD(a1, b1), betaSD(a2, b2))
	const drop = 45 // e^-45 ~ 3e-20 of the peak
	left := edge(logG, mode, -sd, 0, top-drop)
	right := edge(logG, mode, sd, 1, top-drop)
	const panels, nodes = 16, 24
	h := (right - left) / panels
	g := func(x float64) float64 { return math.Exp(logG(x) - top) }
	var sum float64
	for i := range panels {
		sum += quad.Fixed(g, left+float64(i)*h, left+float64(i+1)*h, nodes, quad.Legendre{}, 0)
	}
	return math.Min(1, math.Exp(top+math.Log(sum)))
}

func betaSD(a, b float64) float64 {
	s := a + b
	return math.Sqrt(a * b / (s * s * (s + 1)))
}

// edge walks from x in steps of step (doubling) until logG falls below cut
// or the walk reaches limit, then refines the crossing by bisection.
func edge(logG func(float64) float64, x, step, limit, cut float64) float64 {
	inside := x
	for {
		next := inside + step
		if (step < 0 && next <= limit) || (step > 0 && next >= limit) {
			if logG(limit) >= cut {
				return limit
			}
			next = limit
			return bisectEdge(logG, inside, next, cut)
		}
		if logG(next) < cut {
			return bisectEdge(logG, inside, next, cut)
		}
		inside = next
		step *= 2
	}
}

func bisectEdge(logG func(float64) float64, in, out, cut float64) float64 {
	for range 60 {
		mid := (in + out) / 2
		if mid == in || mid == out {
			break
		}
		if logG(mid) >= cut {
			in = mid
		} else {
			out = mid
		}
	}
	return out
}
