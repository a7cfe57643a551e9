package stats

import "math"

// MixtureSPRT is the mixture sequential probability ratio test for a
// difference in means (Johari et al., "always valid inference"): its p-value
// may be checked after every new observation without inflating the false
// positive rate. tau2 is the variance of the normal mixing distribution over
// effects; choose it near the squared effect you expect.
//
//	V      = var_c/n_c + var_t/n_t,  d = mean_t - mean_c
//	Lambda = sqrt(V/(V+tau2)) * exp(tau2*d^2 / (2*V*(V+tau2)))
//	p      = min(1, 1/Lambda)
//
// Statistic is Lambda (saturating at math.MaxFloat64 when it overflows, where
// PValue is 0), Effect is d, DF is 0 and CI is zero. Callers that monitor
// continuously keep the running minimum of the p-values. It returns an error
// wrapping ErrInvalidInput for a non-finite summary or a negative or
// non-finite tau2, and one wrapping ErrInsufficientData when a group has
// fewer than 2 values or V is 0.
func MixtureSPRT(control, treatment Summary, tau2 float64) (Result, error) {
	if !(tau2 >= 0) || math.IsInf(tau2, 0) {
		return Result{}, errorf(ErrInvalidInput, "msprt: tau2 %v must be finite and >= 0", tau2)
	}
	if err := control.check("control"); err != nil {
		return Result{}, err
	}
	if err := treatment.check("treatment"); err != nil {
		return Result{}, err
	}
	v := control.Variance()/float64(control.n) + treatment.Variance()/float64(treatment.n)
	if !(v > 0) || math.IsInf(v, 0) {
		return Result{}, errorf(ErrInsufficientData, "msprt: variance of the difference is %v", v)
	}
	d := diffMeans(treatment, control)
	if !finite(d) {
		return Result{}, errorf(ErrInvalidInput, "msprt: difference of means overflows")
	}
	// log Lambda = 0.5*log(V/(V+tau2)) + tau2*d^2/(2V(V+tau2)), computed as
	// (d^2/V) * (tau2/(V+tau2)) / 2 so that nothing overflows early.
	r := tau2 / (v + tau2)
	var logL float64
	if r > 0 {
		z := d / math.Sqrt(v)
		logL = 0.5*math.Log1p(-r) + z*z*r/2
	}
	res := Result{Effect: d}
	res.Statistic = math.Exp(logL)
	res.PValue = math.Min(1, math.Exp(-logL))
	if math.IsInf(res.Statistic, 1) {
		res.Statistic = math.MaxFloat64
	}
	return res, nil
}
