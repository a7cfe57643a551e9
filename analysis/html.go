package analysis

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"
)

// HTMLOptions configure Report.WriteHTML. The zero value titles the page
// after the plan and adds no notes.
type HTMLOptions struct {
	// Title is the page's title. Empty means "Experiment " and the plan.
	Title string
	// Notes are remarks printed under the verdict, such as the counts of
	// exposures set aside (Units.Stats).
	Notes []string
}

// WriteHTML writes the report as one self-contained HTML page — no script,
// no external resource — with the tables of WriteText and plots drawn as
// inline SVG: per metric, the cumulative effect of each variant with its
// confidence band and the sequential p-value over time; and the share of
// units per variant against its expected share, with a band of three
// standard errors.
func (r *Report) WriteHTML(w io.Writer, opts HTMLOptions) error {
	title := opts.Title
	if title == "" {
		title = "Experiment " + r.Plan
		if r.Plan == "" {
			title = "Experiment"
		}
	}
	var head strings.Builder
	r.writeHeader(&head)
	page := htmlPage{
		Title:    title,
		Header:   strings.Split(strings.TrimSpace(head.String()), "\n"),
		Verdict:  r.Verdict(),
		Tone:     r.tone(),
		Notes:    opts.Notes,
		SRM:      r.srmLine(),
		SRMBad:   r.SRMFailed(),
		Variants: r.Variants,
		Ratio:    template.HTML(r.ratioChart("ratio").svg()),
	}
	for i, m := range r.Metrics {
		rows := m.table(r)
		hm := htmlMetric{Name: m.Name, About: m.describe(), Head: rows[0], Rows: rows[1:]}
		for _, c := range m.Comparisons {
			if c.Err != nil {
				hm.Errors = append(hm.Errors, fmt.Sprintf("%s: %v", c.Variant, c.Err))
			}
		}
		if m.Kind != Rank {
			effect, seq := r.effectChart(&m), r.sequentialChart(&m)
			effect.id, seq.id = fmt.Sprintf("effect-%d", i), fmt.Sprintf("seq-%d", i)
			hm.Charts = []template.HTML{template.HTML(effect.svg()), template.HTML(seq.svg())}
		}
		page.Metrics = append(page.Metrics, hm)
	}
	return pageTemplate.Execute(w, page)
}

type htmlPage struct {
	Title    string
	Header   []string
	Verdict  string
	Tone     string
	Notes    []string
	SRM      string
	SRMBad   bool
	Variants []VariantUnits
	Ratio    template.HTML
	Metrics  []htmlMetric
}

type htmlMetric struct {
	Name, About string
	Head        []string
	Rows        [][]string
	Errors      []string
	Charts      []template.HTML
}

// tone is the verdict's colour: bad for a mismatch or a loss, good for a
// win only, neutral otherwise.
func (r *Report) tone() string {
	if r.SRMFailed() {
		return "bad"
	}
	win, loss := false, false
	for _, m := range r.Metrics {
		for _, c := range m.Comparisons {
			if c.Err != nil || !(c.AdjustedP < r.Alpha) {
				continue
			}
			better := c.Result.Effect > 0
			if m.Kind == Rank {
				better = c.Result.Effect > 0.5
			}
			win, loss = win || better, loss || !better
		}
	}
	switch {
	case loss:
		return "bad"
	case win:
		return "good"
	}
	return "neutral"
}

// rangeStart is the first period by whose end a tenth of the units were
// exposed: earlier points set no chart's range.
func (r *Report) rangeStart() int {
	for k := range r.Periods {
		var n int64
		for _, v := range r.Variants {
			n += v.Cumulative[k]
		}
		if 10*n >= r.Units {
			return k
		}
	}
	return 0
}

// effectChart plots each variant's cumulative effect with its band.
func (r *Report) effectChart(m *MetricResult) *chart {
	scale, unit := 1.0, ""
	if m.Kind == Rate {
		scale, unit = 100, " (pp)"
	}
	c := &chart{
		title:  fmt.Sprintf("%s: cumulative effect vs %s, %g%% CI", m.Name, r.Control, 100*(1-r.Alpha)),
		ylabel: "effect" + unit,
		x:      r.Periods,
		refs:   []refLine{{y: 0}},
		from:   r.rangeStart(),
	}
	for i, cm := range m.Comparisons {
		s := series{name: cm.Variant, color: palette[(i+1)%len(palette)]}
		for _, p := range cm.Series {
			s.y = append(s.y, scale*p.Effect)
			s.lo = append(s.lo, scale*p.CI.Lo)
			s.hi = append(s.hi, scale*p.CI.Hi)
		}
		if len(s.y) > 0 {
			c.series = append(c.series, s)
		}
	}
	return c
}

// sequentialChart plots each variant's always-valid p-value on a log
// scale, with alpha.
func (r *Report) sequentialChart(m *MetricResult) *chart {
	c := &chart{
		title:  fmt.Sprintf("%s: sequential p-value (mixture SPRT)", m.Name),
		ylabel: "always-valid p",
		x:      r.Periods,
		logY:   true,
		refs:   []refLine{{y: r.Alpha, label: fmt.Sprintf("alpha %g", r.Alpha)}},
		ytick: func(v float64) string {
			if v >= 0.01 {
				return fmt.Sprintf("%g", v)
			}
			return fmt.Sprintf("1e%d", int(math.Round(math.Log10(v))))
		},
	}
	for i, cm := range m.Comparisons {
		s := series{name: cm.Variant, color: palette[(i+1)%len(palette)]}
		for _, p := range cm.Series {
			s.y = append(s.y, p.SequentialP)
		}
		if len(s.y) > 0 {
			c.series = append(c.series, s)
		}
	}
	return c
}

// ratioChart plots each variant's cumulative share of units against its
// expected share, with a band of three binomial standard errors.
func (r *Report) ratioChart(id string) *chart {
	c := &chart{
		id:     id,
		from:   r.rangeStart(),
		title:  "assignment: share of units vs expected, ±3 standard errors",
		ylabel: "share of units (%)",
		x:      r.Periods,
	}
	totals := make([]int64, len(r.Periods))
	for _, v := range r.Variants {
		for k, n := range v.Cumulative {
			totals[k] += n
		}
	}
	for i, v := range r.Variants {
		color := palette[i%len(palette)]
		obs := series{name: v.Name, color: color}
		exp := series{color: color, dashed: true}
		for k, n := range v.Cumulative {
			share, e := math.NaN(), v.Expected
			se := math.NaN()
			if totals[k] > 0 {
				share = float64(n) / float64(totals[k])
				se = math.Sqrt(e * (1 - e) / float64(totals[k]))
			}
			obs.y = append(obs.y, 100*share)
			exp.y = append(exp.y, 100*e)
			exp.lo = append(exp.lo, 100*(e-3*se))
			exp.hi = append(exp.hi, 100*(e+3*se))
		}
		c.series = append(c.series, exp, obs)
	}
	return c
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"pct":  func(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) },
	"date": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 24px auto; max-width: 1180px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 2px; }
p.sub, p.about { color: #555; margin: 2px 0; }
.verdict { margin: 14px 0; padding: 10px 14px; border-radius: 6px; font-weight: 600; border-left: 6px solid; }
.verdict.good { background: #e8f5e9; border-color: #2e7d32; }
.verdict.bad { background: #fdecea; border-color: #c62828; }
.verdict.neutral { background: #f1f3f4; border-color: #80868b; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; text-align: right; border-bottom: 1px solid #e0e0e0; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #fafafa; font-weight: 600; }
.srm.bad { color: #c62828; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.side { width: 560px; }
svg.chart { background: #fff; border: 1px solid #e0e0e0; border-radius: 4px; font: 11px system-ui, sans-serif; }
svg.chart .title { font-size: 13px; font-weight: 600; fill: #222; }
svg.chart .axis text, svg.chart .legend, svg.chart .reflabel, svg.chart .empty { fill: #555; }
svg.chart .grid line { stroke: #eee; }
svg.chart .frame { fill: none; stroke: #bbb; }
svg.chart .ref { stroke: #555; stroke-dasharray: 3 3; }
svg.chart .band { opacity: 0.15; stroke: none; }
svg.chart .line { fill: none; stroke-width: 2; }
ul.notes { color: #555; }
footer { margin-top: 32px; color: #777; font-size: 12px; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{range .Header}}<p class="sub">{{.}}</p>
{{end}}<div class="verdict {{.Tone}}">Verdict: {{.Verdict}}</div>
{{if .Notes}}<ul class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>
{{end}}
<h2>Assignment</h2>
<div class="charts"><div class="side">
<table>
<tr><th>variant</th><th>units</th><th>share</th><th>expected</th></tr>
{{range .Variants}}<tr><td>{{.Name}}</td><td>{{.Units}}</td><td>{{pct .Share}}</td><td>{{pct .Expected}}</td></tr>
{{end}}</table>
<p class="srm{{if .SRMBad}} bad{{end}}">Sample ratio: {{.SRM}}</p>
</div>{{.Ratio}}</div>
{{range .Metrics}}
<h2>{{.Name}}</h2>
<p class="about">{{.About}}</p>
<table>
<tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{range .Errors}}<p class="about">{{.}}</p>
{{end}}{{if .Charts}}<div class="charts">{{range .Charts}}{{.}}{{end}}</div>
{{end}}{{end}}
<footer>
Intent to treat: each unit counts in the variant of its first exposure. Plots are cumulative by the period of first exposure,
with each unit's outcomes to date. Effects are variant − control; p-values are two-sided and adjusted across every metric and
variant; the sequential p-value (a mixture SPRT, running minimum) stays valid however often it is read, the fixed-horizon p only
at the planned end. P(better) is the Bayesian probability that the variant's true value beats the control's.
Written by varroute.
</footer>
</body>
</html>
`))
