package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/varroute/varroute/analysis"
	"github.com/varroute/varroute/exposure"
)

func runAnalyze(args []string, e env) int {
	f := newFlags("analyze", "varroute analyze (-exposures F -outcomes F | -summaries F) [flags]", `
Analyze is the analysis job of an A/B test. It joins the exposure log a
router wrote (exposure.Writer's JSON lines) with an outcomes CSV — long
(unit,metric,value) or wide (unit and one column per metric) — and reports
per variant and metric: units, rate or mean with its interval, the effect
against the control with its interval, lift, p-values (two-proportion z for
rates, Welch t for means, Mann-Whitney U for rank metrics) adjusted with Holm
or Benjamini-Hochberg, the Bayesian probability to beat the control, the
always-valid sequential p-value, a sample-ratio-mismatch check and a verdict.
A unit counts in the variant of its first exposure (intent to treat).

Inputs are streamed: memory grows with the number of units, not lines. Each
flag may repeat for shards. -save-summaries writes the per-period,
per-variant sums; -summaries reads such sums instead of the raw data, for
example computed by SQL in a warehouse (see the README), and gives the same
report. -html writes one self-contained page with plots: the cumulative
effect with its confidence band, the sequential p-value over time, and the
assignment shares against their expected ratio.`, `
varroute analyze -exposures exposures.jsonl -outcomes outcomes.csv -covariate pre_revenue -html report.html
varroute analyze -summaries summaries.csv -weights control=50,treatment=50`)
	var exposures, outcomes, summaries, metrics listFlag
	f.Var(&exposures, "exposures", "an exposure log, JSON lines (repeat for shards)")
	f.Var(&outcomes, "outcomes", "an outcomes CSV (repeat for shards)")
	f.Var(&summaries, "summaries", "a summaries CSV instead of exposures and outcomes (repeat for shards)")
	f.Var(&metrics, "metric", "a metric to compare, `name[:kind]` with kind auto, rate, mean or rank (repeat; default: every metric but the covariate)")
	plan := f.String("plan", "", "the plan whose exposures count (default: the log's only plan)")
	covariate := f.String("covariate", "", "a pre-period metric of the outcomes for CUPED, such as pre_revenue")
	control := f.String("control", "", `the control variant (default: "control" if there is one, else the first by name)`)
	weights := f.String("weights", "", "expected shares for the sample-ratio check, such as control=90,treatment=10 (default: equal)")
	alpha := f.Float64("alpha", 0.05, "significance level of the adjusted p-values; intervals have confidence 1-alpha")
	srmAlpha := f.Float64("srm-alpha", 0.001, "significance level of the sample-ratio-mismatch check")
	correction := f.String("correction", "holm", "multiple-comparison correction: holm or bh (Benjamini-Hochberg)")
	mde := f.Float64("mde", 0.1, "relative effect the sequential test is tuned for")
	period := f.Duration("period", time.Hour, "length of the periods the plots cumulate over (with -exposures)")
	htmlPath := f.String("html", "", "write the report as a self-contained HTML page with plots to this file")
	savePath := f.String("save-summaries", "", "write the summaries CSV to this file (with -exposures)")
	pos, status, ok := f.parse(args, e)
	if !ok {
		return status
	}
	if len(pos) > 0 {
		return f.usageError(e, "unexpected argument %q", pos[0])
	}
	raw := len(exposures) > 0 || len(outcomes) > 0
	switch {
	case raw && len(summaries) > 0:
		return f.usageError(e, "-summaries replaces -exposures and -outcomes; give one or the other")
	case !raw && len(summaries) == 0:
		return f.usageError(e, "want -exposures and -outcomes, or -summaries")
	case raw && (len(exposures) == 0 || len(outcomes) == 0):
		return f.usageError(e, "want both -exposures and -outcomes")
	case len(summaries) > 0 && *savePath != "":
		return f.usageError(e, "-save-summaries needs -exposures and -outcomes")
	}
	opts := analysis.Options{Control: *control, Alpha: *alpha, SRMAlpha: *srmAlpha, MDE: *mde}
	for _, m := range metrics {
		name, kind, _ := strings.Cut(m, ":")
		k := analysis.Auto
		if kind != "" {
			var err error
			if k, err = analysis.ParseKind(kind); err != nil {
				return f.usageError(e, "-metric %q: %v", m, err)
			}
		}
		opts.Metrics = append(opts.Metrics, analysis.Metric{Name: name, Kind: k})
	}
	switch *correction {
	case "holm":
	case "bh":
		opts.Correction = analysis.BenjaminiHochberg
	default:
		return f.usageError(e, "-correction %q: want holm or bh", *correction)
	}
	var err error
	if opts.Weights, err = parseWeights(*weights); err != nil {
		return f.usageError(e, "%v", err)
	}
	if *period < 0 {
		return f.usageError(e, "-period must not be negative")
	}

	var sums *analysis.Summaries
	var inputs, notes []string
	if raw {
		// The per-unit table holds no pointers; a lower GC target keeps
		// the heap near it while the log's lines are parsed and dropped.
		debug.SetGCPercent(10)
		units := analysis.NewUnits(*plan)
		for _, path := range exposures {
			if err := readInput(path, e, units.ReadExposures); err != nil {
				e.errorf("analyze: %v", err)
				return 1
			}
		}
		for _, path := range outcomes {
			if err := readInput(path, e, units.ReadOutcomes); err != nil {
				e.errorf("analyze: %v", err)
				return 1
			}
		}
		sums, err = units.Summaries(analysis.SummaryOptions{Period: *period, Covariate: *covariate})
		if err != nil {
			e.errorf("analyze: %s", strings.TrimPrefix(err.Error(), "analysis: "))
			return 1
		}
		st := units.Stats()
		inputs = append(inputs,
			fmt.Sprintf("exposures: %s (%d exposures of plan %s, %d units)", strings.Join(exposures, ", "), st.ExposureLines-st.OtherPlans, units.Plan(), units.Len()),
			fmt.Sprintf("outcomes:  %s (%d values; metrics %s)", strings.Join(outcomes, ", "), st.OutcomeRows, strings.Join(units.Metrics(), ", ")))
		if st.OtherPlans > 0 {
			notes = append(notes, fmt.Sprintf("%d exposures of other plans were skipped", st.OtherPlans))
		}
		if st.Crossed > 0 {
			notes = append(notes, fmt.Sprintf("%d units were exposed to more than one variant (each counts in its first)", st.Crossed))
		}
		if st.NoKey > 0 {
			notes = append(notes, fmt.Sprintf("%d exposures had no unit key (ignored)", st.NoKey))
		}
		if st.Unmatched > 0 {
			notes = append(notes, fmt.Sprintf("%d outcome values are of units never exposed (ignored)", st.Unmatched))
		}
		if *savePath != "" {
			if err := writeFile(*savePath, sums.WriteCSV); err != nil {
				e.errorf("analyze: %v", err)
				return 1
			}
		}
	} else {
		for _, path := range summaries {
			var s *analysis.Summaries
			err := readInput(path, e, func(r io.Reader) (err error) {
				s, err = analysis.ReadSummaries(r)
				return err
			})
			if err != nil {
				e.errorf("analyze: %v", err)
				return 1
			}
			if sums == nil {
				sums = s
				continue
			}
			if s.Covariate != sums.Covariate {
				e.errorf("analyze: %s: covariate %q, but %s has %q", path, s.Covariate, summaries[0], sums.Covariate)
				return 1
			}
			sums.Rows = append(sums.Rows, s.Rows...)
		}
		if *covariate != "" && *covariate != sums.Covariate {
			e.errorf("analyze: -covariate %q, but the summaries' covariate is %q", *covariate, sums.Covariate)
			return 1
		}
		sums.Plan = *plan
		inputs = append(inputs, fmt.Sprintf("summaries: %s (%d rows)", strings.Join(summaries, ", "), len(sums.Rows)))
	}
	rep, err := analysis.Analyze(sums, opts)
	if err != nil {
		e.errorf("analyze: %s", strings.TrimPrefix(err.Error(), "analysis: "))
		return 1
	}
	for _, in := range inputs {
		fmt.Fprintln(e.stdout, in)
	}
	for _, n := range notes {
		fmt.Fprintln(e.stdout, "note:", n)
	}
	fmt.Fprintln(e.stdout)
	if err := rep.WriteText(e.stdout); err != nil {
		e.errorf("analyze: %v", err)
		return 1
	}
	if *htmlPath != "" {
		err := writeFile(*htmlPath, func(w io.Writer) error {
			return rep.WriteHTML(w, analysis.HTMLOptions{Notes: notes})
		})
		if err != nil {
			e.errorf("analyze: %v", err)
			return 1
		}
	}
	return 0
}

// readInput opens path (with a progress bar on a terminal) and hands it
// to read; an error names the file and, if it tells, the line.
func readInput(path string, e env, read func(io.Reader) error) error {
	r, closeFn, err := openInput(path, e)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := read(r); err != nil {
		return inputError(path, err)
	}
	return nil
}

// inputError formats err as "file:line: message".
func inputError(path string, err error) error {
	var le *exposure.LineError
	var ae *analysis.LineError
	switch {
	case errors.As(err, &le):
		return fmt.Errorf("%s:%d: %w", path, le.Line, le.Err)
	case errors.As(err, &ae) && ae.Line > 0:
		return fmt.Errorf("%s:%d: %w", path, ae.Line, ae.Err)
	case errors.As(err, &ae):
		return fmt.Errorf("%s: %w", path, ae.Err)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// writeFile writes a file through a buffer, reporting the close error.
func writeFile(path string, write func(io.Writer) error) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(fh)
	if err := write(bw); err != nil {
		fh.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		fh.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return fh.Close()
}

// parseWeights parses "a=50,b=50"; "" means nil (equal shares).
func parseWeights(s string) (map[string]float64, error) {
	if s == "" {
		return nil, nil
	}
	ws := map[string]float64{}
	for part := range strings.SplitSeq(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		share, err := strconv.ParseFloat(val, 64)
		if !ok || name == "" || err != nil || !(share > 0) || math.IsInf(share, 0) {
			return nil, fmt.Errorf("-weights: %q is not variant=positive number", part)
		}
		if _, dup := ws[name]; dup {
			return nil, fmt.Errorf("-weights: variant %q twice", name)
		}
		ws[name] = share
	}
	return ws, nil
}
