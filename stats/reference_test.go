package stats

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// The reference values in testdata/reference.json come from
// testdata/gen_reference.py (scipy, statsmodels and 50-digit mpmath). Cases
// named "p1e-N" are far-tail cases: their p-values come from 60-digit mpmath
// and, for the alternatives that point the way of the effect, carry
// max_pvalue = 1e-N, which checkTail holds both the reference and our result
// to.

const refTol = 1e-7

type refSummary struct {
	N        int64   `json:"n"`
	Mean     float64 `json:"mean"`
	Variance float64 `json:"variance"`
}

func (s refSummary) summary() Summary { return NewSummary(s.N, s.Mean, s.Variance) }

type refProportion struct {
	Successes int64 `json:"successes"`
	Trials    int64 `json:"trials"`
}

func (p refProportion) prop() Proportion { return Proportion(p) }

type reference struct {
	TTest []struct {
		Name             string     `json:"name"`
		Control          refSummary `json:"control"`
		Treatment        refSummary `json:"treatment"`
		ControlSamples   []float64  `json:"control_samples"`
		TreatmentSamples []float64  `json:"treatment_samples"`
		Alt              string     `json:"alt"`
		Confidence       float64    `json:"confidence"`
		Statistic        float64    `json:"statistic"`
		DF               float64    `json:"df"`
		PValue           float64    `json:"pvalue"`
		MaxPValue        float64    `json:"max_pvalue"`
		Effect           float64    `json:"effect"`
		CI               []*float64 `json:"ci"`
	} `json:"ttest"`
	ZTest []struct {
		Name       string        `json:"name"`
		Control    refProportion `json:"control"`
		Treatment  refProportion `json:"treatment"`
		Alt        string        `json:"alt"`
		Confidence float64       `json:"confidence"`
		Statistic  float64       `json:"statistic"`
		PValue     float64       `json:"pvalue"`
		MaxPValue  float64       `json:"max_pvalue"`
		Effect     float64       `json:"effect"`
		CI         []*float64    `json:"ci"`
	} `json:"ztest"`
	MannWhitney []struct {
		Name      string    `json:"name"`
		Control   []float64 `json:"control"`
		Treatment []float64 `json:"treatment"`
		Alt       string    `json:"alt"`
		Statistic float64   `json:"statistic"`
		PValue    float64   `json:"pvalue"`
		Effect    float64   `json:"effect"`
	} `json:"mannwhitney"`
	MannWhitneyLCG []struct {
		Name         string     `json:"name"`
		Seed         uint64     `json:"seed"`
		NControl     int        `json:"n_control"`
		NTreatment   int        `json:"n_treatment"`
		ModControl   uint64     `json:"mod_control"`
		ModTreatment uint64     `json:"mod_treatment"`
		Shift        float64    `json:"shift"`
		First        [2]float64 `json:"first"`
		Last         [2]float64 `json:"last"`
		Alt          string     `json:"alt"`
		Statistic    float64    `json:"statistic"`
		PValue       float64    `json:"pvalue"`
		MaxPValue    float64    `json:"max_pvalue"`
		Effect       float64    `json:"effect"`
	} `json:"mannwhitney_lcg"`
	GOF []struct {
		Name      string    `json:"name"`
		Observed  []int64   `json:"observed"`
		Shares    []float64 `json:"shares"`
		Statistic float64   `json:"statistic"`
		DF        float64   `json:"df"`
		PValue    float64   `json:"pvalue"`
		MaxPValue float64   `json:"max_pvalue"`
	} `json:"gof"`
	Independence []struct {
		Name      string    `json:"name"`
		Table     [][]int64 `json:"table"`
		Statistic float64   `json:"statistic"`
		DF        float64   `json:"df"`
		PValue    float64   `json:"pvalue"`
		MaxPValue float64   `json:"max_pvalue"`
	} `json:"independence"`
	Multiple []struct {
		Name string    `json:"name"`
		P    []float64 `json:"p"`
		Holm []float64 `json:"holm"`
		BH   []float64 `json:"bh"`
	} `json:"multiple"`
	ProbabilityToBeat []struct {
		Name      string        `json:"name"`
		Control   refProportion `json:"control"`
		Treatment refProportion `json:"treatment"`
		Prob      float64       `json:"prob"`
	} `json:"probability_to_beat"`
	SampleSizeProportions []struct {
		Baseline, MDE, Alpha, Power float64
		Alt                         string
		N                           int64
	} `json:"sample_size_proportions"`
	SampleSizeMeans []struct {
		Stddev, MDE, Alpha, Power float64
		Alt                       string
		N                         int64
	} `json:"sample_size_means"`
	CUPED []struct {
		Name     string    `json:"name"`
		X        []float64 `json:"x"`
		Y        []float64 `json:"y"`
		Theta    float64   `json:"theta"`
		Adjusted []float64 `json:"adjusted"`
	} `json:"cuped"`
	MSPRT []struct {
		Name      string     `json:"name"`
		Control   refSummary `json:"control"`
		Treatment refSummary `json:"treatment"`
		Tau2      float64    `json:"tau2"`
		Statistic float64    `json:"statistic"`
		PValue    float64    `json:"pvalue"`
		MaxPValue float64    `json:"max_pvalue"`
		Effect    float64    `json:"effect"`
	} `json:"msprt"`
	Special struct {
		TSF []struct {
			T, DF, SF float64
		} `json:"tsf"`
		TQuantile []struct {
			Q, DF, T float64
		} `json:"tquantile"`
		Chi2SF []struct {
			X, DF, SF float64
		} `json:"chi2sf"`
	} `json:"special"`
}

func loadReference(t testing.TB) *reference {
	t.Helper()
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func parseAlt(t *testing.T, s string) Alternative {
	switch s {
	case "two-sided":
		return TwoSided
	case "greater":
		return Greater
	case "less":
		return Less
	}
	t.Fatalf("unknown alternative %q", s)
	return 0
}

// close reports whether got is within refTol relative of want (absolute
// 1e-300 when want is 0).
func near(got, want, tol float64) bool {
	if got == want {
		return true
	}
	if want == 0 {
		return math.Abs(got) < 1e-300
	}
	return math.Abs(got-want) <= tol*math.Abs(want)
}

func checkNear(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !near(got, want, refTol) {
		t.Errorf("%s = %.17g, want %.17g (rel %.2e)", what, got, want, math.Abs(got-want)/math.Abs(want))
	}
}

// checkNearAbs allows an absolute error of absTol*scale, for values that are
// differences of nearly equal numbers (effect and interval ends near 0).
func checkNearScaled(t *testing.T, what string, got, want, scale float64) {
	t.Helper()
	if !(math.Abs(got-want) <= refTol*math.Max(math.Abs(want), scale)) {
		t.Errorf("%s = %.17g, want %.17g (scale %g)", what, got, want, scale)
	}
}

// checkTail checks a far-tail case: when maxP is set, the reference p-value
// must be a positive normal float64 no larger than maxP (so that checkNear
// really compares it to relative precision), and so must got.
func checkTail(t *testing.T, got, want, maxP float64) {
	t.Helper()
	if maxP == 0 {
		return
	}
	if !(want >= math.SmallestNonzeroFloat64*(1<<52) && want <= maxP) {
		t.Errorf("reference PValue %g is not a normal float64 <= %g", want, maxP)
	}
	if !(got > 0 && got <= maxP) {
		t.Errorf("PValue = %g, want in (0, %g]", got, maxP)
	}
}

func checkCI(t *testing.T, got Interval, want []*float64, scale float64) {
	t.Helper()
	if want[0] == nil {
		if !math.IsInf(got.Lo, -1) {
			t.Errorf("CI.Lo = %v, want -Inf", got.Lo)
		}
	} else {
		checkNearScaled(t, "CI.Lo", got.Lo, *want[0], scale)
	}
	if want[1] == nil {
		if !math.IsInf(got.Hi, 1) {
			t.Errorf("CI.Hi = %v, want +Inf", got.Hi)
		}
	} else {
		checkNearScaled(t, "CI.Hi", got.Hi, *want[1], scale)
	}
}

func TestReferenceTTest(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range ref.TTest {
		t.Run(tc.Name, func(t *testing.T) {
			f := WelchTTest
			if tc.Name[:7] == "student" {
				f = StudentTTest
			}
			c, tr := tc.Control.summary(), tc.Treatment.summary()
			if tc.ControlSamples != nil {
				c, tr = Summarize(tc.ControlSamples), Summarize(tc.TreatmentSamples)
			}
			r, err := f(c, tr, parseAlt(t, tc.Alt), tc.Confidence)
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "Statistic", r.Statistic, tc.Statistic)
			checkNear(t, "DF", r.DF, tc.DF)
			checkNear(t, "PValue", r.PValue, tc.PValue)
			checkTail(t, r.PValue, tc.PValue, tc.MaxPValue)
			// The effect of raw samples is a difference of means, exact only
			// to rounding relative to the means themselves.
			scale := math.Max(math.Abs(tc.Control.Mean), math.Abs(tc.Treatment.Mean)) * 1e-8
			checkNearScaled(t, "Effect", r.Effect, tc.Effect, scale)
			checkCI(t, r.CI, tc.CI, scale)
		})
	}
}

func TestReferenceZTest(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range ref.ZTest {
		t.Run(tc.Name, func(t *testing.T) {
			r, err := TwoProportionZTest(tc.Control.prop(), tc.Treatment.prop(), parseAlt(t, tc.Alt), tc.Confidence)
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "Statistic", r.Statistic, tc.Statistic)
			checkNear(t, "PValue", r.PValue, tc.PValue)
			checkTail(t, r.PValue, tc.PValue, tc.MaxPValue)
			checkNearScaled(t, "Effect", r.Effect, tc.Effect, 1e-9)
			if r.DF != 0 {
				t.Errorf("DF = %v, want 0", r.DF)
			}
			checkCI(t, r.CI, tc.CI, 1e-9)
		})
	}
}

func TestReferenceMannWhitneyU(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range ref.MannWhitney {
		t.Run(tc.Name, func(t *testing.T) {
			r, err := MannWhitneyU(tc.Control, tc.Treatment, parseAlt(t, tc.Alt))
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "Statistic", r.Statistic, tc.Statistic)
			checkNear(t, "PValue", r.PValue, tc.PValue)
			checkNear(t, "Effect", r.Effect, tc.Effect)
			if r.DF != 0 || r.CI != (Interval{}) {
				t.Errorf("DF, CI = %v, %v; want zero", r.DF, r.CI)
			}
		})
	}
}

// lcgSamples replicates lcg_samples in testdata/gen_reference.py: Knuth's
// MMIX generator s = A*s + C mod 2^64, value (s >> 33) mod m, control values
// first, then treatment values plus shift.
func lcgSamples(seed uint64, nc, nt int, modC, modT uint64, shift float64) (c, t []float64) {
	const a, inc = 6364136223846793005, 1442695040888963407
	s := seed
	draw := func(n int, mod uint64, off float64) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			s = s*a + inc
			xs[i] = float64((s>>33)%mod) + off
		}
		return xs
	}
	c = draw(nc, modC, 0)
	t = draw(nt, modT, shift)
	return c, t
}

// TestReferenceMannWhitneyLCG checks the large-sample path (tens of
// thousands of values, heavy ties, far tails) on data both sides generate.
func TestReferenceMannWhitneyLCG(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range ref.MannWhitneyLCG {
		t.Run(tc.Name, func(t *testing.T) {
			c, tr := lcgSamples(tc.Seed, tc.NControl, tc.NTreatment, tc.ModControl, tc.ModTreatment, tc.Shift)
			if got := [2]float64{c[0], tr[0]}; got != tc.First {
				t.Fatalf("first values %v, want %v: LCG differs from the generator's", got, tc.First)
			}
			if got := [2]float64{c[len(c)-1], tr[len(tr)-1]}; got != tc.Last {
				t.Fatalf("last values %v, want %v: LCG differs from the generator's", got, tc.Last)
			}
			r, err := MannWhitneyU(c, tr, parseAlt(t, tc.Alt))
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "Statistic", r.Statistic, tc.Statistic)
			checkNear(t, "PValue", r.PValue, tc.PValue)
			checkTail(t, r.PValue, tc.PValue, tc.MaxPValue)
			checkNear(t, "Effect", r.Effect, tc.Effect)
		})
	}
}

// TestReferenceFarTailCoverage guards the far-tail cases themselves: every
// test that returns a p-value has a reference case at or below 1e-50, and at
// or below 1e-200 (the t tests also at small df), so that regenerating
// reference.json cannot silently drop them.
func TestReferenceFarTailCoverage(t *testing.T) {
	ref := loadReference(t)
	low := map[string]float64{} // smallest max_pvalue per function
	note := func(fn string, maxP float64) {
		if maxP > 0 && (low[fn] == 0 || maxP < low[fn]) {
			low[fn] = maxP
		}
	}
	smallDF := map[string]bool{}
	for _, tc := range ref.TTest {
		fn := "WelchTTest"
		if tc.Name[:7] == "student" {
			fn = "StudentTTest"
		}
		note(fn, tc.MaxPValue)
		if tc.MaxPValue > 0 && tc.MaxPValue <= 1e-50 && tc.DF <= 30 {
			smallDF[fn] = true
		}
	}
	for _, tc := range ref.ZTest {
		note("TwoProportionZTest", tc.MaxPValue)
	}
	for _, tc := range ref.MannWhitneyLCG {
		note("MannWhitneyU", tc.MaxPValue)
	}
	for _, tc := range ref.GOF {
		note("ChiSquareGoodnessOfFit", tc.MaxPValue)
	}
	for _, tc := range ref.Independence {
		note("ChiSquareIndependence", tc.MaxPValue)
	}
	for _, tc := range ref.MSPRT {
		note("MixtureSPRT", tc.MaxPValue)
	}
	for _, fn := range []string{"WelchTTest", "StudentTTest", "TwoProportionZTest", "MannWhitneyU",
		"ChiSquareGoodnessOfFit", "ChiSquareIndependence", "MixtureSPRT"} {
		if !(low[fn] > 0 && low[fn] <= 1e-200) {
			t.Errorf("%s: smallest far-tail bound %g, want a case at or below 1e-200", fn, low[fn])
		}
	}
	for _, fn := range []string{"WelchTTest", "StudentTTest"} {
		if !smallDF[fn] {
			t.Errorf("%s: no far-tail case (<= 1e-50) with df <= 30", fn)
		}
	}
}

func TestReferenceChiSquare(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range ref.GOF {
		t.Run(tc.Name, func(t *testing.T) {
			r, err := ChiSquareGoodnessOfFit(tc.Observed, tc.Shares)
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "Statistic", r.Statistic, tc.Statistic)
			checkNear(t, "PValue", r.PValue, tc.PValue)
			checkTail(t, r.PValue, tc.PValue, tc.MaxPValue)
			checkNear(t, "DF", r.DF, tc.DF)
		})
	}
	for _, tc := range ref.Independence {
		t.Run(tc.Name, func(t *testing.T) {
			r, err := ChiSquareIndependence(tc.Table)
			if err != nil {
				t.Fatal(err)
			}
			checkNearScaled(t, "Statistic", r.Statistic, tc.Statistic, 1e-20)
			checkNear(t, "PValue", r.PValue, tc.PValue)
			checkTail(t, r.PValue, tc.PValue, tc.MaxPValue)
			checkNear(t, "DF", r.DF, tc.DF)
		})
	}
}

func TestReferenceMultiple(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range ref.Multiple {
		t.Run(tc.Name, func(t *testing.T) {
			holm, bh := HolmBonferroni(tc.P), BenjaminiHochberg(tc.P)
			for i := range tc.P {
				checkNear(t, "holm", holm[i], tc.Holm[i])
				checkNear(t, "bh", bh[i], tc.BH[i])
			}
		})
	}
}

func TestReferenceProbabilityToBeat(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range ref.ProbabilityToBeat {
		t.Run(tc.Name, func(t *testing.T) {
			p, err := ProbabilityToBeat(tc.Control.prop(), tc.Treatment.prop())
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "P", p, tc.Prob)
		})
	}
}

func TestReferenceSampleSize(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range ref.SampleSizeProportions {
		n, err := SampleSizeProportions(tc.Baseline, tc.MDE, tc.Alpha, tc.Power, parseAlt(t, tc.Alt))
		if err != nil || n != tc.N {
			t.Errorf("SampleSizeProportions(%v, %v, %v, %v, %s) = %d, %v; want %d", tc.Baseline, tc.MDE, tc.Alpha, tc.Power, tc.Alt, n, err, tc.N)
		}
	}
	for _, tc := range ref.SampleSizeMeans {
		n, err := SampleSizeMeans(tc.Stddev, tc.MDE, tc.Alpha, tc.Power, parseAlt(t, tc.Alt))
		if err != nil || n != tc.N {
			t.Errorf("SampleSizeMeans(%v, %v, %v, %v, %s) = %d, %v; want %d", tc.Stddev, tc.MDE, tc.Alpha, tc.Power, tc.Alt, n, err, tc.N)
		}
	}
}

func TestReferenceCUPED(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range ref.CUPED {
		t.Run(tc.Name, func(t *testing.T) {
			adj, theta, err := CUPED(tc.Y, tc.X)
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "theta", theta, tc.Theta)
			for i := range adj {
				checkNear(t, "adjusted", adj[i], tc.Adjusted[i])
			}
		})
	}
}

func TestReferenceMixtureSPRT(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range ref.MSPRT {
		t.Run(tc.Name, func(t *testing.T) {
			r, err := MixtureSPRT(tc.Control.summary(), tc.Treatment.summary(), tc.Tau2)
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "Statistic", r.Statistic, tc.Statistic)
			checkNear(t, "PValue", r.PValue, tc.PValue)
			checkTail(t, r.PValue, tc.PValue, tc.MaxPValue)
			checkNear(t, "Effect", r.Effect, tc.Effect)
		})
	}
}

func TestReferenceSpecial(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.Special.TSF {
		if got := tSF(c.T, c.DF); !near(got, c.SF, 1e-9) {
			t.Errorf("tSF(%v, %v) = %v, want %v", c.T, c.DF, got, c.SF)
		}
	}
	for _, c := range ref.Special.TQuantile {
		if got := tQuantileUpper(c.Q, c.DF); !near(got, c.T, 1e-9) {
			t.Errorf("tQuantileUpper(%v, %v) = %v, want %v", c.Q, c.DF, got, c.T)
		}
	}
	for _, c := range ref.Special.Chi2SF {
		if got := chi2SF(c.X, c.DF); !near(got, c.SF, 1e-10) {
			t.Errorf("chi2SF(%v, %v) = %v, want %v", c.X, c.DF, got, c.SF)
		}
	}
}
