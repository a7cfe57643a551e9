package strategy

import "time"

// An Outcome is what happened to one request, as a router reports it to
// its observers (router.Observer): controllers read their windows from it.
type Outcome struct {
	// Decision is the routing decision; Decision.Variant is the variant
	// assigned to the unit.
	Decision Decision
	// Served is the variant that produced the response: Decision.Variant,
	// or a fallback when the assigned variant failed. It is "" when no
	// variant produced a response.
	Served string
	// Failure is the assigned variant's error when it failed, whether or
	// not a fallback then served; nil when it succeeded.
	Failure error
	// Err is the error returned to the caller; nil when a variant served.
	Err error
	// Latency is the time from the decision to the response, fallbacks
	// included. Routers measure it whenever an observer is registered.
	Latency time.Duration
}

// FellBack reports whether a fallback, not the assigned variant, served.
// An intent-to-treat analysis counts the request for Decision.Variant
// anyway; a per-protocol analysis excludes it.
func (o Outcome) FellBack() bool { return o.Served != "" && o.Served != o.Decision.Variant }
