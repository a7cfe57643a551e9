package stats

import "math"

// MixtureMinN is the number of values each group needs before MixtureSPRT
// gives a p-value: its burn-in. Below it the plug-in variance is too noisy
// for the p-value to hold (monitored from n = 2, A/A normal data cross 0.05
// in up to 18% of runs); from it on, A/A runs monitored after every one of
// 10,000 observations cross 0.05 in at most 3% (see cmd/rolloutsim).
const MixtureMinN = 30

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
// The guarantee, P(p ever <= alpha) <= alpha under no difference, rests on
// the normal approximation of the difference of means with V taken from the
// sample variances. It may be read after every observation from the moment
// each group has MixtureMinN values (its burn-in); before that it returns an
// error wrapping ErrInsufficientData instead of a p-value. Data far from
// normal (a heavy tail, a rate near 0) need more values before the
// approximation holds.
//
// Statistic is Lambda (saturating at math.MaxFloat64 when it overflows, where
// PValue is 0), Effect is d, DF is 0 and CI is zero. Callers that monitor
// continuously keep the running minimum of the p-values. It returns an error
// wrapping ErrInvalidInput for a non-finite summary or a negative or
// non-finite tau2, and one wrapping ErrInsufficientData when a group has
// fewer than MixtureMinN values or V is 0.
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
	if control.n < MixtureMinN || treatment.n < MixtureMinN {
		return Result{}, errorf(ErrInsufficientData, "msprt: %d control and %d treatment values, want %d each (burn-in)",
			control.n, treatment.n, MixtureMinN)
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

// MixtureRadius returns the half-width of the always-valid one-sided
// confidence bounds of an estimate whose variance is variance: with
// lo = estimate - radius and hi = estimate + radius, the true value is below
// lo at some time with probability at most alpha, and above hi at some time
// with probability at most alpha, however often the bounds are read as the
// estimate accumulates evidence (a confidence sequence). It is the bound of a
// one-sided mixture SPRT whose mixing distribution is a half-normal of
// variance tau2 over effects: the radius is z*sqrt(variance), z the root of
//
//	r = tau2/(variance+tau2)
//	log 2 + log Phi(z*sqrt(r)) + log(1-r)/2 + z^2 r/2 = log(1/alpha)
//
// The guarantee rests on the estimate being approximately normal with the
// given variance, and holds for a variance estimated from the data only up
// to that estimate's error: use a conservative variance, or a burn-in.
// The bound is tightest when variance is near tau2/10 and widens slowly
// (logarithmically) away from it.
//
// It returns 0 for a variance of 0, +Inf for tau2 = 0 and NaN for a
// negative or non-finite variance or tau2, or alpha outside (0, 1).
func MixtureRadius(variance, tau2, alpha float64) float64 {
	if !(variance >= 0) || math.IsInf(variance, 0) || !(tau2 >= 0) || math.IsInf(tau2, 0) || !(alpha > 0 && alpha < 1) {
		return math.NaN()
	}
	switch {
	case variance == 0:
		return 0
	case tau2 == 0:
		return math.Inf(1)
	}
	return mixtureZ(variance, tau2, alpha) * math.Sqrt(variance)
}

// mixtureZ returns the root z of the equation of MixtureRadius, by Newton's
// method safeguarded by bisection.
func mixtureZ(variance, tau2, alpha float64) float64 {
	r := tau2 / (variance + tau2)
	sr := math.Sqrt(r)
	target := -math.Log(alpha)
	half := 0.5 * math.Log(variance/(variance+tau2)) // log(1-r)/2 <= 0, finite when r rounds to 1
	// 1 <= 2*Phi <= 2 for z >= 0 brackets the root.
	lo := math.Sqrt(math.Max(0, 2*(target-math.Ln2-half)/r))
	hi := math.Sqrt(2 * (target - half) / r)
	z := (lo + hi) / 2
	for range 100 {
		c := normCDF(z * sr)
		g := math.Ln2 + math.Log(c) + half + z*z*r/2 - target
		if g < 0 {
			lo = z
		} else {
			hi = z
		}
		if hi-lo <= 1e-13*hi {
			break
		}
		d := sr*math.Exp(-z*z*r/2)/math.Sqrt(2*math.Pi)/c + z*r
		next := z - g/d
		if !(next > lo && next < hi) {
			next = (lo + hi) / 2
		}
		if math.Abs(next-z) <= 1e-13*z {
			return next
		}
		z = next
	}
	return hi
}

// MixtureSampleSize returns the smallest number of observations n for which
// the always-valid bound of a mean of n observations, each of variance
// variance, is within gap of the estimate: MixtureRadius(variance/n, tau2,
// alpha) <= gap. It is the sample size of an always-valid test: how much data
// a confidence sequence needs to rule out an effect gap away from the
// estimate. It returns an error wrapping ErrInvalidInput for a negative or
// non-finite variance, gap or tau2, a gap or tau2 of 0, alpha outside (0, 1),
// or a result that does not fit in an int64. A variance of 0 gives 1.
func MixtureSampleSize(variance, gap, tau2, alpha float64) (int64, error) {
	if !(variance >= 0) || math.IsInf(variance, 0) || !(gap > 0) || math.IsInf(gap, 0) || !(tau2 > 0) || math.IsInf(tau2, 0) {
		return 0, errorf(ErrInvalidInput, "mixture sample size: variance %v, gap %v and tau2 %v must be finite, gap and tau2 > 0", variance, gap, tau2)
	}
	if !(alpha > 0 && alpha < 1) {
		return 0, errorf(ErrInvalidInput, "mixture sample size: alpha %v not in (0, 1)", alpha)
	}
	if variance == 0 {
		return 1, nil
	}
	ok := func(n float64) bool { return MixtureRadius(variance/n, tau2, alpha) <= gap }
	// n = variance*(z/gap)^2, with z the root at n: a fixed point, since z
	// changes slowly (logarithmically) with n.
	n := 1.0
	for range 50 {
		z := mixtureZ(variance/n, tau2, alpha)
		next := math.Max(1, math.Ceil(variance*z*z/(gap*gap)))
		if next > 9e18 {
			return 0, errorf(ErrInvalidInput, "mixture sample size: more than 9e18 observations")
		}
		if next == n {
			break
		}
		n = next
	}
	// Settle on the smallest n that is ok, from the fixed point.
	step := math.Max(1, math.Ceil(n*1e-3))
	for !ok(n) {
		n += step
	}
	for step >= 1 {
		for n > 1 && ok(n-step) {
			n -= step
		}
		step = math.Floor(step / 2)
	}
	return int64(n), nil
}

// binomialMixture are the concentrations of the Beta priors SequentialBinomial
// mixes, equally weighted: from a diffuse prior that catches gross
// mismatches early to a concentrated one for small deviations at large n.
var binomialMixture = [...]float64{1e1, 1e2, 1e3, 1e4, 1e5, 1e6}

// SequentialBinomial is an always-valid test that successes out of n
// independent trials have success probability p0: the likelihood ratio of a
// mixture of Beta(c*p0, c*(1-p0)) priors, c in 10, 100, ..., 1e6 equally
// weighted, against p0.
//
//	Lambda = mean_c B(c p0 + x, c (1-p0) + n - x) / B(c p0, c (1-p0)) / (p0^x (1-p0)^(n-x))
//	p      = min(1, 1/Lambda)
//
// Lambda is a nonnegative martingale under p0 as trials accrue, so P(p ever
// <= alpha) <= alpha exactly, with no approximation and no burn-in: read it
// after every trial. It serves for sample-ratio checks: x the units assigned
// to one arm out of n, p0 that arm's weight. Statistic is Lambda (saturating
// at math.MaxFloat64), Effect is x/n - p0. It returns an error wrapping
// ErrInvalidInput for negative counts, successes > n, or p0 outside (0, 1).
func SequentialBinomial(successes, n int64, p0 float64) (Result, error) {
	if successes < 0 || successes > n || !(p0 > 0 && p0 < 1) {
		return Result{}, errorf(ErrInvalidInput, "sequential binomial: %d of %d with p0 %v", successes, n, p0)
	}
	if n == 0 {
		return Result{Statistic: 1, PValue: 1}, nil
	}
	x, f := float64(successes), float64(n-successes)
	null := x*math.Log(p0) + f*math.Log1p(-p0)
	// log mean exp of the log ratios.
	var logs [len(binomialMixture)]float64
	top := math.Inf(-1)
	for i, c := range binomialMixture {
		a, b := c*p0, c*(1-p0)
		logs[i] = lbeta(a+x, b+f) - lbeta(a, b) - null
		top = math.Max(top, logs[i])
	}
	var sum float64
	for _, l := range logs {
		sum += math.Exp(l - top)
	}
	logL := top + math.Log(sum/float64(len(logs)))
	res := Result{Effect: x/float64(n) - p0, Statistic: math.Exp(logL), PValue: math.Min(1, math.Exp(-logL))}
	if math.IsInf(res.Statistic, 1) {
		res.Statistic = math.MaxFloat64
	}
	return res, nil
}

// lbeta returns log B(a, b) for a, b > 0.
func lbeta(a, b float64) float64 {
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}

// SequentialBinomialInterval returns the always-valid confidence interval of
// a success probability after successes out of n trials: the p0 whose
// SequentialBinomial p-value is above alpha. The true probability is outside
// the interval at some n with probability at most alpha, however often it is
// read. It returns [0, 1] for n = 0, and NaN, NaN for negative counts,
// successes > n or alpha outside (0, 1).
func SequentialBinomialInterval(successes, n int64, alpha float64) (lo, hi float64) {
	if successes < 0 || successes > n || !(alpha > 0 && alpha < 1) {
		return math.NaN(), math.NaN()
	}
	if n == 0 {
		return 0, 1
	}
	inside := func(p0 float64) bool {
		r, err := SequentialBinomial(successes, n, p0)
		return err == nil && r.PValue > alpha
	}
	ph := float64(successes) / float64(n)
	centre := math.Min(math.Max(ph, 1e-12), 1-1e-12)
	if !inside(centre) {
		return ph, ph // cannot happen for alpha < 1/2; the estimate itself
	}
	// The p-value falls as p0 moves away from the estimate on either side.
	search := func(out float64) float64 {
		in := centre
		for range 100 {
			mid := (in + out) / 2
			if inside(mid) {
				in = mid
			} else {
				out = mid
			}
			if math.Abs(in-out) <= 1e-10*math.Max(in, 1e-300) {
				break
			}
		}
		return in
	}
	lo, hi = 0, 1
	if successes > 0 && !inside(1e-15) {
		lo = search(1e-15)
	}
	if successes < n && !inside(1-1e-15) {
		hi = search(1 - 1e-15)
	}
	return lo, hi
}
