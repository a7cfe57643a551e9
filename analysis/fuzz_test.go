package analysis

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/varroute/varroute/exposure"
)

// FuzzReadSummaries: ReadSummaries never panics, reports errors as
// *LineError, and summaries it accepts write and read back to the same
// rows.
func FuzzReadSummaries(f *testing.F) {
	f.Add("period,variant,metric,units,positive,sum,sum_sq\n2026-03-02T00:00:00Z,a,m,3,1,1,1\n,b,m,2,0,0,0\n")
	f.Add("variant,metric,units,positive,sum,sum_sq,covariate,cov_sum,cov_sum_sq,cov_cross\na,m,2.0,1,1e3,1e6,x,1,1,1\n")
	f.Add("\"period\",variant\nx\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ReadSummaries(strings.NewReader(in))
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) || !errors.Is(err, ErrInput) {
				t.Fatalf("error %v is not a *LineError", err)
			}
			return
		}
		var b bytes.Buffer
		if err := s.WriteCSV(&b); err != nil {
			t.Fatal(err)
		}
		back, err := ReadSummaries(&b)
		if err != nil {
			t.Fatalf("written summaries do not read back: %v\n%s", err, b.String())
		}
		if !reflect.DeepEqual(back.Rows, s.Rows) || back.Covariate != s.Covariate {
			t.Fatalf("round trip: %+v, want %+v", back.Rows, s.Rows)
		}
		_, _ = Analyze(s, Options{}) // must not panic
	})
}

// FuzzReadOutcomes: reading exposures and outcomes never panics, errors
// name a line, and every exposed unit appears once in the summaries.
func FuzzReadOutcomes(f *testing.F) {
	f.Add(testLog, testOutcomes)
	f.Add(testLog, "unit,revenue,pre\na,1,2\nb,,x\n")
	f.Add("{\"variant\":\"a\",\"unit\":\"u\"}\n\n{", "unit,metric,value\nu,m,1e308\nu,m,1e308\n")
	f.Fuzz(func(t *testing.T, log, outcomes string) {
		u := NewUnits("")
		if err := u.ReadExposures(strings.NewReader(log)); err != nil {
			var le *exposure.LineError
			var ae *LineError
			if !errors.As(err, &le) && !errors.As(err, &ae) {
				t.Fatalf("exposure error %v names no line", err)
			}
			return
		}
		if err := u.ReadOutcomes(strings.NewReader(outcomes)); err != nil {
			var ae *LineError
			if !errors.As(err, &ae) {
				t.Fatalf("outcome error %v is not a *LineError", err)
			}
			return
		}
		s, err := u.Summaries(SummaryOptions{})
		if err != nil {
			return
		}
		units := map[string]int64{}
		for _, r := range s.Rows {
			if r.Metric == u.Metrics()[0] {
				units[r.Variant] += r.Units
			}
		}
		var n int64
		for _, c := range units {
			n += c
		}
		if n != int64(u.Len()) {
			t.Fatalf("%d units in the summaries, %d in the table", n, u.Len())
		}
		_, _ = Analyze(s, Options{})
	})
}
