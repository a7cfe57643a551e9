package strategy

import (
	"maps"
	"slices"

	"github.com/varroute/varroute/audience"
)

// A Plan decides which variant serves which unit. It is plain, serializable
// data with yaml and json tags — a deployment written as code — and does
// nothing until a router compiles it.
//
// A unit is matched against Rules in order; the first rule whose audience
// matches the unit's attributes decides the split, otherwise Default does.
// Inside a split, the variant is chosen by weighted rendezvous hashing of
// (Name, unit key): sticky, proportional to the weights, and minimal in
// movement when weights change.
//
// The zero Plan is not valid: Name and Default are required. A Plan is a
// value whose slices and maps are shared by its copies: a plan handed to a
// router or controller must not be modified afterwards (use Clone to make a
// changed copy). Its methods only read it and are safe for concurrent use.
type Plan struct {
	// Name identifies the plan and salts the hash. Two plans with the same
	// name and split assign every unit identically; give independent
	// experiments different names. Keep the name when you change weights,
	// or every unit is reshuffled.
	Name string `yaml:"name" json:"name"`
	// Audiences defines the audiences that Rules refer to by name.
	Audiences []audience.Audience `yaml:"audiences,omitempty" json:"audiences,omitempty"`
	// Rules route audiences to splits; the first match wins.
	Rules []Rule `yaml:"rules,omitempty" json:"rules,omitempty"`
	// Default is the split for units that match no rule. Required.
	Default Split `yaml:"default" json:"default"`
	// Fallbacks names, per variant, the variant that serves when it fails
	// (returns an error, panics or passes its timeout). Chains are followed
	// (v3 -> v2 -> v1); cycles are invalid. Nil means no failover.
	Fallbacks map[string]string `yaml:"fallbacks,omitempty" json:"fallbacks,omitempty"`
	// Shadows mirror a sticky sample of traffic to shadow variants, whose
	// answers are compared with the primary's but never returned. At most
	// MaxShadows entries. A shadow must not also serve units (have a
	// positive weight in a split): to compare a variant with itself, use
	// NoiseFloor.
	Shadows []Mirror `yaml:"shadows,omitempty" json:"shadows,omitempty"`
	// NoiseFloor is the percentage of units, in [0, 100], whose request is
	// also mirrored to a second call of the variant that served it, so that
	// a model's own non-determinism can be measured beside a shadow's
	// disagreement. Zero means never.
	NoiseFloor float64 `yaml:"noise_floor,omitempty" json:"noise_floor,omitempty"`
	// Breakers configures, per variant, the circuit breaker that stops
	// calling a failing variant (see Breaker). A variant with a fallback
	// and no entry gets the default breaker. Nil means defaults only.
	Breakers map[string]Breaker `yaml:"breakers,omitempty" json:"breakers,omitempty"`
}

// Limits of a plan, so that no plan can make one decision cost more than a
// bound: a decision tests the rules in order (each rule's audience within
// the audience package's limits: MaxConditions, MaxRegexProgram,
// MaxRegexInput) and scores every arm of one split. BENCHMARKS.md gives the
// worst case measured under these limits. Each error that reports one names
// the constant and its value.
const (
	// MaxShadows is the largest number of shadows a plan may name.
	MaxShadows = 8
	// MaxRules is the largest number of rules a plan may have.
	MaxRules = 1000
	// MaxArms is the largest number of arms (variants) one split may have.
	MaxArms = 10000
	// MaxRuleConditions bounds the conditions a decision may test: the
	// conditions of each rule's audience, summed over the rules (an
	// audience used by two rules counts twice).
	MaxRuleConditions = 1024
	// MaxRuleRegexes bounds the regular expressions (op matches) a
	// decision may run, counted like MaxRuleConditions. One costs up to a
	// few milliseconds at the audience limits (a program of
	// audience.MaxRegexProgram instructions over audience.MaxRegexInput
	// bytes), so it is this limit that bounds a decision's worst case.
	MaxRuleRegexes = 8
)

// A Rule routes the units of one audience to a split.
type Rule struct {
	// Name labels the rule in decisions and metrics. Empty means the
	// audience's name.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Audience names an entry of Plan.Audiences.
	Audience string `yaml:"audience" json:"audience"`
	// Split divides the audience's units among variants.
	Split Split `yaml:"split" json:"split"`
}

// A Split divides units among variants. Weights are percentages and must sum
// to 100; a variant of weight 0 gets no unit. The order matters only for
// ties in Majority.
type Split []Arm

// An Arm is one variant of a split and its weight in percent.
type Arm struct {
	// Variant names the variant.
	Variant string `yaml:"variant" json:"variant"`
	// Weight is the variant's share of the split's units, in percent.
	Weight float64 `yaml:"weight" json:"weight"`
}

// A Mirror sends a sticky sample of units to a shadow variant.
type Mirror struct {
	// Variant is the shadow variant.
	Variant string `yaml:"variant" json:"variant"`
	// Percent is the share of units, in (0, 100], that are mirrored. The
	// sample is sticky by unit key: the same users are mirrored each time,
	// and raising Percent only adds users.
	Percent float64 `yaml:"percent" json:"percent"`
}

// Majority returns the variant with the largest weight, the earliest listed
// on a tie, or "" for an empty split. Units without a key are assigned to it.
func (s Split) Majority() string {
	best := -1
	for i, a := range s {
		if best < 0 || a.Weight > s[best].Weight {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return s[best].Variant
}

// Weight returns the weight of variant in s, or 0 if s does not name it.
func (s Split) Weight(variant string) float64 {
	for _, a := range s {
		if a.Variant == variant {
			return a.Weight
		}
	}
	return 0
}

// Even returns a split that gives each variant the same weight.
func Even(variants ...string) Split {
	s := make(Split, len(variants))
	for i, v := range variants {
		s[i] = Arm{Variant: v, Weight: 100 / float64(len(variants))}
	}
	return s
}

// Variants returns the names of all variants p refers to — in splits,
// fallbacks and shadows — sorted and without duplicates.
func (p Plan) Variants() []string {
	var names []string
	for _, r := range p.Rules {
		for _, a := range r.Split {
			names = append(names, a.Variant)
		}
	}
	for _, a := range p.Default {
		names = append(names, a.Variant)
	}
	for k, v := range p.Fallbacks {
		names = append(names, k, v)
	}
	for _, m := range p.Shadows {
		names = append(names, m.Variant)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Routes reports whether p can send any request to variant: as the winner
// of a split with positive weight, as a fallback, or as a shadow.
func (p Plan) Routes(variant string) bool {
	for _, r := range p.Rules {
		if r.Split.Weight(variant) > 0 {
			return true
		}
	}
	if p.Default.Weight(variant) > 0 {
		return true
	}
	for _, v := range p.Fallbacks {
		if v == variant {
			return true
		}
	}
	for _, m := range p.Shadows {
		if m.Variant == variant {
			return true
		}
	}
	return false
}

// Clone returns a deep copy of p that shares no slice or map with it.
func (p Plan) Clone() Plan {
	q := p
	q.Audiences = make([]audience.Audience, len(p.Audiences))
	for i, a := range p.Audiences {
		q.Audiences[i] = a
		q.Audiences[i].Conditions = cloneCondition(a.Conditions)
	}
	if p.Audiences == nil {
		q.Audiences = nil
	}
	q.Rules = slices.Clone(p.Rules)
	for i := range q.Rules {
		q.Rules[i].Split = slices.Clone(q.Rules[i].Split)
	}
	q.Default = slices.Clone(p.Default)
	q.Fallbacks = maps.Clone(p.Fallbacks)
	q.Shadows = slices.Clone(p.Shadows)
	q.Breakers = maps.Clone(p.Breakers)
	return q
}

func cloneCondition(c audience.Condition) audience.Condition {
	d := c
	if c.All != nil {
		d.All = make([]audience.Condition, len(c.All))
		for i := range c.All {
			d.All[i] = cloneCondition(c.All[i])
		}
	}
	if c.Any != nil {
		d.Any = make([]audience.Condition, len(c.Any))
		for i := range c.Any {
			d.Any[i] = cloneCondition(c.Any[i])
		}
	}
	if c.Not != nil {
		n := cloneCondition(*c.Not)
		d.Not = &n
	}
	d.Values = slices.Clone(c.Values)
	return d
}

// WithWeight returns a copy of s in which variant has weight w (adding it
// if s does not name it) and the other variants share the remaining 100-w
// in their current proportions. This is the change that moves the fewest
// units: raising a weight moves units only into variant, lowering it moves
// units only out of it. If the others all have weight 0, the remainder goes
// to the first of them.
func (s Split) WithWeight(variant string, w float64) Split {
	out := slices.Clone(s)
	i := slices.IndexFunc(out, func(a Arm) bool { return a.Variant == variant })
	if i < 0 {
		out = append(out, Arm{Variant: variant})
		i = len(out) - 1
	}
	rest := 0.0
	for j, a := range out {
		if j != i {
			rest += a.Weight
		}
	}
	for j := range out {
		switch {
		case j == i:
			out[j].Weight = w
		case rest > 0:
			out[j].Weight = out[j].Weight / rest * (100 - w)
		}
	}
	if rest == 0 && len(out) > 1 {
		first := 0
		if i == 0 {
			first = 1
		}
		out[first].Weight = 100 - w
	}
	return out
}

// Without returns a copy of s without variant, the others scaled up in
// their current proportions: only the removed variant's units move.
func (s Split) Without(variant string) Split {
	out := slices.DeleteFunc(slices.Clone(s), func(a Arm) bool { return a.Variant == variant })
	total := 0.0
	for _, a := range out {
		total += a.Weight
	}
	if total > 0 {
		for j := range out {
			out[j].Weight = out[j].Weight / total * 100
		}
	}
	return out
}
