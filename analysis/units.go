package analysis

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/varroute/varroute/exposure"
)

// ErrInput is matched (with errors.Is) by every error that reports bad
// input data: a malformed line, a second plan in a log read without a plan
// name, a metric value that is not a finite number.
var ErrInput = errors.New("analysis: bad input")

// A LineError reports a bad line of an input file with its 1-based line
// number (0 when the problem is not on one line). It matches ErrInput.
// Errors of exposure logs are *exposure.LineError values instead, which
// carry the line too.
type LineError struct {
	Line int   // 1-based line, or 0
	Err  error // what is wrong
}

// Error returns "analysis: line N: " and the problem.
func (e *LineError) Error() string {
	if e.Line == 0 {
		return "analysis: " + e.Err.Error()
	}
	return "analysis: line " + strconv.Itoa(e.Line) + ": " + e.Err.Error()
}

// Unwrap returns the problem.
func (e *LineError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInput.
func (e *LineError) Is(target error) bool { return target == ErrInput }

func lineErr(line int, format string, args ...any) error {
	return &LineError{Line: line, Err: fmt.Errorf(format, args...)}
}

// crossedBit marks, in a unit's variant index, a unit exposed to more than
// one variant.
const crossedBit = 1 << 15

// maxVariants is the number of variants a variant index can hold.
const maxVariants = crossedBit

// Units is the per-unit table of one plan's experiment: for each unit
// exposed under the plan, the variant and time of its first exposure and
// its value of every metric. It holds no unit key: a unit is identified by
// a 96-bit hash of its key, so memory is about 30 bytes per unit (the hash,
// the time, the variant and an index slot) plus 8 per metric, whatever the
// length of the log or of the keys; two keys of a billion collide with
// probability below 1e-11. Exposure lines as exposure.Writer writes them
// are parsed without allocating.
//
// Read every exposure log first, then every outcomes file. Create Units
// with NewUnits; the zero value is not usable. Units is not safe for
// concurrent use.
type Units struct {
	plan      string
	planFixed bool // plan given by the caller: other plans' lines are skipped
	keys      keys
	names     []string          // variant names by index
	byName    map[string]uint16 // variant name -> index
	variant   column[uint16]    // per unit: variant index | crossedBit
	first     column[int64]     // per unit: Unix nanoseconds of the first exposure
	metrics   []string          // metric names in order of appearance
	metricIdx map[string]int
	values    [][]float64 // per metric, per unit: the sum of its rows
	outcomes  bool        // an outcomes file has been read
	stats     Stats
}

// Stats counts what Units read and set aside.
type Stats struct {
	// ExposureLines is the number of exposures read (blank lines aside).
	ExposureLines int64
	// OtherPlans counts exposures of other plans, skipped.
	OtherPlans int64
	// NoKey counts exposures of the plan without a unit key, which cannot
	// be joined with outcomes.
	NoKey int64
	// Crossed counts units exposed to more than one variant; each stays in
	// the variant of its first exposure.
	Crossed int64
	// OutcomeRows is the number of outcome values read.
	OutcomeRows int64
	// Unmatched counts outcome values of units never exposed, ignored.
	Unmatched int64
}

// NewUnits returns an empty table for the plan named plan. An empty plan
// means the logs must hold exactly one plan, whichever it is; a log line of
// a second plan is then an error.
func NewUnits(plan string) *Units {
	return &Units{
		plan:      plan,
		planFixed: plan != "",
		keys:      newKeys(),
		byName:    make(map[string]uint16),
		metricIdx: make(map[string]int),
	}
}

// Plan returns the plan whose units the table holds: the one given to
// NewUnits, or the one found in the logs, or "" before any exposure.
func (u *Units) Plan() string { return u.plan }

// Len returns the number of units.
func (u *Units) Len() int { return u.keys.len() }

// Variants returns the names of the variants seen, sorted.
func (u *Units) Variants() []string {
	return slices.Sorted(slices.Values(u.names))
}

// Metrics returns the names of the metrics seen in outcomes, in order of
// first appearance.
func (u *Units) Metrics() []string { return slices.Clone(u.metrics) }

// Stats returns the counts of what was read and set aside.
func (u *Units) Stats() Stats {
	s := u.stats
	for i := range u.variant.n {
		if *u.variant.at(i)&crossedBit != 0 {
			s.Crossed++
		}
	}
	return s
}

// ReadExposures reads an exposure log in the JSON-lines format of
// exposure.Writer (see exposure.Read) and records, for every unit of the
// plan, the variant and time of its earliest exposure. It may be called
// for several logs (shards of one log, in any order), all before
// ReadOutcomes. It stops at the first bad line and returns its
// *exposure.LineError; a line of a second plan when NewUnits was given no
// plan is a *LineError matching ErrInput.
func (u *Units) ReadExposures(r io.Reader) error {
	if u.outcomes {
		return errors.New("analysis: ReadExposures after ReadOutcomes")
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), exposure.MaxLineBytes+2)
	line := 0
	var f fields
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if err := parseLine(b, &f); err != nil {
			return &exposure.LineError{Line: line, Err: err}
		}
		if err := u.addExposure(line, &f); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &exposure.LineError{Line: line + 1, Err: err}
	}
	return nil
}

// addExposure records one exposure; it allocates only for a new variant
// or plan name.
func (u *Units) addExposure(line int, f *fields) error {
	u.stats.ExposureLines++
	if string(f.plan) != u.plan {
		switch {
		case u.plan == "" && !u.planFixed:
			u.plan = string(f.plan)
		case u.planFixed:
			u.stats.OtherPlans++
			return nil
		default:
			return lineErr(line, "plan %q after plan %q: the log holds several plans; choose one", f.plan, u.plan)
		}
	}
	if len(f.unit) == 0 {
		u.stats.NoKey++
		return nil
	}
	vi, ok := u.byName[string(f.variant)]
	if !ok {
		if len(u.names) >= maxVariants {
			return lineErr(line, "more than %d variants", maxVariants)
		}
		vi = uint16(len(u.names))
		u.names = append(u.names, string(f.variant))
		u.byName[u.names[vi]] = vi
	}
	hi, lo := u.keys.hash(f.unit)
	i, seen, slot := u.keys.find(hi, lo)
	if !seen {
		if u.keys.len() == math.MaxUint32-1 {
			return lineErr(line, "more than 2^32-2 units")
		}
		u.keys.add(hi, lo, slot)
		u.first.add(f.time)
		u.variant.add(vi)
		return nil
	}
	v, first := u.variant.at(i), u.first.at(i)
	cur, crossed := *v&^crossedBit, *v&crossedBit
	if cur != vi {
		crossed = crossedBit
	}
	if f.time < *first || (f.time == *first && string(f.variant) < u.names[cur]) {
		*first, cur = f.time, vi
	}
	*v = cur | crossed
	return nil
}

// ReadOutcomes reads a CSV table of outcomes and adds each value to its
// unit's metric. The first row is a header, matched without regard to case
// or surrounding space, in one of two shapes:
//
//   - long: columns unit, metric and value (others are ignored), one row
//     per value;
//   - wide: a column unit and one column per metric, named after it; an
//     empty cell is no value.
//
// Rows of the same unit and metric add up. Values of units never exposed
// are counted (Stats.Unmatched) and ignored, but their metric is still
// known. A value that is not a finite number, or a row too short for the
// header, is a *LineError naming the line. It may be called for several
// files.
func (u *Units) ReadOutcomes(r io.Reader) error {
	u.outcomes = true
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return lineErr(1, "empty file, want a header")
	}
	if err != nil {
		return csvErr(err)
	}
	header = slices.Clone(header) // ReuseRecord: the next Read overwrites it
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup && h != "" {
			return lineErr(1, "column %q twice", h)
		}
		col[h] = i
	}
	iu, ok := col["unit"]
	if !ok {
		return lineErr(1, "header %q has no column unit", header)
	}
	im, okm := col["metric"]
	iv, okv := col["value"]
	long := okm && okv
	// wide: metric index per column, -1 for none
	var wide []int
	if !long {
		wide = make([]int, len(header))
		for i, h := range header {
			wide[i] = -1
			if i != iu && strings.TrimSpace(h) != "" {
				wide[i] = u.metric(strings.TrimSpace(h))
			}
		}
		if !slices.ContainsFunc(wide, func(m int) bool { return m >= 0 }) {
			return lineErr(1, "header %q: want columns unit, metric and value, or unit and one column per metric", header)
		}
	}
	need := len(header)
	if long {
		need = max(iu, im, iv) + 1
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) < need {
			return lineErr(line, "%d fields, want %d", len(rec), need)
		}
		hi, lo := u.keys.hashString(rec[iu])
		i, exposed, _ := u.keys.find(hi, lo)
		if long {
			x, err := parseValue(rec[iv])
			if err != nil {
				return lineErr(line, "value %q is not a finite number", rec[iv])
			}
			m, ok := u.metricIdx[rec[im]]
			if !ok {
				m = u.metric(strings.Clone(rec[im]))
			}
			u.add(m, i, exposed, x)
			continue
		}
		for c, m := range wide {
			if m < 0 || strings.TrimSpace(rec[c]) == "" {
				continue
			}
			x, err := parseValue(rec[c])
			if err != nil {
				return lineErr(line, "column %s: %q is not a finite number", header[c], rec[c])
			}
			u.add(m, i, exposed, x)
		}
	}
}

func (u *Units) add(m, i int, exposed bool, x float64) {
	u.stats.OutcomeRows++
	if !exposed {
		u.stats.Unmatched++
		return
	}
	if u.values[m] == nil {
		u.values[m] = make([]float64, u.keys.len())
	}
	u.values[m][i] += x
}

// metric returns the index of metric name, adding it.
func (u *Units) metric(name string) int {
	if m, ok := u.metricIdx[name]; ok {
		return m
	}
	u.metricIdx[name] = len(u.metrics)
	u.metrics = append(u.metrics, name)
	u.values = append(u.values, nil)
	return len(u.metrics) - 1
}

func parseValue(s string) (float64, error) {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, ErrInput
	}
	return x, nil
}

// csvErr converts an encoding/csv error to a *LineError.
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &LineError{Line: pe.Line, Err: pe.Err}
	}
	return &LineError{Err: err}
}

// values returns unit i's value of metric m.
func (u *Units) value(m, i int) float64 {
	if u.values[m] == nil {
		return 0
	}
	return u.values[m][i]
}
