package router_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// worstPlan is a plan at every limit that a decision's cost depends on:
// rules that match nothing, running MaxRuleRegexes times the costliest
// regular expression the audience limits allow (MaxRegexProgram
// instructions over an attribute of MaxRegexInput bytes) and the rest of
// MaxRuleConditions as substring searches of that attribute, in front of a
// default split of MaxArms arms.
func worstPlan(tb testing.TB, family func(k int) string) (strategy.Plan, map[string]router.Predictor[string, string]) {
	tb.Helper()
	var pattern string
	for k := 1; ; k++ { // grow the pattern while the audience limits accept it
		p := family(k)
		if _, err := audience.Compile(audience.Audience{Name: "a", Conditions: audience.Condition{Key: "k", Op: audience.OpMatches, Value: p}}); err != nil {
			break
		}
		pattern = p
	}
	if pattern == "" {
		tb.Fatal("no pattern within the limits")
	}
	p := strategy.Plan{Name: "worst"}
	names := make([]string, strategy.MaxArms)
	vs := make(map[string]router.Predictor[string, string], len(names))
	for i := range names {
		names[i] = fmt.Sprintf("v%05d", i)
		vs[names[i]] = constantP(names[i])
	}
	p.Default = strategy.Even(names...)
	// MaxRuleRegexes rules run the costliest regular expression; the other
	// rules, up to MaxRules, spend the rest of MaxRuleConditions on
	// case-insensitive substring searches of the whole attribute.
	slow := audience.Condition{Key: "k", Op: audience.OpMatches, Value: pattern}
	scan := audience.Condition{All: []audience.Condition{
		{Key: "k", Op: audience.OpContainsCI, Value: strings.Repeat("a", 63) + "b"},
		{Key: "k", Op: audience.OpContainsCI, Value: strings.Repeat("a", 62) + "c"},
		{Key: "k", Op: audience.OpContainsCI, Value: strings.Repeat("a", 61) + "d"},
	}}
	p.Audiences = []audience.Audience{{Name: "slow", Conditions: slow}, {Name: "scan", Conditions: scan}}
	conds := 0
	for i := range strategy.MaxRules {
		name, cost := "scan", 4
		if i < strategy.MaxRuleRegexes {
			name, cost = "slow", 1
		}
		if conds+cost > strategy.MaxRuleConditions {
			break
		}
		conds += cost
		p.Rules = append(p.Rules, strategy.Rule{Name: fmt.Sprint("r", i), Audience: name, Split: strategy.Split{{Variant: names[0], Weight: 100}}})
	}
	return p, vs
}

// BenchmarkDecideWorst is the most a decision can cost under the plan
// limits: every rule's regular expression runs to the end of a
// MaxRegexInput-byte attribute and fails, then MaxArms arms are scored.
//
// The regular expressions are the costliest families the audience
// benchmarks found; the inputs are ASCII and cased three-byte runes (case
// folding's slowest).
func BenchmarkDecideWorst(b *testing.B) {
	families := map[string]func(k int) string{
		"classes":   func(k int) string { return `(?:\pL|\pN){1,` + strconv.Itoa(k) + `}x` },
		"big-class": func(k int) string { return `(?:[\pL\pN\pM\pS\pP]|z){1,` + strconv.Itoa(k) + `}y` },
	}
	inputs := map[string]string{
		"ascii": strings.Repeat("a", audience.MaxRegexInput),
		"cased": strings.Repeat("ạ", audience.MaxRegexInput/3) + "a",
	}
	for fam, build := range families {
		p, vs := worstPlan(b, build)
		r, err := router.New(router.Config[string, string]{Variants: vs, Plan: p})
		if err != nil {
			b.Fatal(err)
		}
		for in, s := range inputs {
			b.Run(fam+"/"+in, func(b *testing.B) {
				u := router.Unit{Key: "user-1", Attrs: audience.Attributes{audience.String("k", s)}}
				b.ReportAllocs()
				for b.Loop() {
					if d := r.Decide(u); d.Rule != "" {
						b.Fatal("a rule matched")
					}
				}
			})
		}
	}
}
