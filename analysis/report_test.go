package analysis

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/varroute/varroute/stats"
)

// experiment is a simulated experiment with its per-unit truth.
type experiment struct {
	log, outcomes string
	variant       map[string]string // unit -> variant
	values        map[string]map[string]float64
}

// simulate returns n units over three variants and three days, with a
// binary metric, a skewed one and a covariate correlated with it.
func simulate(seed uint64, n int) experiment {
	rng := rand.New(rand.NewPCG(seed, 1))
	variants := []string{"control", "big", "small"}
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	ex := experiment{variant: map[string]string{}, values: map[string]map[string]float64{}}
	var log, out strings.Builder
	out.WriteString("unit,metric,value\n")
	for i := range n {
		unit := fmt.Sprintf("s%d-u%d", seed, i)
		v := variants[rng.IntN(3)]
		ex.variant[unit] = v
		at := start.Add(time.Duration(rng.Int64N(int64(72 * time.Hour))))
		fmt.Fprintf(&log, `{"time":%q,"plan":"sim","variant":%q,"reason":"default","unit":%q}`+"\n", at.Format(time.RFC3339Nano), v, unit)
		if rng.IntN(4) == 0 { // a later exposure that changes nothing
			fmt.Fprintf(&log, `{"time":%q,"plan":"sim","variant":%q,"reason":"default","unit":%q}`+"\n", at.Add(time.Hour).Format(time.RFC3339Nano), v, unit)
		}
		l := rng.NormFloat64()
		vals := map[string]float64{}
		if rng.Float64() < 0.5 {
			vals["pre"] = math.Round(100*math.Exp(2+0.8*l+0.5*rng.NormFloat64())) / 100
		}
		lift := map[string]float64{"control": 1, "big": 1.3, "small": 1.05}[v]
		if rng.Float64() < min(1, 0.1*lift*math.Exp(0.7*l-0.245)) {
			vals["converted"] = 1
			vals["revenue"] = math.Round(100*math.Exp(3+0.5*l+0.7*rng.NormFloat64())) / 100
		} else if rng.IntN(2) == 0 {
			vals["converted"] = 0
		}
		for _, m := range []string{"converted", "revenue", "pre"} {
			if x, ok := vals[m]; ok {
				fmt.Fprintf(&out, "%s,%s,%v\n", unit, m, x)
			}
		}
		ex.values[unit] = vals
	}
	ex.log, ex.outcomes = log.String(), out.String()
	return ex
}

// sample returns the values of metric m of the units of variant v, in a
// fixed order, and the covariate's.
func (ex experiment) sample(v, m string) (y, x []float64) {
	for u, vv := range ex.variant {
		if vv == v {
			y = append(y, ex.values[u][m])
			x = append(x, ex.values[u]["pre"])
		}
	}
	return y, x
}

func near(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.IsNaN(got) != math.IsNaN(want) || math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
		t.Errorf("%s = %.15g, want %.15g", name, got, want)
	}
}

func TestAnalyzeMatchesStats(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			ex := simulate(seed, 6000)
			u := NewUnits("")
			if err := u.ReadExposures(strings.NewReader(ex.log)); err != nil {
				t.Fatal(err)
			}
			if err := u.ReadOutcomes(strings.NewReader(ex.outcomes)); err != nil {
				t.Fatal(err)
			}
			sums, err := u.Summaries(SummaryOptions{Period: 6 * time.Hour, Covariate: "pre"})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Analyze(sums, Options{Metrics: []Metric{{Name: "converted"}, {Name: "revenue"}, {Name: "revenue", Kind: Rank}}})
			if err == nil || !strings.Contains(err.Error(), "twice") {
				t.Fatalf("a metric twice: %v", err)
			}
			rep, err = Analyze(sums, Options{Metrics: []Metric{{Name: "converted"}, {Name: "revenue"}, {Name: "pre", Kind: Rank}}})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Control != "control" || rep.Variants[1].Name != "big" || rep.Variants[2].Name != "small" {
				t.Fatalf("variants %v", rep.Variants)
			}
			if len(rep.Periods) != 12 {
				t.Errorf("%d periods, want 12", len(rep.Periods))
			}
			// Reference values straight from the units.
			conv, rev, pre := rep.Metrics[0], rep.Metrics[1], rep.Metrics[2]
			if conv.Kind != Rate || rev.Kind != Mean || pre.Kind != Rank || rev.Covariate != "pre" {
				t.Fatalf("kinds %v %v %v, covariate %q", conv.Kind, rev.Kind, pre.Kind, rev.Covariate)
			}
			var all, allX []float64
			groups := map[string][2]int{}
			for _, v := range []string{"control", "big", "small"} {
				y, x := ex.sample(v, "revenue")
				groups[v] = [2]int{len(all), len(all) + len(y)}
				all, allX = append(all, y...), append(allX, x...)
			}
			adjusted, theta, err := stats.CUPED(all, allX)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "theta", rev.Theta, theta)
			group := func(v string) []float64 { g := groups[v]; return adjusted[g[0]:g[1]] }
			var ps []float64
			for i, v := range []string{"big", "small"} {
				cy, _ := ex.sample("control", "converted")
				ty, _ := ex.sample(v, "converted")
				count := func(xs []float64) (n int64) {
					for _, x := range xs {
						if x > 0 {
							n++
						}
					}
					return n
				}
				cp := stats.Proportion{Successes: count(cy), Trials: int64(len(cy))}
				tp := stats.Proportion{Successes: count(ty), Trials: int64(len(ty))}
				z, err := stats.TwoProportionZTest(cp, tp, stats.TwoSided, 0.95)
				if err != nil {
					t.Fatal(err)
				}
				got := conv.Comparisons[i]
				near(t, v+" conversion p", got.Result.PValue, z.PValue)
				near(t, v+" conversion effect", got.Result.Effect, z.Effect)
				near(t, v+" conversion CI lo", got.Result.CI.Lo, z.CI.Lo)
				pb, _ := stats.ProbabilityToBeat(cp, tp)
				near(t, v+" conversion P(beat)", got.ProbabilityToBeat, pb)

				w, err := stats.WelchTTest(stats.Summarize(group("control")), stats.Summarize(group(v)), stats.TwoSided, 0.95)
				if err != nil {
					t.Fatal(err)
				}
				got = rev.Comparisons[i]
				near(t, v+" CUPED revenue p", got.Result.PValue, w.PValue)
				near(t, v+" CUPED revenue effect", got.Result.Effect, w.Effect)
				near(t, v+" CUPED revenue CI hi", got.Result.CI.Hi, w.CI.Hi)
				near(t, v+" CUPED revenue df", got.Result.DF, w.DF)
				sp, err := stats.MixtureSPRT(stats.Summarize(group("control")), stats.Summarize(group(v)), math.Pow(0.1*rev.Arms[0].Value, 2))
				if err != nil {
					t.Fatal(err)
				}
				if got.SequentialP > sp.PValue*(1+1e-9) || got.SequentialP != got.Series[len(got.Series)-1].SequentialP {
					t.Errorf("%s sequential p %v, want the running minimum, <= the final %v", v, got.SequentialP, sp.PValue)
				}

				cx, _ := ex.sample("control", "pre")
				tx, _ := ex.sample(v, "pre")
				mw, err := stats.MannWhitneyU(cx, tx, stats.TwoSided)
				if err != nil {
					t.Fatal(err)
				}
				near(t, v+" rank p", pre.Comparisons[i].Result.PValue, mw.PValue)
				ps = append(ps, z.PValue, w.PValue, mw.PValue)
			}
			// Holm across all six comparisons, in report order.
			order := []float64{ps[0], ps[3], ps[1], ps[4], ps[2], ps[5]}
			adj := stats.HolmBonferroni(order)
			got := []float64{conv.Comparisons[0].AdjustedP, conv.Comparisons[1].AdjustedP, rev.Comparisons[0].AdjustedP, rev.Comparisons[1].AdjustedP, pre.Comparisons[0].AdjustedP, pre.Comparisons[1].AdjustedP}
			for i := range adj {
				near(t, fmt.Sprint("Holm ", i), got[i], adj[i])
			}
			// The last point of each series is the final result.
			last := conv.Comparisons[0].Series[len(rep.Periods)-1]
			near(t, "last point effect", last.Effect, conv.Comparisons[0].Result.Effect)
		})
	}
}

func TestSummariesRoundTrip(t *testing.T) {
	// Written summaries read back to the same report, bit for bit; shards
	// (two halves of the units) merge into it too.
	ex := simulate(7, 3000)
	read := func(log string) *Summaries {
		u := NewUnits("sim")
		if err := u.ReadExposures(strings.NewReader(log)); err != nil {
			t.Fatal(err)
		}
		if err := u.ReadOutcomes(strings.NewReader(ex.outcomes)); err != nil {
			t.Fatal(err)
		}
		s, err := u.Summaries(SummaryOptions{Period: 24 * time.Hour, Covariate: "pre"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	text := func(s *Summaries) string {
		rep, err := Analyze(s, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := rep.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	direct := read(ex.log)
	want := text(direct)

	var csv bytes.Buffer
	if err := direct.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSummaries(&csv)
	if err != nil {
		t.Fatal(err)
	}
	back.Plan = "sim"
	if got := text(back); got != want {
		t.Errorf("read back:\n%s\nwant\n%s", got, want)
	}

	// Shards: units split by key, so each unit's exposures stay together.
	var a, b strings.Builder
	for l := range strings.Lines(ex.log) {
		if strings.Contains(l, "0\"}") || strings.Contains(l, "5\"}") {
			a.WriteString(l)
		} else {
			b.WriteString(l)
		}
	}
	sa, sb := read(a.String()), read(b.String())
	var ca, cb bytes.Buffer
	_ = sa.WriteCSV(&ca)
	_ = sb.WriteCSV(&cb)
	merged, err := ReadSummaries(strings.NewReader(ca.String() + cb.String()[strings.Index(cb.String(), "\n")+1:]))
	if err != nil {
		t.Fatal(err)
	}
	merged.Plan = "sim"
	rm, err := Analyze(merged, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rd, _ := Analyze(direct, Options{})
	for i, m := range rd.Metrics {
		for j, c := range m.Comparisons {
			near(t, m.Name+" "+c.Variant+" p of merged shards", rm.Metrics[i].Comparisons[j].Result.PValue, c.Result.PValue)
		}
	}
}

func TestAnalyzeErrors(t *testing.T) {
	u := readTest(t, testLog, testOutcomes)
	sums, err := u.Summaries(SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	_ = sums.WriteCSV(&csv)
	fromFile, err := ReadSummaries(&csv)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		s    *Summaries
		opts Options
		want string
	}{
		{"unknown control", sums, Options{Control: "x"}, `control "x" is not a variant`},
		{"unknown metric", sums, Options{Metrics: []Metric{{Name: "sales"}}}, `unknown metric "sales"`},
		{"missing weight", sums, Options{Weights: map[string]float64{"control": 1}}, `"treatment" has units but no weight`},
		{"bad weight", sums, Options{Weights: map[string]float64{"control": 1, "treatment": -1}}, "want a positive number"},
		{"rank from a file", fromFile, Options{Metrics: []Metric{{Name: "revenue", Kind: Rank}}}, "rank test needs every unit's value"},
		{"alpha", sums, Options{Alpha: 1}, "must be in (0, 1)"},
		{"nil", nil, Options{}, "no summaries"},
		{"disagreeing units", &Summaries{Rows: []Row{{Variant: "a", Metric: "m", Units: 3}, {Variant: "a", Metric: "n", Units: 4}, {Variant: "b", Metric: "m", Units: 3}, {Variant: "b", Metric: "n", Units: 3}}}, Options{}, "summaries disagree"},
		{"one variant", &Summaries{Rows: []Row{{Variant: "a", Metric: "m", Units: 3}}}, Options{}, "nothing to compare"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Analyze(tc.s, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	ex := simulate(11, 9000)
	u := NewUnits("")
	_ = u.ReadExposures(strings.NewReader(ex.log))
	_ = u.ReadOutcomes(strings.NewReader(ex.outcomes))
	sums, err := u.Summaries(SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"wins", Options{Metrics: []Metric{{Name: "converted"}}}, "big wins on converted"},
		{"srm", Options{Weights: map[string]float64{"control": 80, "big": 10, "small": 10}}, "sample ratio mismatch"},
		{"nothing at a tiny alpha", Options{Alpha: 1e-30}, "no significant difference"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Analyze(sums, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if v := rep.Verdict(); !strings.Contains(v, tc.want) {
				t.Errorf("verdict %q, want %q in it", v, tc.want)
			}
		})
	}
}

func TestReadSummariesErrors(t *testing.T) {
	const head = "period,variant,metric,units,positive,sum,sum_sq\n"
	tests := []struct {
		name, in string
		line     int
		want     string
	}{
		{"empty", "", 1, "empty file"},
		{"no column", "variant,metric,units\n", 1, "no column positive"},
		{"bad period", head + "yesterday,a,m,1,0,0,0\n", 2, `period "yesterday"`},
		{"bad count", head + ",a,m,x,0,0,0\n", 2, `units "x" is not a count`},
		{"positive > units", head + ",a,m,1,2,0,0\n", 2, "exceeds units"},
		{"bad sum", head + ",a,m,1,0,inf,0\n", 2, `sum "inf"`},
		{"empty variant", head + ",,m,1,0,0,0\n", 2, "empty variant"},
		{"two covariates", "variant,metric,units,positive,sum,sum_sq,covariate,cov_sum,cov_sum_sq,cov_cross\na,m,1,0,0,0,x,0,0,0\na,n,1,0,0,0,y,0,0,0\n", 3, `covariate "y"`},
		{"no rows", head, 0, "no rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSummaries(strings.NewReader(tc.in))
			le, ok := err.(*LineError)
			if !ok || le.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a LineError at line %d containing %q", err, tc.line, tc.want)
			}
		})
	}
	// Integral floats, dates and repeated rows are fine.
	s, err := ReadSummaries(strings.NewReader(head + "2026-03-02,a,m,2.0,1,1,1\n2026-03-02,a,m,3,0,0,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != 1 || s.Rows[0].Units != 5 || !s.Rows[0].Period.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("rows %+v", s.Rows)
	}
}

func TestHTML(t *testing.T) {
	ex := simulate(5, 2000)
	u := NewUnits("")
	_ = u.ReadExposures(strings.NewReader(ex.log))
	_ = u.ReadOutcomes(strings.NewReader(ex.outcomes))
	for _, period := range []time.Duration{0, 3 * time.Hour} {
		sums, err := u.Summaries(SummaryOptions{Period: period})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Analyze(sums, Options{Metrics: []Metric{{Name: "converted"}, {Name: "revenue", Kind: Rank}}})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := rep.WriteHTML(&b, HTMLOptions{Notes: []string{"a <note>"}}); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		for _, want := range []string{"<title>Experiment sim</title>", "a &lt;note&gt;", "Verdict:", "<svg"} {
			if !strings.Contains(page, want) {
				t.Errorf("period %v: page lacks %q", period, want)
			}
		}
		// The ratio chart, and two per rate or mean metric (none for rank).
		if n := strings.Count(page, "<svg"); n != 3 {
			t.Errorf("period %v: %d charts, want 3", period, n)
		}
		if period == 0 && !strings.Contains(page, "one period: no time series") {
			t.Error("one period: no notice")
		}
		if period > 0 && strings.Count(page, "<path class=\"line\"") < 5 {
			t.Error("few lines drawn")
		}
	}
}
