package stats

import "math"

// CUPED reduces the variance of a metric y with a pre-experiment covariate x
// of the same units (Deng et al. 2013), returning the adjusted metric and
// theta:
//
//	theta       = cov(x, y) / var(x)          (sample, n-1)
//	adjusted[i] = y[i] - theta*(x[i] - mean(x))
//
// The adjusted values keep the mean of y and have variance
// var(y)*(1 - corr(x,y)^2). Compute theta on the pooled data of all groups
// and compare the adjusted groups with WelchTTest. Centred sums are computed
// in two passes, so large offsets do not lose digits. It returns an error
// wrapping ErrInvalidInput for mismatched lengths or NaN/Inf values, and one
// wrapping ErrInsufficientData for fewer than 2 points or a constant x.
func CUPED(y, x []float64) (adjusted []float64, theta float64, err error) {
	if len(y) != len(x) {
		return nil, 0, errorf(ErrInvalidInput, "cuped: %d values of y but %d of x", len(y), len(x))
	}
	if len(y) < 2 {
		return nil, 0, errorf(ErrInsufficientData, "cuped: need at least 2 points, have %d", len(y))
	}
	for i := range y {
		if !finite(y[i]) || !finite(x[i]) {
			return nil, 0, errorf(ErrInvalidInput, "cuped: point %d = (%v, %v)", i, y[i], x[i])
		}
	}
	mx, my := Summarize(x).Mean(), Summarize(y).Mean()
	var sxx, sxy float64
	for i := range y {
		dx := x[i] - mx
		sxx += dx * dx
		sxy += dx * (y[i] - my)
	}
	if !(sxx > 0) || math.IsInf(sxx, 0) || math.IsInf(sxy, 0) {
		return nil, 0, errorf(ErrInsufficientData, "cuped: covariate has no usable variance")
	}
	theta = sxy / sxx
	adjusted = make([]float64, len(y))
	for i := range y {
		adjusted[i] = y[i] - theta*(x[i]-mx)
		if !finite(adjusted[i]) {
			return nil, 0, errorf(ErrInvalidInput, "cuped: adjusted value %d overflows", i)
		}
	}
	return adjusted, theta, nil
}
