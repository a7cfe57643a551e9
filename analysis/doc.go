// Package analysis is the analysis job of an A/B test: it joins the exposure
// log a router wrote (package exposure) with a table of outcomes, reduces
// them to per-variant sufficient statistics, and reports per variant and
// metric the rate or mean with its interval, the effect against the
// control with its interval, the lift, p-values adjusted for multiple
// comparisons, the Bayesian probability to beat the control, an always-valid
// sequential p-value over time, a sample-ratio-mismatch check and a verdict —
// as text (Report.WriteText) or as one self-contained HTML page with plots
// (Report.WriteHTML).
//
// # Three steps
//
//	u := analysis.NewUnits("checkout-2026")
//	err := u.ReadExposures(exposureLog)  // streamed: memory grows with units, not lines
//	err = u.ReadOutcomes(outcomesCSV)
//	sums, err := u.Summaries(analysis.SummaryOptions{Period: time.Hour})
//	rep, err := analysis.Analyze(sums, analysis.Options{})
//	err = rep.WriteText(os.Stdout)
//
// Units holds one small record per unit (a 96-bit hash of its key, its
// variant, the time of its first exposure, and one float64 per metric), so a
// log of a million users needs tens of megabytes however long it is. Summaries are
// per (period, variant, metric) sums — units, units with a positive value,
// sum and sum of squares, and the covariate's sums for CUPED — that merge
// by addition: they can be computed anywhere, for example in SQL where the
// data already lives (see ReadSummaries for the format), and give the same
// report.
//
// # How units are counted
//
//   - Intent to treat: a unit belongs to the variant of its first exposure
//     under the plan (earliest time; on a tie, the variant first in byte
//     order), whatever happened later: a fallback serving it or a change of
//     weights. Units exposed to more than one variant are counted
//     (Units.Stats) and stay in their first variant.
//   - A unit's value of a metric is the sum of its outcome rows for that
//     metric; an exposed unit without rows has 0 (outcome tables usually
//     list only the units that did something). Rows of units never exposed
//     are counted and ignored.
//   - A unit's period is the start of the period (Period, such as an hour)
//     of its first exposure. The plots are cumulative by period: the point
//     at a period's end is the analysis of every unit first exposed up to
//     then, with all of its outcomes.
//
// # Which test
//
// A metric is a rate when every unit's value is 0 or 1 (or when declared
// Rate, in which case a unit counts when its value is above 0): rate with a
// Wilson interval, two-proportion z test, Bayesian probability to beat the
// control with uniform priors (stats.ProbabilityToBeat). Otherwise it is a
// mean per unit: mean with a t interval, Welch t test, and the normal
// approximation of the probability to beat, Phi(effect/se). A metric
// declared Rank is compared with the Mann-Whitney U test, which needs every
// unit's value and so only runs on Units, not on summaries read from a file.
//
// CUPED (Options and SummaryOptions.Covariate): a pre-period metric x
// reduces the variance of each mean metric y; theta = cov(x, y)/var(x) is
// pooled over all variants, and each variant's adjusted mean and variance
// follow from the sums:
//
//	mean' = mean_y - theta*(mean_x - pooled mean_x)
//	var'  = var_y + theta^2*var_x - 2*theta*cov_xy
//
// P-values are two-sided and adjusted across every metric and variant with
// Holm's method (or Benjamini-Hochberg). The sequential p-value is that of a
// mixture SPRT (stats.MixtureSPRT) computed at the end of every period and
// kept as a running minimum, valid however often it is looked at; its mixing
// variance is (Options.MDE × the control's mean)^2. The sample-ratio check is
// a chi-square goodness-of-fit test of the units per variant against the
// expected shares; a p-value under Options.SRMAlpha makes the verdict
// "untrustworthy".
//
// Nothing in the package is safe for concurrent mutation; a Report is
// immutable once returned.
package analysis
