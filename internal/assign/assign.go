// Package assign compiles a strategy.Plan into the table the router reads on
// every request, and assigns units with it. It is the router's machinery:
// users reach it through router.Router and router.Preview.
package assign

import (
	"encoding/json"
	"fmt"
	"math/bits"

	"github.com/cespare/xxhash/v2"
	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/internal/bucket"
	"github.com/varroute/varroute/strategy"
)

// A Choice is the result of Assign: indexes into the Table, no strings.
type Choice struct {
	Variant int    // index of the assigned variant in Table.Variants
	Rule    int    // index of the matched rule, or -1 for the default split
	Key     uint64 // the hash of the unit key (bucket.Key), 0 without a key
	// flags holds the shadow bits (low 8) and the noKey and noise bits. A
	// Choice has four fields so that the compiler keeps it in registers.
	flags uint16
}

const (
	flagNoKey = 1 << (8 + iota)
	flagNoise
)

// Shadows returns the shadow mask: bit j set, the unit is mirrored to
// Plan.Shadows[j].
func (ch Choice) Shadows() uint8 { return uint8(ch.flags) }

// NoKey reports whether the key was empty: the split's majority variant,
// not hashed.
func (ch Choice) NoKey() bool { return ch.flags&flagNoKey != 0 }

// Cell returns the index of the choice's (rule, variant, no key) in a
// table of a plan with nv variants: CellOf(ch.Rule, ch.Variant, ch.NoKey(),
// nv). A table of every cell has (Rules()+1)*nv*2 entries.
func (ch Choice) Cell(nv int) int {
	return ((ch.Rule+1)*nv+ch.Variant)<<1 | int(ch.flags>>8&1)
}

// CellOf returns the index of (rule, variant, no key); rule is -1 for the
// default split. See Choice.Cell.
func CellOf(rule, variant int, noKey bool, nv int) int {
	i := ((rule+1)*nv + variant) << 1
	if noKey {
		i |= 1
	}
	return i
}

// Mirrored reports whether the unit is mirrored to a shadow or to the
// noise floor.
func (ch Choice) Mirrored() bool { return ch.flags&(0xff|flagNoise) != 0 }

// Noise reports whether the unit is mirrored to a second call of its
// variant (the noise floor).
func (ch Choice) Noise() bool { return ch.flags&flagNoise != 0 }

// Revision returns the revision of plan p: the first 12 hex digits of the
// xxhash of its JSON encoding, a pure function of the plan.
func Revision(p strategy.Plan) string {
	b, err := json.Marshal(p)
	if err != nil { // a plan holds plain data; an audience value of an unusual type
		b = []byte(p.Name)
	}
	return fmt.Sprintf("%016x", xxhash.Sum64(b))[:12]
}

// A Table is a validated Plan compiled for the request path: audiences are
// compiled, hash seeds precomputed, and every per-plan allocation done, so
// Assign allocates nothing. A Table is immutable and safe for concurrent
// use.
type Table struct {
	plan       strategy.Plan
	revision   string
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

// Compile validates p and compiles it. It returns p.Validate's error
// (a *strategy.Error) when p is invalid. The Table keeps a copy of p.
func Compile(p strategy.Plan) (*Table, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	matchers := make(map[string]*audience.Matcher, len(p.Audiences))
	for _, a := range p.Audiences {
		m, err := audience.Compile(a)
		if err != nil {
			return nil, err // Validate compiled it already
		}
		matchers[a.Name] = m
	}
	p = p.Clone()
	c := &Table{plan: p, revision: Revision(p), variants: p.Variants()}
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

func (c *Table) compileSplit(s strategy.Split) compiledSplit {
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
func (c *Table) Plan() strategy.Plan { return c.plan.Clone() }

// Name returns the plan's name without copying the plan.
func (c *Table) Name() string { return c.plan.Name }

// Variants returns the names of the variants the plan refers to, sorted; a
// variant's position is its index in Choice and Fallback. The slice is
// shared and must not be modified.
func (c *Table) Variants() []string { return c.variants }

// Index returns the index of variant, or -1 if the plan does not refer to it.
func (c *Table) Index(variant string) int {
	if i, ok := c.index[variant]; ok {
		return i
	}
	return -1
}

// Fallback returns the index of the variant that serves when the variant of
// index i fails, or -1 if there is none.
func (c *Table) Fallback(i int) int { return c.fallback[i] }

// Shadow returns the variant index of the plan's j-th shadow, the variant of
// bit j in Choice.Shadows.
func (c *Table) Shadow(j int) int { return c.shadows[j].variant }

// Revision returns the plan's revision (see the function Revision).
func (c *Table) Revision() string { return c.revision }

// Rules returns the number of rules.
func (c *Table) Rules() int { return len(c.rules) }

// RuleName returns the name of rule i: its Name, or its audience's.
func (c *Table) RuleName(i int) string { return c.rules[i].name }

// ShadowSet returns the names of the shadows of bit mask, in plan order;
// nil for 0. The slice is shared and must not be modified.
func (c *Table) ShadowSet(mask uint8) []string { return c.shadowSets[mask] }

// Assign matches the unit against the rules in order and picks its variant
// in the split that applies. It allocates nothing.
//
// A unit with an empty key still matches rules by its attributes, but it is
// not hashed: it gets its split's majority variant (NoKey), and only
// shadows and the noise floor at 100 percent mirror it.
func (c *Table) Assign(key string, attrs audience.Attributes) (ch Choice) {
	ch.Rule = -1
	split := &c.def
	for i := range c.rules {
		if c.rules[i].matcher.Match(attrs) {
			split = &c.rules[i].split
			ch.Rule = i
			break
		}
	}
	if key == "" {
		ch.flags = flagNoKey
		ch.Variant = split.majority
		for j := range c.shadows {
			if c.shadows[j].threshold == ^uint64(0) {
				ch.flags |= 1 << j
			}
		}
		if c.noiseBelow == ^uint64(0) {
			ch.flags |= flagNoise
		}
		return ch
	}
	k := bucket.Key(key)
	ch.Key = k
	if split.single >= 0 {
		ch.Variant = split.single
	} else {
		ch.Variant = split.variants[split.picker.Pick(k)]
	}
	for j := range c.shadows {
		if bucket.Below(k, c.shadows[j].seed, c.shadows[j].threshold) {
			ch.flags |= 1 << j
		}
	}
	if c.noiseBelow != 0 && bucket.Below(k, c.noise, c.noiseBelow) {
		ch.flags |= flagNoise
	}
	return ch
}
