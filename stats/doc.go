// Package stats decides whether a difference between two variants is real:
// an analysis job uses it to decide whether variant B beat variant A, and the
// canary controller to decide whether a candidate is worse than the baseline.
// Every function agrees with scipy.stats / statsmodels to 1e-7 relative
// (tested against committed reference values, including n up to 1e8 and
// p-values near 1e-300). It depends on the standard library and gonum only.
//
// Conventions: two-sample functions take (control, treatment); Effect is
// treatment − control; Greater means treatment > control and Less means
// treatment < control. Confidence intervals follow the alternative:
// TwoSided gives [lo, hi], Greater [lo, +Inf], Less [-Inf, hi]. Errors wrap
// ErrInvalidInput (NaN/Inf, bad confidence, negative counts, mismatched
// lengths) or ErrInsufficientData (too few observations, no variation). All
// functions are pure and safe for concurrent use.
//
// # Which test to use when
//
// Means of a continuous metric (revenue, latency averages), from raw data or
// streaming Summary values: WelchTTest by default; StudentTTest only when the
// variances are known to be equal.
//
//	t = (mean_t - mean_c) / sqrt(var_t/n_t + var_c/n_c)
//	df = (var_t/n_t + var_c/n_c)^2 / ((var_t/n_t)^2/(n_t-1) + (var_c/n_c)^2/(n_c-1))
//
// Rates (conversion, error rate): TwoProportionZTest, or ProbabilityToBeat
// for a Bayesian read-out.
//
//	z = (p_t - p_c) / sqrt(p(1-p)(1/n_t + 1/n_c)),  p = pooled rate
//	P(p_t > p_c) with p ~ Beta(1+s, 1+n-s)
//
// Skewed or heavy-tailed samples (latencies): MannWhitneyU.
//
//	z = (U - n_t n_c/2 - 0.5) / sqrt(n_t n_c/12 ((n+1) - sum(t^3-t)/(n(n-1))))
//
// Traffic split sanity (sample-ratio mismatch): ChiSquareGoodnessOfFit.
// Outcome by variant tables: ChiSquareIndependence.
//
//	chi2 = sum (o - e)^2 / e
//
// Several metrics or variants at once: HolmBonferroni (family-wise error) or
// BenjaminiHochberg (false discovery rate) on the p-values.
//
// Watching a test continuously: MixtureSPRT, whose p-value stays valid at
// every look once each group has MixtureMinN (30) values; MixtureRadius for
// always-valid bounds (confidence sequences) and MixtureSampleSize for the
// data they need; SequentialBinomial and SequentialBinomialInterval for a
// split (sample-ratio checks), exact at every look.
//
//	Lambda = sqrt(V/(V+tau2)) exp(tau2 d^2 / (2V(V+tau2))),  p = min(1, 1/Lambda)
//
// Before a test: SampleSizeProportions and SampleSizeMeans. To shrink
// variance with pre-period data: CUPED.
//
//	n = 2 (z_a + z_b)^2 stddev^2 / mde^2
//	y' = y - theta (x - mean(x)),  theta = cov(x,y)/var(x)
//
// # Precision
//
// Normal tails use math.Erfc. Student t and chi-square tails use the
// incomplete beta and gamma functions with Loader's saddle-point prefactors
// (no differences of large log-gamma values), and for df above 5e7 an
// expansion of the t tail in 1/df; the result holds 1e-9 relative or better
// at any df.
package stats
