package main

import (
	"bytes"
	"strings"
	"testing"
)

const testLog = `{"time":"2026-03-02T10:00:00Z","plan":"p","variant":"control","reason":"default","unit":"a"}
{"time":"2026-03-02T10:00:01Z","plan":"p","variant":"treatment","reason":"default","unit":"b"}
{"time":"2026-03-02T09:00:00Z","plan":"p","variant":"treatment","reason":"default","unit":"a"}
{"time":"2026-03-02T10:00:02Z","plan":"p","variant":"control","reason":"default","unit":"c"}
{"time":"2026-03-02T10:00:03Z","plan":"p","variant":"treatment","reason":"default","unit":"d"}
{"time":"2026-03-02T10:00:04Z","plan":"p","variant":"control","reason":"no-key","unit":""}
{"time":"2026-03-02T10:00:05Z","plan":"q","variant":"x","reason":"default","unit":"a"}
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

func TestJoin(t *testing.T) {
	a, err := collectExposures(strings.NewReader(testLog), "p")
	if err != nil {
		t.Fatal(err)
	}
	o, err := collectOutcomes(strings.NewReader(testOutcomes))
	if err != nil {
		t.Fatal(err)
	}
	r, err := analyze(a, o, options{Alpha: 0.05, SRMAlpha: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"a: first exposure by time decides", a.Variant["a"], "treatment"},
		{"crossed units", a.Crossed, 1},
		{"exposures without key", a.NoKey, 1},
		{"control first", r.Arms[0].Variant, "control"},
		{"control units", r.Arms[0].Units, int64(1)},   // c
		{"treatment units", r.Arms[1].Units, int64(3)}, // a, b, d
		{"control conversions", r.Arms[0].Conversions, int64(1)},
		{"treatment conversions", r.Arms[1].Conversions, int64(1)},    // a; b said 0; d has no row
		{"treatment revenue per unit", r.Arms[1].Revenue.Mean(), 5.0}, // (15 + 0 + 0) / 3
		{"unmatched outcome units", r.Unmatched, 1},                   // z
		{"other metrics", r.Other["clicks"], 1},
		{"comparisons", len(r.Comparisons), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	var out bytes.Buffer
	r.print(&out)
	if !strings.Contains(out.String(), "verdict: ") {
		t.Errorf("no verdict in\n%s", out.String())
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, log, outcomes, plan, want string
	}{
		{"several plans", testLog, testOutcomes, "", "several plans (p, q)"},
		{"bad log line", "{}\n", testOutcomes, "", "exposure: line 1"},
		{"bad header", testLog, "u,m,v\n", "p", "want columns unit, metric and value"},
		{"bad value", testLog, "unit,metric,value\na,revenue,1\nb,revenue,NaN\n", "p", "line 3: value \"NaN\""},
		{"one variant", testLog, testOutcomes, "q", "only one variant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := func() error {
				a, err := collectExposures(strings.NewReader(tc.log), tc.plan)
				if err != nil {
					return err
				}
				o, err := collectOutcomes(strings.NewReader(tc.outcomes))
				if err != nil {
					return err
				}
				_, err = analyze(a, o, options{Alpha: 0.05, SRMAlpha: 0.001})
				return err
			}()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParseWeights(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want int
	}{
		{"", true, 0},
		{"control=50,treatment=50", true, 2},
		{"control=90, treatment=10", true, 2},
		{"control=50,control=50", false, 0},
		{"control", false, 0},
		{"control=-1", false, 0},
		{"control=x", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			ws, err := parseWeights(tc.in)
			if (err == nil) != tc.ok || len(ws) != tc.want {
				t.Errorf("parseWeights(%q) = %v, %v", tc.in, ws, err)
			}
		})
	}
}
