package analysis

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/varroute/varroute/exposure"
)

const testLog = `{"time":"2026-03-02T10:00:00Z","plan":"p","variant":"control","reason":"default","unit":"a"}
{"time":"2026-03-02T10:00:01Z","plan":"p","variant":"treatment","reason":"default","unit":"b"}
{"time":"2026-03-02T09:00:00Z","plan":"p","variant":"treatment","reason":"default","unit":"a"}
{"time":"2026-03-02T10:00:02Z","plan":"p","variant":"control","reason":"default","unit":"c"}

{"time":"2026-03-02T11:30:03Z","plan":"p","variant":"treatment","reason":"default","unit":"d"}
{"time":"2026-03-02T10:00:04Z","plan":"p","variant":"control","reason":"no-key","unit":""}
{"time":"2026-03-02T10:00:05Z","plan":"q","variant":"x","reason":"default","unit":"a"}
{"time":"2026-03-02T12:00:00Z","plan":"p","variant":"treatment","reason":"default","unit":"e"}
{"time":"2026-03-02T12:00:00Z","plan":"p","variant":"control","reason":"default","unit":"e"}
`

const testOutcomes = `metric,unit,value
converted,a,1
revenue,a,10
revenue,a,5
converted,b,0
converted,c,1
revenue,c,20
converted,z,1
clicks,a,3
`

func readTest(t *testing.T, log, outcomes string) *Units {
	t.Helper()
	u := NewUnits("p")
	if err := u.ReadExposures(strings.NewReader(log)); err != nil {
		t.Fatal(err)
	}
	if err := u.ReadOutcomes(strings.NewReader(outcomes)); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUnits(t *testing.T) {
	u := readTest(t, testLog, testOutcomes)
	s, err := u.Summaries(SummaryOptions{Period: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	find := func(period, variant, metric string) Row {
		for _, r := range s.Rows {
			if r.Period.Format("15") == period && r.Variant == variant && r.Metric == metric {
				return r
			}
		}
		return Row{}
	}
	st := u.Stats()
	tests := []struct {
		name      string
		got, want any
	}{
		{"units", u.Len(), 5},
		{"variants", strings.Join(u.Variants(), ","), "control,treatment"},
		{"metrics in order of appearance", strings.Join(u.Metrics(), ","), "converted,revenue,clicks"},
		{"exposures read", st.ExposureLines, int64(9)},
		{"other plans", st.OtherPlans, int64(1)},
		{"no key", st.NoKey, int64(1)},
		{"crossed (a, e)", st.Crossed, int64(2)},
		{"outcome values", st.OutcomeRows, int64(8)},
		{"unmatched (z)", st.Unmatched, int64(1)},
		// a: first exposure at 09:00 in treatment; b at 10:00 in treatment;
		// c at 10:00 in control; d at 11:00 in treatment; e: a tie at
		// 12:00 goes to control, first in byte order.
		{"09h treatment units", find("09", "treatment", "converted").Units, int64(1)},
		{"09h treatment revenue", find("09", "treatment", "revenue").Sum, 15.0},
		{"09h treatment revenue^2", find("09", "treatment", "revenue").SumSq, 225.0},
		{"09h treatment clicks", find("09", "treatment", "clicks").Sum, 3.0},
		{"10h treatment units (b)", find("10", "treatment", "converted").Units, int64(1)},
		{"10h treatment conversions", find("10", "treatment", "converted").Positive, int64(0)},
		{"10h control (c) converted", find("10", "control", "converted").Positive, int64(1)},
		{"11h treatment (d)", find("11", "treatment", "revenue").Units, int64(1)},
		{"12h control (e, tie)", find("12", "control", "revenue").Units, int64(1)},
		{"12h treatment", find("12", "treatment", "revenue").Units, int64(0)},
		{"rows: 5 (period, variant) x 3 metrics", len(s.Rows), 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestUnitsOrderFree(t *testing.T) {
	// Shards in any order give the same table: the first exposure is the
	// earliest, whatever the order of the lines.
	lines := strings.Split(strings.TrimSpace(testLog), "\n")
	fwd := readTest(t, testLog, testOutcomes)
	var rev strings.Builder
	for i := len(lines) - 1; i >= 0; i-- {
		rev.WriteString(lines[i] + "\n")
	}
	back := readTest(t, rev.String(), testOutcomes)
	a, err := fwd.Summaries(SummaryOptions{Period: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	b, err := back.Summaries(SummaryOptions{Period: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var wa, wb strings.Builder
	if err := a.WriteCSV(&wa); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteCSV(&wb); err != nil {
		t.Fatal(err)
	}
	if wa.String() != wb.String() {
		t.Errorf("reversed log gives other summaries:\n%s\nwant\n%s", wb.String(), wa.String())
	}
}

func TestWideOutcomes(t *testing.T) {
	long := readTest(t, testLog, "unit,metric,value\na,revenue,15\na,pre,2\nc,revenue,20\nb,pre,1\n")
	wide := readTest(t, testLog, "Unit , revenue,pre\na,15,2\nc,20,\nb,,1\n")
	for _, u := range []*Units{long, wide} {
		s, err := u.Summaries(SummaryOptions{Covariate: "pre"})
		if err != nil {
			t.Fatal(err)
		}
		var w strings.Builder
		if err := s.WriteCSV(&w); err != nil {
			t.Fatal(err)
		}
		if u == long {
			t.Log(w.String())
			continue
		}
		var lw strings.Builder
		ls, _ := long.Summaries(SummaryOptions{Covariate: "pre"})
		_ = ls.WriteCSV(&lw)
		if w.String() != lw.String() {
			t.Errorf("wide:\n%s\nlong:\n%s", w.String(), lw.String())
		}
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, plan, log, outcomes string
		line                      int
		want                      string
	}{
		{"several plans", "", testLog, "", 8, `plan "q" after plan "p"`},
		{"not JSON", "", "{\"time\":\"2026-03-02T10:00:00Z\",\"plan\":\"p\",\"variant\":\"a\",\"unit\":\"x\"}\n\nnot json\n", "", 3, "not a JSON object"},
		{"no variant", "", `{"plan":"p","unit":"x"}`, "", 1, `missing "variant"`},
		{"bad time", "", `{"time":"yesterday","plan":"p","variant":"a","unit":"x"}`, "", 1, "cannot parse"},
		{"no unit column", "p", testLog, "user,metric,value\n", 1, "no column unit"},
		{"no metric", "p", testLog, "unit\na\n", 1, "want columns unit, metric and value"},
		{"bad value", "p", testLog, "unit,metric,value\na,revenue,1\nb,revenue,NaN\n", 3, `value "NaN"`},
		{"short row", "p", testLog, "unit,metric,value\na,revenue\n", 2, "2 fields, want 3"},
		{"bad wide value", "p", testLog, "unit,revenue\na,1\nb,x\n", 3, `column revenue: "x"`},
		{"csv quote", "p", testLog, "unit,metric,value\n\"a,revenue,1\n", 2, "extraneous or missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := NewUnits(tc.plan)
			err := u.ReadExposures(strings.NewReader(tc.log))
			if err == nil && tc.outcomes != "" {
				err = u.ReadOutcomes(strings.NewReader(tc.outcomes))
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			line := -1
			var le *exposure.LineError
			var ae *LineError
			switch {
			case errors.As(err, &le):
				line = le.Line
			case errors.As(err, &ae):
				line = ae.Line
				if !errors.Is(err, ErrInput) {
					t.Errorf("%v does not match ErrInput", err)
				}
			}
			if line != tc.line {
				t.Errorf("line %d, want %d (%v)", line, tc.line, err)
			}
		})
	}
}

func TestSummariesErrors(t *testing.T) {
	u := readTest(t, testLog, testOutcomes)
	if _, err := u.Summaries(SummaryOptions{Covariate: "nope"}); err == nil || !strings.Contains(err.Error(), `covariate "nope" is not a metric`) {
		t.Errorf("unknown covariate: %v", err)
	}
	if _, err := NewUnits("").Summaries(SummaryOptions{}); err == nil {
		t.Error("no units: no error")
	}
	v := NewUnits("")
	_ = v.ReadExposures(strings.NewReader(testLog[:strings.Index(testLog, "\n")+1]))
	if _, err := v.Summaries(SummaryOptions{}); err == nil || !strings.Contains(err.Error(), "no metric") {
		t.Errorf("no outcomes: %v", err)
	}
	if err := u.ReadExposures(strings.NewReader(testLog)); err == nil {
		t.Error("exposures after outcomes: no error")
	}
}
