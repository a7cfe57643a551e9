package strategy

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/varroute/varroute/audience"
)

// ErrInvalidPlan is matched (with errors.Is) by every error that reports a
// malformed plan.
var ErrInvalidPlan = errors.New("strategy: invalid plan")

// ErrUnknownVariant is matched by errors that report a plan naming a variant
// the router does not know.
var ErrUnknownVariant = errors.New("strategy: unknown variant")

// An Error reports what is wrong with a plan and where: the field path, such
// as "rules[2].split", and, for plans parsed from a file, the line and
// column. It matches ErrInvalidPlan with errors.Is.
type Error struct {
	Path   string // field path, e.g. "rules[2].split[0].weight"
	Line   int    // 1-based line in the parsed file, or 0
	Column int    // 1-based column in the parsed file, or 0
	Err    error  // the problem
}

// Error formats the problem as "strategy: line L:C: path: problem", leaving
// out what is unknown.
func (e *Error) Error() string {
	s := "strategy: "
	if e.Line > 0 {
		s += "line " + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Column) + ": "
	}
	if e.Path != "" {
		s += e.Path + ": "
	}
	return s + e.Err.Error()
}

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
// field path, or nil. It checks the plan on its own; whether the router
// knows the variants is checked by CheckVariants.
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
	}
	if !(p.NoiseFloor >= 0 && p.NoiseFloor <= 100) {
		return nil, fieldErr("noise_floor", "percent is %v, want [0, 100]", p.NoiseFloor)
	}
	return matchers, nil
}

func (s Split) validate(path string) error {
	if len(s) == 0 {
		return fieldErr(path, "empty split")
	}
	sum := 0.0
	for i, a := range s {
		arm := path + "[" + strconv.Itoa(i) + "]"
		if a.Variant == "" {
			return fieldErr(arm+".variant", "empty variant name")
		}
		for j := range i {
			if s[j].Variant == a.Variant {
				return fieldErr(arm+".variant", "duplicate variant %q", a.Variant)
			}
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

func (p Plan) validateFallbacks() error {
	keys := make([]string, 0, len(p.Fallbacks))
	for k := range p.Fallbacks {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the same error every time
	for _, k := range keys {
		path := "fallbacks[" + strconv.Quote(k) + "]"
		v := p.Fallbacks[k]
		switch {
		case k == "":
			return fieldErr("fallbacks", "empty variant name as key")
		case v == "":
			return fieldErr(path, "empty fallback variant")
		case v == k:
			return fieldErr(path, "variant %q falls back to itself", k)
		}
		chain := []string{k}
		for cur, ok := v, true; ok; cur, ok = p.Fallbacks[cur] {
			if slices.Contains(chain, cur) {
				return fieldErr(path, "fallback cycle %v", append(chain, cur))
			}
			chain = append(chain, cur)
		}
	}
	return nil
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
		path := "fallbacks[" + strconv.Quote(k) + "]"
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
