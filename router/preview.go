package router

import (
	"cmp"
	"iter"
	"slices"
	"strconv"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/internal/assign"
	"github.com/varroute/varroute/strategy"
)

// Movement is the effect of a plan change on a population of units: how
// many would be served by another variant.
type Movement struct {
	Units int    // units compared
	Moved int    // units whose variant changes
	Moves []Move // one entry per (from, to) pair, most units first
}

// A Move counts the units that a change moves from one variant to another.
type Move struct {
	From, To string
	Units    int
	Share    float64 // Units / Movement.Units
}

// Share returns the fraction of units whose variant changes, or 0 for no
// units.
func (m Movement) Share() float64 {
	if m.Units == 0 {
		return 0
	}
	return float64(m.Moved) / float64(m.Units)
}

// Preview reports which units a change from one plan to another would move
// to another variant, by deciding each unit under both plans. Pass real
// units (keys and attributes, e.g. from an exposure log) when rules depend
// on attributes; SampleUnits gives synthetic keys without attributes. It
// returns an error if either plan is invalid.
func Preview(from, to strategy.Plan, units iter.Seq2[string, audience.Attributes]) (Movement, error) {
	a, err := assign.Compile(from)
	if err != nil {
		return Movement{}, err
	}
	b, err := assign.Compile(to)
	if err != nil {
		return Movement{}, err
	}
	var m Movement
	pairs := make(map[[2]string]int)
	for key, attrs := range units {
		m.Units++
		va, vb := a.Variants()[a.Assign(key, attrs).Variant], b.Variants()[b.Assign(key, attrs).Variant]
		if va != vb {
			m.Moved++
			pairs[[2]string{va, vb}]++
		}
	}
	for p, n := range pairs {
		m.Moves = append(m.Moves, Move{From: p[0], To: p[1], Units: n, Share: float64(n) / float64(m.Units)})
	}
	slices.SortFunc(m.Moves, func(x, y Move) int {
		return cmp.Or(cmp.Compare(y.Units, x.Units), cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To))
	})
	return m, nil
}

// SampleUnits returns n synthetic units, keys "unit-0" to "unit-<n-1>",
// without attributes: enough to preview changes of hash-based splits.
func SampleUnits(n int) iter.Seq2[string, audience.Attributes] {
	return func(yield func(string, audience.Attributes) bool) {
		buf := make([]byte, 0, 32)
		for i := range n {
			buf = strconv.AppendInt(append(buf[:0], "unit-"...), int64(i), 10)
			if !yield(string(buf), nil) {
				return
			}
		}
	}
}
