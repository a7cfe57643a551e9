package router

import (
	"time"

	"github.com/varroute/varroute/internal/assign"
)

// Reason says why a Decision chose its variant.
type Reason string

// The reasons of a Decision.
const (
	// ReasonRule: the unit matched the rule named in Decision.Rule.
	ReasonRule Reason = "rule"
	// ReasonDefault: the unit matched no rule; the default split applied.
	ReasonDefault Reason = "default"
	// ReasonNoKey: the unit had an empty key, so it was not hashed (that
	// would put every anonymous unit in one bucket); it got the majority
	// variant of its split (see strategy.Split.Majority).
	ReasonNoKey Reason = "no-key"
)

// A Decision is the routing decision for one unit.
type Decision struct {
	// Plan is the name of the plan that decided.
	Plan string
	// Revision is the revision of that plan (see the function Revision):
	// it changes with every change of the plan, weights included.
	Revision string
	// Variant is the variant assigned to the unit.
	Variant string
	// Rule is the name of the matched rule, or "" for the default split.
	Rule string
	// Reason says why Variant was chosen.
	Reason Reason
	// Shadows lists the shadow variants the unit is mirrored to, in plan
	// order. It is shared and must not be modified.
	Shadows []string
	// NoiseFloor reports whether the unit is also mirrored to a second call
	// of the variant that serves it (see strategy.Plan.NoiseFloor).
	NoiseFloor bool
}

// decisions holds every Decision a compiled plan can make but for its
// Shadows and NoiseFloor, made once per plan: building a Decision is then
// one copy, not a field-by-field walk of the plan.
type decisions struct {
	t      *assign.Table
	nv     int        // the number of variants
	byCell []Decision // by assign.Choice.Cell
}

func newDecisions(t *assign.Table) decisions {
	vs := t.Variants()
	ds := decisions{t: t, nv: len(vs), byCell: make([]Decision, (t.Rules()+1)*len(vs)*2)}
	for rule := -1; rule < t.Rules(); rule++ {
		for vi, v := range vs {
			for _, noKey := range []bool{false, true} {
				d := Decision{Plan: t.Name(), Revision: t.Revision(), Variant: v, Reason: ReasonDefault}
				if rule >= 0 {
					d.Rule, d.Reason = t.RuleName(rule), ReasonRule
				}
				if noKey {
					d.Reason = ReasonNoKey
				}
				ds.byCell[assign.CellOf(rule, vi, noKey, len(vs))] = d
			}
		}
	}
	return ds
}

// fill sets *d to the Decision of ch. Inlined, it writes the caller's
// Decision in place with one copy. It writes Shadows and NoiseFloor only
// when the unit is mirrored: a caller that copies the Decision loads it 16
// bytes at a time, and a wide load of fields just stored one by one stalls
// store forwarding (≈ 4 ns each).
func (ds *decisions) fill(d *Decision, ch assign.Choice) {
	*d = ds.byCell[ch.Cell(ds.nv)]
	if ch.Mirrored() {
		ds.mirror(d, ch)
	}
}

func (ds *decisions) mirror(d *Decision, ch assign.Choice) {
	d.Shadows = ds.t.ShadowSet(ch.Shadows())
	d.NoiseFloor = ch.Noise()
}

// An Outcome is what happened to one request, as a router reports it to
// its observers: the rollout controllers read their windows from it.
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
	// included.
	Latency time.Duration
	// UnitHash is the 64-bit hash of the unit key (0 for a unit without a
	// key), so that an observer can count distinct units without holding
	// keys. Assignment mixes it with per-variant seeds; sample units by
	// mixing it with a seed of your own, never by its raw bits.
	UnitHash uint64
}

// FellBack reports whether a fallback, not the assigned variant, served.
// An intent-to-treat analysis counts the request for Decision.Variant
// anyway; a per-protocol analysis excludes it.
func (o Outcome) FellBack() bool { return o.Served != "" && o.Served != o.Decision.Variant }
