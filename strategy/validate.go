package strategy

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/internal/fielderr"
)

// ErrInvalidPlan is matched (with errors.Is) by every error that reports a
// malformed plan.
var ErrInvalidPlan = errors.New("strategy: invalid plan")

// ErrUnknownVariant is matched by errors that report a plan naming a variant
// the router does not know.
var ErrUnknownVariant = errors.New("strategy: unknown variant")

// An Error reports what is wrong with a plan and where: the field path,
// such as "rules[2].split[0].weight"; for a parsed plan, the line and
// column; for a plan file (package planfile), the file. It matches
// ErrInvalidPlan with errors.Is, and ErrUnknownVariant as well when it
// reports a variant that a router does not know. audience.Error has the
// same fields and format.
type Error struct {
	File   string // the plan file, or "" when the plan was not read from a file
	Line   int    // 1-based line in the parsed input, or 0
	Column int    // 1-based column (in characters) in the parsed input, or 0
	Path   string // field path, e.g. "rules[2].split[0].weight", or ""
	Err    error  // the problem
}

// Error formats e as "file:line:col: path: message", the form editors and
// CI annotations read, leaving out the parts that are unknown. Without a
// file, "strategy: " comes first instead:
//
//	plan.yaml:4:3: default: weights sum to 95, want 100
//	strategy: 4:3: default: weights sum to 95, want 100
//	strategy: default: weights sum to 95, want 100
func (e *Error) Error() string { return (*fielderr.Error)(e).Text("strategy") }

// Unwrap returns the underlying problem.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalidPlan.
func (e *Error) Is(target error) bool { return target == ErrInvalidPlan }

func fieldErr(path, format string, args ...any) error {
	return &Error{Path: path, Err: fmt.Errorf(format, args...)}
}

// weightTolerance absorbs float rounding in weights such as 100/3.
const weightTolerance = 1e-9

// Validate reports the first thing wrong with p as an *Error naming the
// field path, or nil. It checks the plan on its own: a name; audiences that
// are named once and compile (audience.Compile); rules naming a defined
// audience, under distinct names; splits that are not empty, name each
// variant once and have finite, non-negative weights summing to 100;
// fallbacks without empty names or cycles; at most MaxShadows shadows, each
// named once, with a percent in (0, 100], and none that also serves units;
// a NoiseFloor in [0, 100]. Whether a router knows the variants is checked
// by CheckVariants. Time and memory are linear in the size of p.
func (p Plan) Validate() error {
	_, err := p.validate()
	return err
}

// validate checks p and returns its audiences compiled, by name.
func (p Plan) validate() (map[string]*audience.Matcher, error) {
	if p.Name == "" {
		return nil, fieldErr("name", "empty plan name (it salts the hash)")
	}
	matchers := make(map[string]*audience.Matcher, len(p.Audiences))
	for i, a := range p.Audiences {
		path := "audiences[" + strconv.Itoa(i) + "]"
		if a.Name == "" {
			return nil, fieldErr(path+".name", "empty audience name")
		}
		if _, dup := matchers[a.Name]; dup {
			return nil, fieldErr(path+".name", "duplicate audience %q", a.Name)
		}
		m, err := audience.Compile(a)
		if err != nil {
			var ae *audience.Error
			if errors.As(err, &ae) {
				sub := path
				if ae.Path != "" {
					sub += "." + ae.Path
				}
				return nil, &Error{Path: sub, Err: ae.Err}
			}
			return nil, &Error{Path: path, Err: err}
		}
		matchers[a.Name] = m
	}
	if len(p.Rules) > MaxRules {
		return nil, fieldErr("rules", "%d rules, more than MaxRules (%d)", len(p.Rules), MaxRules)
	}
	if err := p.checkRuleCost(); err != nil {
		return nil, err
	}
	ruleNames := make(map[string]bool, len(p.Rules))
	for i, r := range p.Rules {
		path := "rules[" + strconv.Itoa(i) + "]"
		if r.Audience == "" {
			return nil, fieldErr(path+".audience", "empty audience name")
		}
		if _, ok := matchers[r.Audience]; !ok {
			return nil, fieldErr(path+".audience", "unknown audience %q", r.Audience)
		}
		name := r.Name
		if name == "" {
			name = r.Audience
		}
		if ruleNames[name] {
			return nil, fieldErr(path+".name", "duplicate rule name %q", name)
		}
		ruleNames[name] = true
		if err := r.Split.validate(path + ".split"); err != nil {
			return nil, err
		}
	}
	if err := p.Default.validate("default"); err != nil {
		return nil, err
	}
	if err := p.validateFallbacks(); err != nil {
		return nil, err
	}
	if len(p.Shadows) > MaxShadows {
		return nil, fieldErr("shadows", "%d shadows, at most %d", len(p.Shadows), MaxShadows)
	}
	seen := make(map[string]bool, len(p.Shadows))
	for i, m := range p.Shadows {
		path := "shadows[" + strconv.Itoa(i) + "]"
		if m.Variant == "" {
			return nil, fieldErr(path+".variant", "empty variant name")
		}
		if seen[m.Variant] {
			return nil, fieldErr(path+".variant", "duplicate shadow %q", m.Variant)
		}
		seen[m.Variant] = true
		if !(m.Percent > 0 && m.Percent <= 100) {
			return nil, fieldErr(path+".percent", "percent is %v, want (0, 100]", m.Percent)
		}
		if arm, w := p.serves(m.Variant); arm != "" {
			return nil, fieldErr(path+".variant",
				"shadow %q also serves units (%s has weight %v), whose mirrored calls would compare it with itself; to measure that, set noise_floor instead",
				m.Variant, arm, w)
		}
	}
	if err := p.validateBreakers(); err != nil {
		return nil, err
	}
	if !(p.NoiseFloor >= 0 && p.NoiseFloor <= 100) {
		return nil, fieldErr("noise_floor", "percent is %v, want [0, 100]", p.NoiseFloor)
	}
	return matchers, nil
}

// serves returns the path and weight of the first arm, of the default split
// or a rule's, that gives variant a positive weight, or "" if none does.
func (p Plan) serves(variant string) (arm string, weight float64) {
	for j, a := range p.Default {
		if a.Variant == variant && a.Weight > 0 {
			return "default[" + strconv.Itoa(j) + "]", a.Weight
		}
	}
	for i, r := range p.Rules {
		for j, a := range r.Split {
			if a.Variant == variant && a.Weight > 0 {
				return "rules[" + strconv.Itoa(i) + "].split[" + strconv.Itoa(j) + "]", a.Weight
			}
		}
	}
	return "", 0
}

// smallSplit is the size up to which duplicate variants are found by
// scanning, without allocating; larger splits use a map, so that validation
// stays linear.
const smallSplit = 16

func (s Split) validate(path string) error {
	if len(s) == 0 {
		return fieldErr(path, "empty split")
	}
	if len(s) > MaxArms {
		return fieldErr(path, "%d arms, more than MaxArms (%d)", len(s), MaxArms)
	}
	var seen map[string]bool
	if len(s) > smallSplit {
		seen = make(map[string]bool, len(s))
	}
	sum := 0.0
	for i, a := range s {
		arm := path + "[" + strconv.Itoa(i) + "]"
		if a.Variant == "" {
			return fieldErr(arm+".variant", "empty variant name")
		}
		dup := false
		if seen != nil {
			dup = seen[a.Variant]
			seen[a.Variant] = true
		} else {
			dup = slices.ContainsFunc(s[:i], func(b Arm) bool { return b.Variant == a.Variant })
		}
		if dup {
			return fieldErr(arm+".variant", "duplicate variant %q", a.Variant)
		}
		switch {
		case math.IsNaN(a.Weight) || math.IsInf(a.Weight, 0):
			return fieldErr(arm+".weight", "weight is %v, want a finite number", a.Weight)
		case a.Weight < 0:
			return fieldErr(arm+".weight", "weight is %v, want >= 0", a.Weight)
		}
		sum += a.Weight
	}
	if math.Abs(sum-100) > weightTolerance {
		return fieldErr(path, "weights sum to %v, want 100", sum)
	}
	return nil
}

// validateFallbacks refuses empty names and cycles. Each variant is walked
// once (a chain that reaches a variant already checked stops there), so
// the time is linear in the number of fallbacks.
func (p Plan) validateFallbacks() error {
	keys := make([]string, 0, len(p.Fallbacks))
	for k := range p.Fallbacks {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the same error every time
	const (
		onChain = 1 // on the chain being walked
		checked = 2 // leads to the end of a chain, no cycle
	)
	state := make(map[string]uint8, len(p.Fallbacks))
	var chain []string
	for _, k := range keys {
		path := fallbackPath(k)
		v := p.Fallbacks[k]
		switch {
		case k == "":
			return fieldErr("fallbacks", "empty variant name as key")
		case v == "":
			return fieldErr(path, "empty fallback variant")
		case v == k:
			return fieldErr(path, "variant %q falls back to itself", k)
		}
		chain = chain[:0]
		for cur, ok := k, true; ok && state[cur] != checked; cur, ok = p.Fallbacks[cur] {
			if state[cur] == onChain {
				return fieldErr(path, "fallback cycle %s", formatChain(append(chain, cur)))
			}
			state[cur] = onChain
			chain = append(chain, cur)
		}
		for _, c := range chain {
			state[c] = checked
		}
	}
	return nil
}

func fallbackPath(variant string) string { return "fallbacks[" + strconv.Quote(variant) + "]" }

// formatChain formats a chain of variants as [a b c a], eliding the middle
// of a long one.
func formatChain(chain []string) string {
	const keep = 8
	if len(chain) <= 2*keep {
		return fmt.Sprint(chain)
	}
	return fmt.Sprintf("%v ... (%d variants) ... %v", chain[:keep], len(chain)-2*keep, chain[len(chain)-keep:])
}

// CheckVariants reports the first variant that p refers to and known does
// not accept, as an *Error naming the field path that matches both
// ErrInvalidPlan and ErrUnknownVariant. Routers call it with their registry.
func (p Plan) CheckVariants(known func(variant string) bool) error {
	unknown := func(path, v string) error {
		return &Error{Path: path, Err: unknownVariant(v)}
	}
	for i, r := range p.Rules {
		for j, a := range r.Split {
			if !known(a.Variant) {
				return unknown("rules["+strconv.Itoa(i)+"].split["+strconv.Itoa(j)+"].variant", a.Variant)
			}
		}
	}
	for j, a := range p.Default {
		if !known(a.Variant) {
			return unknown("default["+strconv.Itoa(j)+"].variant", a.Variant)
		}
	}
	keys := make([]string, 0, len(p.Fallbacks))
	for k := range p.Fallbacks {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		path := fallbackPath(k)
		if !known(k) {
			return unknown(path, k)
		}
		if !known(p.Fallbacks[k]) {
			return unknown(path, p.Fallbacks[k])
		}
	}
	for i, m := range p.Shadows {
		if !known(m.Variant) {
			return unknown("shadows["+strconv.Itoa(i)+"].variant", m.Variant)
		}
	}
	return nil
}

// unknownVariant is the problem of an unknown variant; it matches
// ErrUnknownVariant without repeating the package prefix in messages.
type unknownVariant string

func (v unknownVariant) Error() string { return "unknown variant " + strconv.Quote(string(v)) }

func (v unknownVariant) Is(target error) bool { return target == ErrUnknownVariant }

// checkRuleCost sums, over the rules, the conditions and regular
// expressions of each rule's audience, against MaxRuleConditions and
// MaxRuleRegexes.
func (p Plan) checkRuleCost() error {
	type cost struct{ conds, regexes int }
	costs := make(map[string]cost, len(p.Audiences))
	for _, a := range p.Audiences {
		var c cost
		countConditions(&a.Conditions, &c.conds, &c.regexes)
		costs[a.Name] = c
	}
	var conds, regexes int
	for i, r := range p.Rules {
		c := costs[r.Audience]
		conds += c.conds
		regexes += c.regexes
		path := "rules[" + strconv.Itoa(i) + "].audience"
		if conds > MaxRuleConditions {
			return fieldErr(path, "the rules up to this one test %d conditions, more than MaxRuleConditions (%d)", conds, MaxRuleConditions)
		}
		if regexes > MaxRuleRegexes {
			return fieldErr(path, "the rules up to this one run %d regular expressions, more than MaxRuleRegexes (%d)", regexes, MaxRuleRegexes)
		}
	}
	return nil
}

// countConditions adds the conditions of c, leaves and compositions (all,
// any, not) alike, to *conds, and its regular expressions to *regexes.
func countConditions(c *audience.Condition, conds, regexes *int) {
	if c.Key != "" || c.Op != "" || len(c.All) > 0 || len(c.Any) > 0 || c.Not != nil {
		*conds++
	}
	if c.Op == audience.OpMatches {
		*regexes++
	}
	for i := range c.All {
		countConditions(&c.All[i], conds, regexes)
	}
	for i := range c.Any {
		countConditions(&c.Any[i], conds, regexes)
	}
	if c.Not != nil {
		countConditions(c.Not, conds, regexes)
	}
}
