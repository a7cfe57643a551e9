package analysis

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A chart is a line chart over time, drawn as SVG by hand: no dependency,
// text in the page's font, a few kilobytes per chart.
type chart struct {
	title  string
	ylabel string
	x      []time.Time
	series []series
	refs   []refLine
	logY   bool
	ytick  func(float64) string // tick label; nil means %g
	// from is the first index whose values set the y range: the earliest
	// points, on few units, have intervals so wide they would flatten the
	// rest; they are drawn clipped.
	from int
	// id is unique in the page; it names the clip path.
	id string
}

// series is one line, with an optional band (lo, hi) around it.
type series struct {
	name   string
	color  string
	y      []float64
	lo, hi []float64
	dashed bool
}

// refLine is a horizontal reference line.
type refLine struct {
	y     float64
	label string
}

const (
	chartW, chartH                     = 560, 280
	padLeft, padRight, padTop, padBott = 64, 16, 36, 44
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"}

// svg renders the chart.
func (c *chart) svg() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, html.EscapeString(c.title))
	fmt.Fprintf(&b, `<text x="%d" y="18" class="title">%s</text>`, padLeft, html.EscapeString(c.title))
	if len(c.x) < 2 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="empty">one period: no time series</text></svg>`, padLeft, chartH/2)
		return b.String()
	}
	c.thin(600)
	// The ranges.
	t0, t1 := c.x[0], c.x[len(c.x)-1]
	ylo, yhi := math.Inf(1), math.Inf(-1)
	see := func(v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) || (c.logY && v <= 0) {
			return
		}
		ylo, yhi = min(ylo, v), max(yhi, v)
	}
	for _, s := range c.series {
		for i := min(c.from, len(s.y)-1); i >= 0 && i < len(s.y); i++ {
			see(s.y[i])
			if s.lo != nil {
				see(s.lo[i])
				see(s.hi[i])
			}
		}
	}
	for _, r := range c.refs {
		see(r.y)
	}
	if math.IsInf(ylo, 0) {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="empty">not enough data</text></svg>`, padLeft, chartH/2)
		return b.String()
	}
	var ticks []float64
	if c.logY {
		lo := math.Floor(math.Log10(ylo))
		hi := math.Ceil(math.Log10(yhi))
		if hi == lo {
			hi++
		}
		ylo, yhi = math.Pow(10, lo), math.Pow(10, hi)
		step := math.Ceil((hi - lo) / 6)
		for e := hi; e >= lo; e -= step {
			ticks = append(ticks, math.Pow(10, e))
		}
	} else {
		if ylo == yhi {
			ylo, yhi = ylo-1, yhi+1
		}
		pad := (yhi - ylo) * 0.05
		ylo, yhi = ylo-pad, yhi+pad
		ticks = niceTicks(ylo, yhi, 6)
		ylo, yhi = min(ylo, ticks[0]), max(yhi, ticks[len(ticks)-1])
	}
	pw, ph := float64(chartW-padLeft-padRight), float64(chartH-padTop-padBott)
	span := float64(t1.Sub(t0))
	px := func(t time.Time) float64 { return padLeft + pw*float64(t.Sub(t0))/span }
	py := func(v float64) float64 {
		if c.logY {
			return padTop + ph*(1-(math.Log10(v)-math.Log10(ylo))/(math.Log10(yhi)-math.Log10(ylo)))
		}
		return padTop + ph*(1-(v-ylo)/(yhi-ylo))
	}
	ok := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && (!c.logY || v > 0) }
	tick := c.ytick
	if tick == nil {
		tick = func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
	}

	// Grid and axes.
	b.WriteString(`<g class="grid">`)
	for _, v := range ticks {
		y := py(v)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padLeft, chartW-padRight, y, y)
	}
	xt, layout := timeTicks(t0, t1, 6)
	for _, t := range xt {
		x := px(t)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>`, x, x, padTop, chartH-padBott)
	}
	b.WriteString(`</g><g class="axis">`)
	for _, v := range ticks {
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`, padLeft-6, py(v), html.EscapeString(tick(v)))
	}
	for _, t := range xt {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, px(t), chartH-padBott+16, html.EscapeString(t.UTC().Format(layout)))
	}
	fmt.Fprintf(&b, `<text x="14" y="%.1f" transform="rotate(-90 14 %.1f)" text-anchor="middle">%s</text>`, padTop+ph/2, padTop+ph/2, html.EscapeString(c.ylabel))
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" class="frame"/>`, padLeft, padTop, pw, ph)
	b.WriteString(`</g>`)

	// Everything below is clipped to the plot.
	clip := "clip-" + c.id
	fmt.Fprintf(&b, `<clipPath id="%s"><rect x="%d" y="%d" width="%.0f" height="%.0f"/></clipPath><g clip-path="url(#%s)">`, clip, padLeft, padTop, pw, ph, clip)
	// Reference lines.
	for _, r := range c.refs {
		if !ok(r.y) {
			continue
		}
		y := py(r.y)
		fmt.Fprintf(&b, `<line class="ref" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padLeft, chartW-padRight, y, y)
		if r.label != "" {
			fmt.Fprintf(&b, `<text class="reflabel" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartW-padRight-4, y-4, html.EscapeString(r.label))
		}
	}
	// Bands, then lines, in runs of finite points.
	for _, s := range c.series {
		if s.lo == nil {
			continue
		}
		for _, run := range runs(len(s.y), func(i int) bool { return ok(s.y[i]) && ok(s.lo[i]) && ok(s.hi[i]) }) {
			var pts []string
			for i := run[0]; i < run[1]; i++ {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(c.x[i]), py(s.hi[i])))
			}
			for i := run[1] - 1; i >= run[0]; i-- {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(c.x[i]), py(s.lo[i])))
			}
			fmt.Fprintf(&b, `<polygon class="band" fill="%s" points="%s"/>`, s.color, strings.Join(pts, " "))
		}
	}
	for _, s := range c.series {
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="5 4"`
		}
		for _, run := range runs(len(s.y), func(i int) bool { return ok(s.y[i]) }) {
			var d strings.Builder
			for i := run[0]; i < run[1]; i++ {
				cmd := "L"
				if i == run[0] {
					cmd = "M"
				}
				fmt.Fprintf(&d, "%s%.1f,%.1f", cmd, px(c.x[i]), py(s.y[i]))
			}
			fmt.Fprintf(&b, `<path class="line" stroke="%s"%s d="%s"><title>%s</title></path>`, s.color, dash, d.String(), html.EscapeString(s.name))
		}
	}
	b.WriteString(`</g>`)
	// Legend, above the plot on the right.
	x := chartW - padRight
	for i := len(c.series) - 1; i >= 0; i-- {
		s := c.series[i]
		if s.name == "" {
			continue
		}
		w := 7*len(s.name) + 26
		x -= w
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="5 4"`
		}
		fmt.Fprintf(&b, `<line class="line" stroke="%s"%s x1="%d" x2="%d" y1="29" y2="29"/><text class="legend" x="%d" y="32">%s</text>`,
			s.color, dash, x, x+16, x+20, html.EscapeString(s.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// thin keeps at most about n points, evenly spaced, the last included: a
// chart is a few hundred pixels wide, and cumulative series are smooth.
func (c *chart) thin(n int) {
	if len(c.x) <= n {
		return
	}
	step := (len(c.x) + n - 1) / n
	var keep []int
	for i := 0; i < len(c.x); i += step {
		keep = append(keep, i)
	}
	if keep[len(keep)-1] != len(c.x)-1 {
		keep = append(keep, len(c.x)-1)
	}
	pick := func(xs []float64) []float64 {
		if xs == nil {
			return nil
		}
		out := make([]float64, len(keep))
		for j, i := range keep {
			out[j] = xs[i]
		}
		return out
	}
	x := make([]time.Time, len(keep))
	for j, i := range keep {
		x[j] = c.x[i]
	}
	c.x = x
	c.from = sort.SearchInts(keep, c.from)
	for i := range c.series {
		s := &c.series[i]
		s.y, s.lo, s.hi = pick(s.y), pick(s.lo), pick(s.hi)
	}
}

// runs returns the [start, end) runs of indexes below n where good holds.
func runs(n int, good func(int) bool) [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i <= n; i++ {
		if i < n && good(i) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	return out
}

// niceTicks returns about n round values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []float64
	for v := math.Floor(lo/step) * step; v <= hi+step/2; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, v)
	}
	return ticks
}

// timeTicks returns round times between t0 and t1, at most about n, and
// the layout to print them.
func timeTicks(t0, t1 time.Time, n int) ([]time.Time, string) {
	day := 24 * time.Hour
	steps := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, day, 2 * day, 7 * day, 14 * day, 28 * day, 91 * day, 364 * day}
	span := t1.Sub(t0)
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= time.Duration(n) {
			step = s
			break
		}
	}
	layout := "Jan 2"
	if step < day {
		layout = "Jan 2 15:04"
	}
	var out []time.Time
	for t := t0.UTC().Truncate(step); !t.After(t1); t = t.Add(step) {
		if !t.Before(t0) {
			out = append(out, t)
		}
	}
	return out, layout
}
