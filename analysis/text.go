package analysis

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/varroute/varroute/stats"
)

// WriteText writes the report as plain-text tables: units and the
// sample-ratio check, one table per metric, and the verdict.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	r.writeHeader(ew)
	fmt.Fprintln(ew)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "variant\tunits\tshare\texpected\n")
	for _, v := range r.Variants {
		fmt.Fprintf(tw, "%s\t%d\t%.2f%%\t%.2f%%\n", v.Name, v.Units, 100*v.Share, 100*v.Expected)
	}
	tw.Flush()
	fmt.Fprintf(ew, "sample ratio: %s\n", r.srmLine())
	for _, m := range r.Metrics {
		fmt.Fprintf(ew, "\n%s: %s\n", m.Name, m.describe())
		var buf strings.Builder
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		for _, row := range m.table(r) {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		tw.Flush()
		for l := range strings.Lines(buf.String()) {
			fmt.Fprintln(ew, strings.TrimRight(l, " \n"))
		}
		for _, c := range m.Comparisons {
			if c.Err != nil {
				fmt.Fprintf(ew, "%s: %v\n", c.Variant, c.Err)
			}
		}
	}
	fmt.Fprintf(ew, "\nverdict: %s\n", r.Verdict())
	return ew.err
}

func (r *Report) writeHeader(w io.Writer) {
	plan := r.Plan
	if plan == "" {
		plan = "(unnamed)"
	}
	fmt.Fprintf(w, "plan %s: %d units in %d variants, compared with %s\n", plan, r.Units, len(r.Variants), r.Control)
	if n := len(r.Periods); n > 0 {
		step := r.step()
		fmt.Fprintf(w, "first exposures from %s to %s, cumulated over %d periods of %s with units\n",
			r.Periods[0].Add(-step).Format(time.RFC3339), r.Periods[n-1].Format(time.RFC3339), n, fmtDuration(step))
	}
}

// step is the length of a period.
func (r *Report) step() time.Duration {
	if len(r.Periods) < 2 {
		return 0
	}
	s := r.Periods[1].Sub(r.Periods[0])
	for i := 2; i < len(r.Periods); i++ {
		s = min(s, r.Periods[i].Sub(r.Periods[i-1]))
	}
	return s
}

func fmtDuration(d time.Duration) string {
	switch {
	case d > 0 && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d > 0 && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d > 0 && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

func (r *Report) srmLine() string {
	if r.SRMErr != nil {
		return fmt.Sprintf("test failed: %v", r.SRMErr)
	}
	status := "ok"
	if r.SRMFailed() {
		status = "MISMATCH"
	}
	return fmt.Sprintf("chi2=%.2f, df=%g, p=%s (alpha %g): %s", r.SRM.Statistic, r.SRM.DF, fmtP(r.SRM.PValue), r.SRMAlpha, status)
}

// describe says how the metric is compared.
func (m *MetricResult) describe() string {
	var s string
	switch m.Kind {
	case Rate:
		s = "rate of units with a value above 0, two-proportion z test"
	case Mean:
		s = "mean per unit, Welch t test"
	case Rank:
		s = "distribution per unit, Mann-Whitney U test (effect: P(variant > control))"
	}
	if m.Covariate != "" {
		if math.IsNaN(m.Theta) {
			s += fmt.Sprintf(", CUPED on %s not applied (covariate without variance)", m.Covariate)
		} else {
			s += fmt.Sprintf(", CUPED on %s (theta %.4g, variance -%.1f%%)", m.Covariate, m.Theta, 100*m.VarianceReduction)
		}
	}
	return s
}

// table returns the metric's table as cells, a header first.
func (m *MetricResult) table(r *Report) [][]string {
	conf := fmt.Sprintf("%g%% CI", 100*(1-r.Alpha))
	value := "mean"
	if m.Kind == Rate {
		value = "rate"
	}
	adj := "Holm p"
	if r.Correction == BenjaminiHochberg {
		adj = "BH q"
	}
	rows := [][]string{{"variant", "units", value, conf, "effect", conf, "lift", "p", adj, "P(better)", "seq p"}}
	for i, a := range m.Arms {
		row := []string{a.Variant, fmt.Sprint(a.Units), m.fmtValue(a.Value), m.fmtInterval(a.CI, false), "", "", "", "", "", "", ""}
		if i > 0 {
			c := m.Comparisons[i-1]
			if c.Err == nil {
				row[4] = m.fmtEffect(c.Result.Effect)
				row[5] = m.fmtInterval(c.Result.CI, true)
				row[6] = fmtLift(c.Lift)
				row[7] = fmtP(c.Result.PValue)
				row[8] = fmtP(c.AdjustedP)
				row[9] = fmtProb(c.ProbabilityToBeat)
				row[10] = fmtP(c.SequentialP)
			} else {
				row[4] = "(test failed)"
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func (m *MetricResult) fmtValue(x float64) string {
	if m.Kind == Rate {
		return fmtPercent(x, "%")
	}
	return fmtNum(x, false)
}

func (m *MetricResult) fmtEffect(x float64) string {
	switch m.Kind {
	case Rate:
		return fmtSignedPercent(x) + " pp"
	case Rank:
		return fmt.Sprintf("%.4f", x)
	}
	return fmtNum(x, true)
}

func (m *MetricResult) fmtInterval(ci stats.Interval, effect bool) string {
	if math.IsNaN(ci.Lo) || math.IsNaN(ci.Hi) || (ci.Lo == 0 && ci.Hi == 0 && m.Kind == Rank && effect) {
		return "n/a"
	}
	switch {
	case m.Kind == Rate && effect:
		return "[" + fmtSignedPercent(ci.Lo) + ", " + fmtSignedPercent(ci.Hi) + "] pp"
	case m.Kind == Rate:
		return "[" + fmtPercent(ci.Lo, "") + ", " + fmtPercent(ci.Hi, "") + "]%"
	}
	return "[" + fmtNum(ci.Lo, effect) + ", " + fmtNum(ci.Hi, effect) + "]"
}

func fmtPercent(x float64, unit string) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f%s", 100*x, unit)
}

func fmtSignedPercent(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%+.2f", 100*x)
}

// fmtNum formats a metric value with about four significant digits.
func fmtNum(x float64, signed bool) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	if math.IsInf(x, 0) {
		if x > 0 {
			return "+inf"
		}
		return "-inf"
	}
	sign := ""
	if signed {
		sign = "+"
	}
	a := math.Abs(x)
	switch {
	case a >= 1000:
		return fmt.Sprintf("%"+sign+".0f", x)
	case a >= 100:
		return fmt.Sprintf("%"+sign+".1f", x)
	case a >= 1 || a == 0:
		return fmt.Sprintf("%"+sign+".2f", x)
	}
	return fmt.Sprintf("%"+sign+".3g", x)
}

func fmtProb(p float64) string {
	switch {
	case math.IsNaN(p):
		return "n/a"
	case p > 0.999:
		return ">99.9%"
	case p < 0.001:
		return "<0.1%"
	}
	return fmt.Sprintf("%.1f%%", 100*p)
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	if _, err := e.w.Write(p); err != nil {
		e.err = err
	}
	return len(p), nil
}
