// Package exposure records which unit was exposed to which variant, so an
// analysis job can join exposures with business outcomes — the basis of any
// A/B analysis.
package exposure

import (
	"context"
	"time"
)

// An Exposure is one assignment of a unit to a variant under a plan.
type Exposure struct {
	// Time is when the decision was made.
	Time time.Time `json:"time"`
	// Plan is the name of the plan that decided.
	Plan string `json:"plan"`
	// Rule is the matched rule, or "" for the default split.
	Rule string `json:"rule,omitempty"`
	// Variant is the assigned variant (intent to treat).
	Variant string `json:"variant"`
	// Served is the variant that answered when it differs from Variant (a
	// fallback served), and "" otherwise.
	Served string `json:"served,omitempty"`
	// Reason says why Variant was chosen ("rule", "default", "no-key").
	Reason string `json:"reason"`
	// Unit is the unit's key.
	Unit string `json:"unit"`
}

// A Logger receives exposures. Log is called on the request's goroutine for
// every routed request, so it must be safe for concurrent use and must not
// block for long: buffer and write in the background (see Writer).
type Logger interface {
	Log(ctx context.Context, e Exposure)
}

// LoggerFunc adapts an ordinary function to a Logger.
type LoggerFunc func(ctx context.Context, e Exposure)

// Log calls f(ctx, e).
func (f LoggerFunc) Log(ctx context.Context, e Exposure) { f(ctx, e) }
