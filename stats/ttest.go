package stats

import "math"

// WelchTTest compares the means of two groups without assuming equal
// variances. It equals scipy.stats.ttest_ind(treatment, control,
// equal_var=False, alternative=...) and its confidence_interval(confidence).
//
//	d  = mean_t - mean_c
//	se = sqrt(var_t/n_t + var_c/n_c)
//	t  = d / se
//	df = se^4 / ( (var_t/n_t)^2/(n_t-1) + (var_c/n_c)^2/(n_c-1) )
//	CI = d ± t_{df, 1-(1-confidence)/2} * se   (one end infinite if one-sided)
//
// It returns an error wrapping ErrInvalidInput for a non-finite summary, an
// unknown alternative or a confidence outside (0, 1), and one wrapping
// ErrInsufficientData when a group has fewer than 2 values or both
// variances are 0. It is accurate to about 1e-9 relative for any df,
// including aggregates with n near 1e8 and p-values down to 1e-300.
func WelchTTest(control, treatment Summary, alt Alternative, confidence float64) (Result, error) {
	if err := checkTTest(control, treatment, alt, confidence); err != nil {
		return Result{}, err
	}
	n1, n2 := float64(treatment.n), float64(control.n)
	vn1 := treatment.Variance() / n1
	vn2 := control.Variance() / n2
	df := (vn1 + vn2) * (vn1 + vn2) / (vn1*vn1/(n1-1) + vn2*vn2/(n2-1))
	se := math.Sqrt(vn1 + vn2)
	return tResult(diffMeans(treatment, control), se, df, alt, confidence)
}

// StudentTTest compares the means of two groups assuming equal variances
// (pooled variance). It equals scipy.stats.ttest_ind(treatment, control,
// equal_var=True, alternative=...) and its confidence_interval(confidence).
//
//	d  = mean_t - mean_c
//	df = n_t + n_c - 2
//	s2 = ((n_t-1)*var_t + (n_c-1)*var_c) / df
//	se = sqrt(s2 * (1/n_t + 1/n_c))
//	t  = d / se
//	CI = d ± t_{df, 1-(1-confidence)/2} * se   (one end infinite if one-sided)
//
// Errors are those of WelchTTest.
func StudentTTest(control, treatment Summary, alt Alternative, confidence float64) (Result, error) {
	if err := checkTTest(control, treatment, alt, confidence); err != nil {
		return Result{}, err
	}
	n1, n2 := float64(treatment.n), float64(control.n)
	df := n1 + n2 - 2
	svar := ((n1-1)*treatment.Variance() + (n2-1)*control.Variance()) / df
	se := math.Sqrt(svar * (1/n1 + 1/n2))
	return tResult(diffMeans(treatment, control), se, df, alt, confidence)
}

func checkTTest(control, treatment Summary, alt Alternative, confidence float64) error {
	if err := checkAlternative(alt); err != nil {
		return err
	}
	if err := checkConfidence(confidence); err != nil {
		return err
	}
	if err := control.check("control"); err != nil {
		return err
	}
	return treatment.check("treatment")
}

func tResult(d, se, df float64, alt Alternative, confidence float64) (Result, error) {
	if !(se > 0) || math.IsInf(se, 0) {
		return Result{}, errorf(ErrInsufficientData, "t test: standard error is %v (no variation in either group)", se)
	}
	t := d / se
	if !finite(t) || !finite(df) {
		return Result{}, errorf(ErrInvalidInput, "t test: statistic not finite (t=%v, df=%v)", t, df)
	}
	r := Result{Statistic: t, DF: df, Effect: d}
	switch alt {
	case Greater:
		r.PValue = tSF(t, df)
		q := tQuantileUpper(1-confidence, df)
		r.CI = Interval{Lo: d - q*se, Hi: math.Inf(1)}
	case Less:
		r.PValue = tSF(-t, df)
		q := tQuantileUpper(1-confidence, df)
		r.CI = Interval{Lo: math.Inf(-1), Hi: d + q*se}
	default:
		r.PValue = math.Min(1, 2*tSF(math.Abs(t), df))
		q := tQuantileUpper((1-confidence)/2, df)
		r.CI = Interval{Lo: d - q*se, Hi: d + q*se}
	}
	return r, nil
}
