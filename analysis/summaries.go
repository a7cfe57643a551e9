package analysis

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A Row holds the sufficient statistics of one metric over the units of one
// variant first exposed in one period. Rows merge by adding their fields.
type Row struct {
	// Period is the start of the period of the units' first exposure; the
	// zero Time when the summaries have no periods.
	Period time.Time
	// Variant and Metric name the variant and the metric.
	Variant, Metric string
	// Units is the number of units; every metric's row of the same period
	// and variant has the same.
	Units int64
	// Positive is the number of units whose value is above 0.
	Positive int64
	// Sum and SumSq are the sum of the units' values and of their squares
	// (units without outcome rows count as 0).
	Sum, SumSq float64
	// CovSum, CovSumSq and CovCross are the sums of the covariate x, of x^2
	// and of x*y over the same units, when the summaries have a covariate
	// (Summaries.Covariate); otherwise 0.
	CovSum, CovSumSq, CovCross float64
}

// add adds o's sums to r's.
func (r *Row) add(o *Row) {
	r.Units += o.Units
	r.Positive += o.Positive
	r.Sum += o.Sum
	r.SumSq += o.SumSq
	r.CovSum += o.CovSum
	r.CovSumSq += o.CovSumSq
	r.CovCross += o.CovCross
}

// Summaries are the per-(period, variant, metric) sufficient statistics of
// an experiment, from Units.Summaries or ReadSummaries; Analyze turns them
// into a Report. Two Summaries of disjoint units (shards) merge by
// concatenating their rows: Analyze adds rows of the same period, variant
// and metric.
type Summaries struct {
	// Rows are the statistics, in any order.
	Rows []Row
	// Covariate names the metric whose values fill the Cov fields of every
	// row (for CUPED), or is "" for none.
	Covariate string
	// Plan names the plan, when known; it titles the report.
	Plan string

	units *Units // the per-unit values, for rank tests; nil when read from a file
}

// SummaryOptions configure Units.Summaries.
type SummaryOptions struct {
	// Period is the length of the periods that the time series of the
	// report are cumulated over, such as time.Hour or 24*time.Hour; a unit
	// belongs to the period of its first exposure (time.Time.Truncate, so
	// hours and days start on UTC boundaries). Zero means one period: no
	// time series.
	Period time.Duration
	// Covariate names a metric of the outcomes measured before the
	// experiment (such as last month's revenue) to reduce the variance of
	// the others with CUPED. Its sums fill the Cov fields of every row.
	// Empty means none.
	Covariate string
}

// Summaries returns the per-period, per-variant, per-metric sums of the
// table. Rows are in the order of period, then variant, then metric (byte
// order), and the sums add the units in the order they were first seen,
// so the same input gives the same bits. It returns an error if there are
// no units, no metric, or the covariate is not a metric of the outcomes.
func (u *Units) Summaries(opts SummaryOptions) (*Summaries, error) {
	if u.keys.len() == 0 {
		return nil, fmt.Errorf("analysis: no exposure with a unit key for plan %q", u.plan)
	}
	if len(u.metrics) == 0 {
		return nil, errors.New("analysis: the outcomes hold no metric")
	}
	if opts.Period < 0 {
		return nil, fmt.Errorf("analysis: negative period %v", opts.Period)
	}
	cov := -1
	if opts.Covariate != "" {
		m, ok := u.metricIdx[opts.Covariate]
		if !ok {
			return nil, fmt.Errorf("analysis: covariate %q is not a metric of the outcomes (%s)", opts.Covariate, strings.Join(u.metrics, ", "))
		}
		cov = m
	}
	type group struct {
		period int64
		v      uint16
	}
	groups := map[group]int{}
	var keys []group
	nm := len(u.metrics)
	var rows []Row // len(keys)*nm, grouped by key
	for i := range u.keys.len() {
		t := *u.first.at(i)
		g := group{math.MinInt64, *u.variant.at(i) &^ crossedBit}
		if opts.Period > 0 {
			g.period = time.Unix(0, t).Truncate(opts.Period).UnixNano()
		}
		k, ok := groups[g]
		if !ok {
			k = len(keys)
			groups[g] = k
			keys = append(keys, g)
			for m := range nm {
				r := Row{Variant: u.names[g.v], Metric: u.metrics[m]}
				if opts.Period > 0 {
					r.Period = time.Unix(0, g.period).UTC()
				}
				rows = append(rows, r)
			}
		}
		x := 0.0
		if cov >= 0 {
			x = u.value(cov, i)
		}
		for m := range nm {
			y := u.value(m, i)
			r := &rows[k*nm+m]
			r.Units++
			if y > 0 {
				r.Positive++
			}
			r.Sum += y
			r.SumSq += y * y
			if cov >= 0 {
				r.CovSum += x
				r.CovSumSq += x * x
				r.CovCross += x * y
			}
		}
	}
	sortRows(rows)
	return &Summaries{Rows: rows, Covariate: opts.Covariate, Plan: u.plan, units: u}, nil
}

func sortRows(rows []Row) {
	slices.SortStableFunc(rows, func(a, b Row) int {
		return cmp.Or(a.Period.Compare(b.Period), strings.Compare(a.Variant, b.Variant), strings.Compare(a.Metric, b.Metric))
	})
}

// summaryColumns is the header WriteCSV writes and ReadSummaries expects.
var summaryColumns = []string{"period", "variant", "metric", "units", "positive", "sum", "sum_sq", "covariate", "cov_sum", "cov_sum_sq", "cov_cross"}

// WriteCSV writes the summaries in the CSV format ReadSummaries reads,
// numbers in the shortest form that reads back exactly.
func (s *Summaries) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(summaryColumns); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, r := range s.Rows {
		period := ""
		if !r.Period.IsZero() {
			period = r.Period.UTC().Format(time.RFC3339Nano)
		}
		rec := []string{period, r.Variant, r.Metric, strconv.FormatInt(r.Units, 10), strconv.FormatInt(r.Positive, 10), f(r.Sum), f(r.SumSq), s.Covariate, "", "", ""}
		if s.Covariate != "" {
			rec[8], rec[9], rec[10] = f(r.CovSum), f(r.CovSumSq), f(r.CovCross)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadSummaries reads summaries from CSV, as WriteCSV writes them or as SQL
// over the exposure log and the outcomes computes them where the data
// lives. The header names the columns, in any order (matched without regard
// to case; others are ignored):
//
//	period      start of the period of first exposure: RFC 3339
//	            ("2026-03-02T10:00:00Z"), "2006-01-02 15:04:05" (UTC), a date
//	            ("2026-03-02"), or empty for no periods; the column may be absent
//	variant     the variant
//	metric      the metric
//	units       units first exposed to the variant in the period
//	positive    those whose value of the metric is above 0
//	sum         sum over those units of the metric's value (0 without rows)
//	sum_sq      sum of the squares of those values
//	covariate   (optional) the name of the covariate metric, the same on
//	            every row, or empty for none
//	cov_sum, cov_sum_sq, cov_cross
//	            (with a covariate) sums of x, x^2 and x*y, x the covariate
//
// Rows of the same period, variant and metric add up (shards), and every
// metric must have the same units per period and variant. Errors are
// *LineError values naming the line.
func ReadSummaries(r io.Reader) (*Summaries, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, lineErr(1, "empty file, want a header")
	}
	if err != nil {
		return nil, csvErr(err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, c := range []string{"variant", "metric", "units", "positive", "sum", "sum_sq"} {
		if _, ok := col[c]; !ok {
			return nil, lineErr(1, "no column %s in header %q", c, header)
		}
	}
	get := func(rec []string, c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	s := &Summaries{}
	covSeen := false
	type key struct {
		period          int64
		variant, metric string
	}
	at := map[key]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		var row Row
		if p := get(rec, "period"); p != "" {
			t, err := parsePeriod(p)
			if err != nil {
				return nil, lineErr(line, "period %q: want RFC 3339 time or a date", p)
			}
			row.Period = t
		}
		row.Variant, row.Metric = get(rec, "variant"), get(rec, "metric")
		if row.Variant == "" || row.Metric == "" {
			return nil, lineErr(line, "empty variant or metric")
		}
		ints := []struct {
			name string
			dst  *int64
		}{{"units", &row.Units}, {"positive", &row.Positive}}
		for _, f := range ints {
			v := get(rec, f.name)
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				// SQL engines may print integral sums as 12.0.
				x, ferr := strconv.ParseFloat(v, 64)
				if ferr != nil || x != math.Trunc(x) || x < 0 || x > 1<<53 {
					return nil, lineErr(line, "%s %q is not a count", f.name, v)
				}
				n = int64(x)
			}
			if n < 0 {
				return nil, lineErr(line, "%s %d is negative", f.name, n)
			}
			*f.dst = n
		}
		if row.Positive > row.Units {
			return nil, lineErr(line, "positive %d exceeds units %d", row.Positive, row.Units)
		}
		cov := get(rec, "covariate")
		if covSeen && cov != s.Covariate {
			return nil, lineErr(line, "covariate %q, earlier rows have %q", cov, s.Covariate)
		}
		covSeen, s.Covariate = true, cov
		floats := []struct {
			name string
			dst  *float64
		}{{"sum", &row.Sum}, {"sum_sq", &row.SumSq}}
		if cov != "" {
			floats = append(floats, []struct {
				name string
				dst  *float64
			}{{"cov_sum", &row.CovSum}, {"cov_sum_sq", &row.CovSumSq}, {"cov_cross", &row.CovCross}}...)
		}
		for _, f := range floats {
			v := get(rec, f.name)
			x, err := parseValue(v)
			if err != nil {
				return nil, lineErr(line, "%s %q is not a finite number", f.name, v)
			}
			*f.dst = x
		}
		if row.SumSq < 0 || row.CovSumSq < 0 {
			return nil, lineErr(line, "negative sum of squares")
		}
		k := key{row.Period.UnixNano(), row.Variant, row.Metric}
		if row.Period.IsZero() {
			k.period = math.MinInt64
		}
		if i, ok := at[k]; ok {
			s.Rows[i].add(&row)
			continue
		}
		at[k] = len(s.Rows)
		s.Rows = append(s.Rows, row)
	}
	if len(s.Rows) == 0 {
		return nil, lineErr(0, "no rows")
	}
	sortRows(s.Rows)
	return s, nil
}

// parsePeriod parses the period formats ReadSummaries accepts.
func parsePeriod(p string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, p); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, ErrInput
}
