package strategy

import (
	"math/bits"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/internal/bucket"
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
	// variant of its split (see Split.Majority).
	ReasonNoKey Reason = "no-key"
)

// A Decision is the routing decision for one unit.
type Decision struct {
	// Plan is the name of the plan that decided.
	Plan string
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
	// of the variant that serves it (see Plan.NoiseFloor).
	NoiseFloor bool
}

// Compiled is a validated Plan compiled for the request path: audiences are
// compiled, hash seeds precomputed, and every per-plan allocation done, so
// Assign allocates nothing. A Compiled is immutable and safe for concurrent
// use.
type Compiled struct {
	plan       Plan
	variants   []string
	index      map[string]int
	rules      []compiledRule
	def        compiledSplit
	fallback   []int // by variant index; -1 for none
	shadows    []compiledMirror
	shadowSets [][]string // shadow names by bit mask
	noise      uint64     // noise-floor seed
	noiseBelow uint64     // noise-floor threshold; 0 is never
}

type compiledRule struct {
	name    string
	matcher *audience.Matcher
	split   compiledSplit
}

type compiledSplit struct {
	picker   bucket.Picker
	variants []int // variant index per arm
	majority int   // variant index
	single   int   // variant index when one arm has all the weight, else -1
}

type compiledMirror struct {
	variant   int
	seed      uint64
	threshold uint64
}

// Compile validates p and compiles it. It returns an *Error matching
// ErrInvalidPlan when p is invalid. The Compiled keeps a copy of p.
func Compile(p Plan) (*Compiled, error) {
	matchers, err := p.validate()
	if err != nil {
		return nil, err
	}
	p = p.Clone()
	c := &Compiled{plan: p, variants: p.Variants()}
	c.index = make(map[string]int, len(c.variants))
	for i, v := range c.variants {
		c.index[v] = i
	}
	for _, r := range p.Rules {
		name := r.Name
		if name == "" {
			name = r.Audience
		}
		c.rules = append(c.rules, compiledRule{name: name, matcher: matchers[r.Audience], split: c.compileSplit(r.Split)})
	}
	c.def = c.compileSplit(p.Default)
	c.fallback = make([]int, len(c.variants))
	for i, v := range c.variants {
		c.fallback[i] = -1
		if fb, ok := p.Fallbacks[v]; ok {
			c.fallback[i] = c.index[fb]
		}
	}
	for _, m := range p.Shadows {
		c.shadows = append(c.shadows, compiledMirror{
			variant:   c.index[m.Variant],
			seed:      bucket.Seed(p.Name, "\x00shadow\x00"+m.Variant),
			threshold: bucket.Threshold(m.Percent),
		})
	}
	c.shadowSets = make([][]string, 1<<len(p.Shadows))
	for mask := range c.shadowSets {
		if mask == 0 {
			continue // nil: no shadows
		}
		names := make([]string, 0, bits.OnesCount(uint(mask)))
		for j, m := range p.Shadows {
			if mask&(1<<j) != 0 {
				names = append(names, m.Variant)
			}
		}
		c.shadowSets[mask] = names
	}
	c.noise = bucket.Seed(p.Name, "\x00noise-floor")
	c.noiseBelow = bucket.Threshold(p.NoiseFloor)
	return c, nil
}

func (c *Compiled) compileSplit(s Split) compiledSplit {
	cs := compiledSplit{single: -1}
	arms := make([]bucket.Arm, len(s))
	positive := 0
	for i, a := range s {
		v := c.index[a.Variant]
		arms[i] = bucket.Arm{Seed: bucket.Seed(c.plan.Name, a.Variant), Weight: a.Weight}
		cs.variants = append(cs.variants, v)
		if a.Weight > 0 {
			positive++
			cs.single = v
		}
	}
	if positive != 1 {
		cs.single = -1
	}
	cs.picker = bucket.NewPicker(arms)
	cs.majority = c.index[s.Majority()]
	return cs
}

// Plan returns a copy of the compiled plan.
func (c *Compiled) Plan() Plan { return c.plan.Clone() }

// Name returns the plan's name without copying the plan.
func (c *Compiled) Name() string { return c.plan.Name }

// Variants returns the names of the variants the plan refers to, sorted; a
// variant's position is its index in Assign and Fallback. The slice is
// shared and must not be modified.
func (c *Compiled) Variants() []string { return c.variants }

// Index returns the index of variant, or -1 if the plan does not refer to it.
func (c *Compiled) Index(variant string) int {
	if i, ok := c.index[variant]; ok {
		return i
	}
	return -1
}

// Fallback returns the index of the variant that serves when the variant of
// index i fails, or -1 if there is none.
func (c *Compiled) Fallback(i int) int { return c.fallback[i] }

// Shadow returns the variant index of the plan's j-th shadow, the variant of
// bit j in Assign's shadow mask.
func (c *Compiled) Shadow(j int) int { return c.shadows[j].variant }

// Decide returns the decision for a unit with the given key and attributes.
// It allocates nothing.
func (c *Compiled) Decide(key string, attrs audience.Attributes) Decision {
	d, _, _ := c.Assign(key, attrs)
	return d
}

// Assign is Decide for routers: besides the Decision it returns the index
// of the assigned variant and the bit mask of the plan's shadows the unit
// is mirrored to (bit j for Plan.Shadows[j]). It allocates nothing.
//
// A unit with an empty key still matches rules by its attributes, but it is
// not hashed: it gets its split's majority variant (ReasonNoKey), and only
// shadows and the noise floor at 100 percent mirror it.
func (c *Compiled) Assign(key string, attrs audience.Attributes) (d Decision, variant int, shadows uint8) {
	d.Plan = c.plan.Name
	d.Reason = ReasonDefault
	split := &c.def
	for i := range c.rules {
		if c.rules[i].matcher.Match(attrs) {
			split = &c.rules[i].split
			d.Rule = c.rules[i].name
			d.Reason = ReasonRule
			break
		}
	}
	if key == "" {
		d.Reason = ReasonNoKey
		variant = split.majority
		for j := range c.shadows {
			if c.shadows[j].threshold == ^uint64(0) {
				shadows |= 1 << j
			}
		}
		d.NoiseFloor = c.noiseBelow == ^uint64(0)
	} else {
		k := bucket.Key(key)
		if split.single >= 0 {
			variant = split.single
		} else {
			variant = split.variants[split.picker.Pick(k)]
		}
		for j := range c.shadows {
			if bucket.Below(k, c.shadows[j].seed, c.shadows[j].threshold) {
				shadows |= 1 << j
			}
		}
		d.NoiseFloor = c.noiseBelow != 0 && bucket.Below(k, c.noise, c.noiseBelow)
	}
	d.Variant = c.variants[variant]
	d.Shadows = c.shadowSets[shadows]
	return d, variant, shadows
}
