package analysis

import (
	"bytes"
	"encoding/json"
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

// FuzzParseLine: the fast path of parseLine agrees with encoding/json on
// every line it accepts, and parseLine's errors are encoding/json's.
func FuzzParseLine(f *testing.F) {
	f.Add([]byte(`{"time":"2026-03-02T10:00:00.123456789+02:00","plan":"p","rule":"r","variant":"v","served":"w","reason":"rule","unit":"u"}`))
	f.Add([]byte(`{"time":"2026-03-02T10:00:00Z","plan":"p","variant":"v","unit":"\u00e9"}`))
	f.Add([]byte(`{ "variant" : "v" , "unit":"u", "unit":"w" }`))
	f.Add([]byte(`{"Variant":"v","extra":[1,{"a":null}]}`))
	f.Add([]byte(`{"time":"24:00","variant":"v"}`))
	f.Add([]byte(`{"variant":"v",}`))
	f.Add([]byte("{\"variant\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || b[0] != '{' {
			return
		}
		var e exposure.Exposure
		jerr := json.Unmarshal(b, &e)
		var fs fields
		if scan(b, &fs) {
			if jerr != nil {
				t.Fatalf("scan accepts what encoding/json refuses (%v): %q", jerr, b)
			}
			if string(fs.plan) != e.Plan || string(fs.variant) != e.Variant || string(fs.unit) != e.Unit || fs.time != unixNano(e.Time) {
				t.Fatalf("scan %q %q %q %d, encoding/json %q %q %q %d: %q", fs.plan, fs.variant, fs.unit, fs.time, e.Plan, e.Variant, e.Unit, unixNano(e.Time), b)
			}
		}
		err := parseLine(b, &fs)
		switch {
		case jerr != nil && (err == nil || err.Error() != jerr.Error()):
			t.Fatalf("parseLine error %v, encoding/json's %v", err, jerr)
		case jerr == nil && e.Variant == "" && err != errNoVariant:
			t.Fatalf("parseLine error %v for a line without variant", err)
		case jerr == nil && e.Variant != "" && err != nil:
			t.Fatalf("parseLine error %v for a good line", err)
		}
	})
}
