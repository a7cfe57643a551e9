package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/internal/fielderr"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

func runLint(args []string, e env) int {
	f := newFlags("lint", "varroute lint [-json] [-strict] [-base REV] FILE...", `
Lint checks plan files and audience files (varroute's schema or Qwak's) and
prints every problem as file:line:col: path: message, the form editors and
CI systems annotate. The exit status is 1 if any file has an error (or, with
-strict, a warning), 0 otherwise.

Plans are checked as a router would load them (strategy.ParsePlan), and
valid plans for legal but suspicious things:
  - a rule that can never match, because an earlier rule has the same
    audience, the same conditions, or an audience that matches every unit;
  - a shadow that mirrors 100% of units: a plan carries no timeout, so the
    shadow calls are bounded only by the router's Config.Shadow;
  - with -base, a plan whose name changed since that git revision: the name
    salts the hash, so every unit is reassigned, not only those a weight
    change needs to move.
A file whose top level has api_version or spec, or only audiences, is an
audience file.`, `
varroute lint plans/*.yaml
varroute lint -base origin/main -json plans/checkout.yaml audiences/qwak.yaml`)
	asJSON := f.Bool("json", false, "print the diagnostics as a JSON array of {file, line, column, path, severity, message}")
	strict := f.Bool("strict", false, "exit with status 1 on warnings too")
	base := f.String("base", "", "a git revision (such as origin/main) to compare each plan with, to warn about renames")
	files, status, ok := f.parse(args, e)
	if !ok {
		return status
	}
	if len(files) == 0 {
		return f.usageError(e, "no file to lint")
	}
	diags := []diagnostic{}
	for _, file := range files {
		diags = append(diags, lintFile(file, *base)...)
	}
	failed := false
	for _, d := range diags {
		failed = failed || d.Severity == severityError || (*strict && d.Severity == severityWarning)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(diags); err != nil {
			e.errorf("lint: %v", err)
			return 1
		}
	} else {
		for _, d := range diags {
			fmt.Fprintln(e.stdout, d)
		}
	}
	if failed {
		return 1
	}
	return 0
}

// lintFile returns the problems of one file.
func lintFile(file, base string) []diagnostic {
	data, err := os.ReadFile(file)
	if err != nil {
		return []diagnostic{{File: file, Severity: severityError, Message: err.Error()}}
	}
	var root yaml.Node
	parsed := yaml.Unmarshal(data, &root) == nil
	if parsed && isAudienceFile(&root) {
		if _, err := audience.Parse(data); err != nil {
			return []diagnostic{diagnose(file, err)}
		}
		return nil
	}
	p, err := strategy.ParsePlan(data)
	if err != nil {
		return []diagnostic{diagnose(file, err)}
	}
	var diags []diagnostic
	warn := func(path, format string, args ...any) {
		line, col := fielderr.Find(&root, path)
		diags = append(diags, diagnostic{File: file, Line: line, Column: col, Path: path, Severity: severityWarning, Message: fmt.Sprintf(format, args...)})
	}
	shadowedRules(p, warn)
	for i, m := range p.Shadows {
		if m.Percent == 100 {
			warn("shadows["+strconv.Itoa(i)+"].percent",
				"mirrors every unit to %q; a plan sets no timeout, so its calls are bounded only by the router's Config.Shadow (1s and 64 calls in flight by default): make sure %q can take all the traffic, or sample less", m.Variant, m.Variant)
		}
	}
	if base != "" {
		if old, ok := planAt(base, file); ok && old.Name != p.Name && overlap(old, p) {
			kept := p.Clone()
			kept.Name = old.Name
			a, errA := movement(old, p, router.SampleUnits(10000))
			b, errB := movement(old, kept, router.SampleUnits(10000))
			how := ""
			if errA == nil && errB == nil {
				how = fmt.Sprintf(": %.1f%% of sampled units change variant, against %.1f%% with the old name", 100*a.share(), 100*b.share())
			}
			warn("name", "renamed from %q (at %s): the name salts the hash, so every unit is reassigned at random%s", old.Name, base, how)
		}
	}
	return diags
}

// isAudienceFile reports whether a document is an audience file: a Qwak
// file (api_version or spec at the top) or one whose only top-level key is
// audiences.
func isAudienceFile(root *yaml.Node) bool {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return false
	}
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	if slices.Contains(keys, "api_version") || slices.Contains(keys, "spec") {
		return true
	}
	return len(keys) == 1 && keys[0] == "audiences"
}

// shadowedRules warns about rules that can never match.
func shadowedRules(p strategy.Plan, warn func(path, format string, args ...any)) {
	conds := map[string]audience.Condition{}
	for _, a := range p.Audiences {
		conds[a.Name] = a.Conditions
	}
	for j, r := range p.Rules {
		path := "rules[" + strconv.Itoa(j) + "]"
		for i, before := range p.Rules[:j] {
			why := ""
			switch {
			case before.Audience == r.Audience:
				why = fmt.Sprintf("has the same audience %q", r.Audience)
			case alwaysMatches(conds[before.Audience]):
				why = fmt.Sprintf("has audience %q, which matches every unit", before.Audience)
			case reflect.DeepEqual(conds[before.Audience], conds[r.Audience]):
				why = fmt.Sprintf("has audience %q, whose conditions are the same as %q's", before.Audience, r.Audience)
			default:
				continue
			}
			warn(path, "rule %q never matches: rule %d (%q) before it %s", ruleName(r), i, ruleName(before), why)
			break
		}
	}
}

// alwaysMatches reports whether c matches every attribute list: the zero
// condition, or compositions of such conditions.
func alwaysMatches(c audience.Condition) bool {
	switch {
	case c.Not != nil:
		return false // not(x) matches everything only if x matches nothing
	case len(c.All) > 0:
		for _, s := range c.All {
			if !alwaysMatches(s) {
				return false
			}
		}
		return true
	case len(c.Any) > 0:
		return slices.ContainsFunc(c.Any, alwaysMatches)
	}
	return c.Key == "" && c.Op == "" && c.Value == nil && c.Values == nil
}

// overlap reports whether two plans share a variant: the same experiment.
func overlap(a, b strategy.Plan) bool {
	bv := b.Variants()
	return slices.ContainsFunc(a.Variants(), func(v string) bool { return slices.Contains(bv, v) })
}

// planAt reads the version of file at the git revision rev, if it has one
// and it is a valid plan.
func planAt(rev, file string) (strategy.Plan, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir, name := filepath.Split(file)
	cmd := exec.CommandContext(ctx, "git", "show", rev+":./"+name)
	cmd.Dir = dir
	if dir == "" {
		cmd.Dir = "."
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	if cmd.Run() != nil {
		return strategy.Plan{}, false
	}
	p, err := strategy.ParsePlan(out.Bytes())
	return p, err == nil
}
