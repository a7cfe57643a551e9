package strategy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/varroute/varroute/strategy"
)

func TestParseBreakers(t *testing.T) {
	p, err := strategy.ParsePlan([]byte(`
name: canary/v2
default: [{variant: v1, weight: 90}, {variant: v2, weight: 10}]
fallbacks: {v2: v1}
breakers:
  v2: {consecutive_failures: 3, failure_rate: 0.5, window: 30s, min_requests: 10, open_for: 2s, max_open_for: 1m, probes: 2}
  v1: {disabled: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := strategy.Breaker{ConsecutiveFailures: 3, FailureRate: 0.5, Window: 30 * time.Second, MinRequests: 10, OpenFor: 2 * time.Second, MaxOpenFor: time.Minute, Probes: 2}
	if p.Breakers["v2"] != want || !p.Breakers["v1"].Disabled {
		t.Errorf("breakers = %+v", p.Breakers)
	}
	if q := p.Clone(); q.Breakers["v2"] != want {
		t.Errorf("Clone lost the breakers: %+v", q.Breakers)
	}
}

func TestBreakerErrors(t *testing.T) {
	tests := []struct {
		name, yaml, path, text string
	}{
		{"unknown variant", `breakers: {v3: {}}`, `breakers["v3"]`, `variant "v3" is not in the plan`},
		{"percent rate", `breakers: {v2: {failure_rate: 50}}`, `breakers["v2"].failure_rate`, "50% is 0.5"},
		{"bare number", `breakers: {v2: {open_for: 5}}`, `breakers["v2"].open_for`, `not "5"`},
		{"bad duration text", `breakers: {v2: {open_for: five}}`, `breakers["v2"].open_for`, `want a duration such as "5s"`},
		{"misspelt", `breakers: {v2: {open_four: 5s}}`, `breakers["v2"].open_four`, `did you mean "open_for"`},
		{"max below open", `breakers: {v2: {open_for: 10s, max_open_for: 5s}}`, `breakers["v2"].max_open_for`, "below open_for"},
		{"no trigger", `breakers: {v2: {consecutive_failures: -1}}`, `breakers["v2"]`, "no trigger"},
		{"fractional count", `breakers: {v2: {probes: 1.5}}`, `breakers["v2"].probes`, "whole number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := strategy.ParsePlan([]byte("name: p\ndefault: [{variant: v1, weight: 90}, {variant: v2, weight: 10}]\n" + tc.yaml + "\n"))
			var se *strategy.Error
			if !errors.As(err, &se) || se.Path != tc.path || !strings.Contains(err.Error(), tc.text) || se.Line == 0 {
				t.Errorf("error %v (path %q), want path %q, a line, and %q", err, pathOf(se), tc.path, tc.text)
			}
		})
	}
}

func pathOf(e *strategy.Error) string {
	if e == nil {
		return ""
	}
	return e.Path
}
