package stats

import "math"

// Proportion is a count of successes out of trials, such as conversions out
// of visitors. The zero value is no trials.
type Proportion struct {
	Successes, Trials int64
}

// Rate returns Successes/Trials, or 0 when Trials is 0.
func (p Proportion) Rate() float64 {
	if p.Trials == 0 {
		return 0
	}
	return float64(p.Successes) / float64(p.Trials)
}

func (p Proportion) check(name string) error {
	if p.Successes < 0 || p.Trials < 0 {
		return errorf(ErrInvalidInput, "%s: negative count (%d/%d)", name, p.Successes, p.Trials)
	}
	if p.Successes > p.Trials {
		return errorf(ErrInvalidInput, "%s: successes %d > trials %d", name, p.Successes, p.Trials)
	}
	if p.Trials == 0 {
		return errorf(ErrInsufficientData, "%s: zero trials", name)
	}
	return nil
}

// TwoProportionZTest compares two rates. The z statistic uses the pooled
// proportion for its standard error (statsmodels proportions_ztest); the
// confidence interval of the difference uses the unpooled (Wald) standard
// error.
//
//	d   = s_t/n_t - s_c/n_c
//	p   = (s_t + s_c) / (n_t + n_c)
//	z   = d / sqrt(p*(1-p)*(1/n_t + 1/n_c))
//	CI  = d ± z_{1-(1-confidence)/2} * sqrt(p_t(1-p_t)/n_t + p_c(1-p_c)/n_c)
//
// Tail probabilities use math.Erfc, so p-values stay exact down to 1e-300.
// DF is 0. It returns an error wrapping ErrInvalidInput for negative counts,
// successes > trials, an unknown alternative or a confidence outside (0, 1),
// and one wrapping ErrInsufficientData for zero trials or when the pooled
// rate is 0 or 1 (no variation).
func TwoProportionZTest(control, treatment Proportion, alt Alternative, confidence float64) (Result, error) {
	if err := checkAlternative(alt); err != nil {
		return Result{}, err
	}
	if err := checkConfidence(confidence); err != nil {
		return Result{}, err
	}
	if err := control.check("control"); err != nil {
		return Result{}, err
	}
	if err := treatment.check("treatment"); err != nil {
		return Result{}, err
	}
	nt, nc := float64(treatment.Trials), float64(control.Trials)
	pt, pc := float64(treatment.Successes)/nt, float64(control.Successes)/nc
	d := pt - pc
	pool := (float64(treatment.Successes) + float64(control.Successes)) / (nt + nc)
	v := pool * (1 - pool) * (1/nt + 1/nc)
	if !(v > 0) {
		return Result{}, errorf(ErrInsufficientData, "z test: pooled rate %v has no variation", pool)
	}
	z := d / math.Sqrt(v)
	seW := math.Sqrt(pt*(1-pt)/nt + pc*(1-pc)/nc)
	r := Result{Statistic: z, Effect: d}
	switch alt {
	case Greater:
		r.PValue = normSF(z)
		q := -normQuantile(1 - confidence)
		r.CI = Interval{Lo: d - q*seW, Hi: math.Inf(1)}
	case Less:
		r.PValue = normCDF(z)
		q := -normQuantile(1 - confidence)
		r.CI = Interval{Lo: math.Inf(-1), Hi: d + q*seW}
	default:
		r.PValue = math.Min(1, 2*normSF(math.Abs(z)))
		q := -normQuantile((1 - confidence) / 2)
		r.CI = Interval{Lo: d - q*seW, Hi: d + q*seW}
	}
	return r, nil
}
