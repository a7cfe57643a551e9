package stats

import (
	"math"
	"slices"
)

// MannWhitneyU tests whether treatment values tend to be larger or smaller
// than control values without assuming a distribution (robust for skewed
// data such as latencies). It equals scipy.stats.mannwhitneyu(treatment,
// control, use_continuity=True, alternative=..., method="asymptotic"):
//
//	U_t  = R_t - n_t(n_t+1)/2            (R_t: sum of treatment mid-ranks)
//	U    = U_t (Greater), n_t*n_c - U_t (Less), max of both (TwoSided)
//	sd   = sqrt(n_t*n_c/12 * ((n+1) - sum_ties(t^3-t)/(n(n-1))))
//	z    = (U - n_t*n_c/2 - 0.5) / sd
//	p    = Q(z), doubled for TwoSided and capped at 1
//
// Statistic is U_t and Effect is U_t/(n_t*n_c), the probability that a
// treatment value beats a control value (ties count half). DF is 0 and CI is
// the zero Interval. It sorts copies of the inputs, O(n log n), and does not
// modify them. It returns an error wrapping ErrInvalidInput for NaN or Inf
// values or an unknown alternative, and one wrapping ErrInsufficientData for
// an empty sample or when all values are tied.
func MannWhitneyU(control, treatment []float64, alt Alternative) (Result, error) {
	if err := checkAlternative(alt); err != nil {
		return Result{}, err
	}
	if len(control) == 0 || len(treatment) == 0 {
		return Result{}, errorf(ErrInsufficientData, "mann-whitney: empty sample (%d control, %d treatment)", len(control), len(treatment))
	}
	c, err := sortedCopy(control, "control")
	if err != nil {
		return Result{}, err
	}
	t, err := sortedCopy(treatment, "treatment")
	if err != nil {
		return Result{}, err
	}
	rt, ties := rankSum(t, c)
	n1, n2 := float64(len(t)), float64(len(c))
	n := n1 + n2
	u1 := rt - n1*(n1+1)/2
	u2 := n1*n2 - u1
	sd := math.Sqrt(n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1))))
	if !(sd > 0) {
		return Result{}, errorf(ErrInsufficientData, "mann-whitney: all %d values are tied", len(control)+len(treatment))
	}
	mu := n1 * n2 / 2
	var u, f float64
	switch alt {
	case Greater:
		u, f = u1, 1
	case Less:
		u, f = u2, 1
	default:
		u, f = math.Max(u1, u2), 2
	}
	z := (u - mu - 0.5) / sd
	p := math.Min(1, math.Max(0, f*normSF(z)))
	return Result{Statistic: u1, PValue: p, Effect: u1 / (n1 * n2)}, nil
}

func sortedCopy(xs []float64, name string) ([]float64, error) {
	out := make([]float64, len(xs))
	for i, x := range xs {
		if !finite(x) {
			return nil, errorf(ErrInvalidInput, "mann-whitney: %s[%d] = %v", name, i, x)
		}
		out[i] = x
	}
	slices.Sort(out)
	return out, nil
}

// rankSum merges two sorted samples and returns the sum of the mid-ranks of
// a and the tie term sum(t^3 - t) over the groups of equal values.
func rankSum(a, b []float64) (ra, ties float64) {
	i, j := 0, 0
	rank := 0.0 // ranks assigned so far
	for i < len(a) || j < len(b) {
		var v float64
		switch {
		case j == len(b) || (i < len(a) && a[i] <= b[j]):
			v = a[i]
		default:
			v = b[j]
		}
		ka := 0
		for i < len(a) && a[i] == v {
			i++
			ka++
		}
		kb := 0
		for j < len(b) && b[j] == v {
			j++
			kb++
		}
		k := float64(ka + kb)
		mid := rank + (k+1)/2
		ra += float64(ka) * mid
		if k > 1 {
			ties += k*k*k - k
		}
		rank += k
	}
	return ra, ties
}
