package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
)

func runExplain(args []string, e env) int {
	f := newFlags("explain", "varroute explain -key KEY [-attr k=v ...] PLAN", `
Explain decides one unit under a plan, exactly as a router serving it would,
and says why: each rule in order with the conditions of its audience that
held or failed, the split that applied, the variant, the fallback chain
behind it, and the shadows the unit is mirrored to.

An attribute value that reads as JSON is typed: numbers, true and false, and
lists such as ["staff","beta"]; anything else is a string (write "31" with
the quotes, shell-escaped, for the string 31).`, `
varroute explain -key user-42 -attr location=california -attr age=31 plans/checkout.yaml
varroute explain -key user-42 -attr 'groups=["staff","beta"]' plans/checkout.yaml`)
	key := f.String("key", "", "the unit's key (empty: a unit without a key, which gets the majority variant)")
	var attrs listFlag
	f.Var(&attrs, "attr", "an attribute `k=v`; repeat for more")
	pos, status, ok := f.parse(args, e)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		return f.usageError(e, "want one plan file, got %d arguments", len(pos))
	}
	unitAttrs, err := parseAttrs(attrs)
	if err != nil {
		return f.usageError(e, "%v", err)
	}
	pf, err := loadPlan(pos[0])
	if err != nil {
		e.errorf("explain: %v", err)
		return 1
	}
	r, err := decider(pf.plan)
	if err != nil {
		e.errorf("explain: %s: %v", pf.path, err)
		return 1
	}
	defer closeRouter(r)
	if err := explain(e.stdout, pf, r.Decide(router.Unit{Key: *key, Attrs: unitAttrs}), *key, unitAttrs); err != nil {
		e.errorf("explain: %v", err)
		return 1
	}
	return 0
}

// parseAttrs parses k=v flags.
func parseAttrs(kvs []string) (audience.Attributes, error) {
	var attrs audience.Attributes
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-attr %q: want key=value", kv)
		}
		if slices.ContainsFunc(attrs, func(a audience.Attr) bool { return a.Key == k }) {
			return nil, fmt.Errorf("-attr %q: key %q twice", kv, k)
		}
		attrs = append(attrs, audience.Any(k, attrValue(v)))
	}
	return attrs, nil
}

// attrValue reads v as a JSON number, bool, string or list of those, and
// as a plain string otherwise.
func attrValue(v string) any {
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	var x any
	if dec.Decode(&x) != nil || dec.More() {
		return v
	}
	switch x := x.(type) {
	case json.Number, bool, string:
		return x
	case []any:
		var ss []string
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return v
			}
			ss = append(ss, s)
		}
		return ss
	}
	return v
}

func explain(w io.Writer, pf *planFile, d router.Decision, key string, attrs audience.Attributes) error {
	var b bytes.Buffer
	p := pf.plan
	fmt.Fprintf(&b, "plan %s (%s)\n", p.Name, pf.path)
	fmt.Fprintf(&b, "unit: key %q", key)
	if len(attrs) == 0 {
		b.WriteString(", no attributes\n")
	} else {
		parts := make([]string, len(attrs))
		for i, a := range attrs {
			parts[i] = a.Key + "=" + fmtValue(a.Value)
		}
		fmt.Fprintf(&b, ", attributes %s\n", strings.Join(parts, " "))
	}
	auds := map[string]audience.Audience{}
	for _, a := range p.Audiences {
		auds[a.Name] = a
	}
	matched := -1
	for i, r := range p.Rules {
		head := fmt.Sprintf("rules[%d] %q (audience %s)", i, ruleName(r), r.Audience)
		if matched >= 0 {
			fmt.Fprintf(&b, "%s: not evaluated, rules[%d] matched first\n", head, matched)
			continue
		}
		m, err := audience.Compile(auds[r.Audience])
		if err != nil {
			return err
		}
		ok := m.Match(attrs)
		verdict := "no match"
		if ok {
			verdict, matched = "match", i
		}
		fmt.Fprintf(&b, "%s: %s\n", head, verdict)
		if _, err := explainCondition(&b, auds[r.Audience].Conditions, attrs, 1); err != nil {
			return err
		}
	}
	if len(p.Rules) == 0 {
		b.WriteString("rules: none\n")
	}
	split := p.Default
	if matched >= 0 {
		split = p.Rules[matched].Split
		fmt.Fprintf(&b, "split of rules[%d] %q: %s\n", matched, d.Rule, fmtSplit(split))
	} else {
		fmt.Fprintf(&b, "default split: %s\n", fmtSplit(split))
	}
	reason := string(d.Reason)
	if d.Reason == router.ReasonNoKey {
		reason += ": a unit without a key is not hashed and gets the split's majority variant"
	}
	fmt.Fprintf(&b, "variant: %s (reason %s)\n", d.Variant, reason)
	chain := []string{d.Variant}
	for v, ok := p.Fallbacks[d.Variant]; ok && !slices.Contains(chain, v); v, ok = p.Fallbacks[v] {
		chain = append(chain, v)
	}
	if len(chain) > 1 {
		fmt.Fprintf(&b, "fallbacks: %s (each serves if the one before it fails)\n", strings.Join(chain, " -> "))
	} else {
		fmt.Fprintf(&b, "fallbacks: none (an error of %s is the response)\n", d.Variant)
	}
	if len(p.Shadows) == 0 {
		b.WriteString("shadows: none\n")
	}
	for _, s := range p.Shadows {
		pct := strconv.FormatFloat(s.Percent, 'f', -1, 64)
		if slices.Contains(d.Shadows, s.Variant) {
			fmt.Fprintf(&b, "shadow %s (%s%% of units): this unit is mirrored to it\n", s.Variant, pct)
		} else {
			fmt.Fprintf(&b, "shadow %s (%s%% of units): this unit is not in its sample\n", s.Variant, pct)
		}
	}
	if p.NoiseFloor > 0 {
		in := "not in its sample"
		if d.NoiseFloor {
			in = "this unit is mirrored to a second call of " + d.Variant
		}
		fmt.Fprintf(&b, "noise floor (%s%% of units): %s\n", strconv.FormatFloat(p.NoiseFloor, 'f', -1, 64), in)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// explainCondition writes c's evaluation for attrs, indented, and returns
// whether it holds.
func explainCondition(b *bytes.Buffer, c audience.Condition, attrs audience.Attributes, depth int) (bool, error) {
	indent := strings.Repeat("  ", depth)
	switch {
	case c.Not != nil:
		var sub bytes.Buffer
		ok, err := explainCondition(&sub, *c.Not, attrs, depth+1)
		if err != nil {
			return false, err
		}
		fmt.Fprintf(b, "%snot: %t\n", indent, !ok)
		b.Write(sub.Bytes())
		return !ok, nil
	case len(c.All) > 0 || len(c.Any) > 0:
		list, name := c.All, "all of"
		if len(c.Any) > 0 {
			list, name = c.Any, "any of"
		}
		var sub bytes.Buffer
		result := len(c.All) > 0
		for _, s := range list {
			ok, err := explainCondition(&sub, s, attrs, depth+1)
			if err != nil {
				return false, err
			}
			if len(c.All) > 0 {
				result = result && ok
			} else {
				result = result || ok
			}
		}
		fmt.Fprintf(b, "%s%s: %t\n", indent, name, result)
		b.Write(sub.Bytes())
		return result, nil
	case c.Key == "" && c.Op == "":
		fmt.Fprintf(b, "%s(no conditions: every unit)\n", indent)
		return true, nil
	}
	m, err := audience.Compile(audience.Audience{Name: "condition", Conditions: c})
	if err != nil {
		return false, err
	}
	ok := m.Match(attrs)
	operand := ""
	switch {
	case c.Values != nil:
		operand = " " + fmtOperand(c.Values)
	case c.Value != nil:
		operand = " " + fmtOperand(c.Value)
	}
	have := "missing"
	if i := slices.IndexFunc(attrs, func(a audience.Attr) bool { return a.Key == c.Key }); i >= 0 {
		have = fmtValue(attrs[i].Value)
	}
	fmt.Fprintf(b, "%s%s %s%s: %t (%s is %s)\n", indent, c.Key, c.Op, operand, ok, c.Key, have)
	return ok, nil
}

// fmtValue formats an attribute value: strings quoted.
func fmtValue(v audience.Value) string {
	switch v.Kind() {
	case audience.KindString:
		return strconv.Quote(v.Str())
	case audience.KindStrings:
		return fmtOperand(v.Strings())
	}
	return v.String()
}

// fmtOperand formats an operand as written in a plan: strings quoted,
// lists in brackets.
func fmtOperand(x any) string {
	switch x := x.(type) {
	case string:
		return strconv.Quote(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmtOperand(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []string:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = strconv.Quote(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(x)
}
