package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"iter"
	"os"
	"slices"
	"text/tabwriter"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/exposure"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

func runPreview(args []string, e env) int {
	f := newFlags("preview", "varroute preview [-units FILE | -sample N] [-max-move P] OLD NEW", `
Preview decides every unit under the OLD plan and under the NEW one and
reports how many would be served by another variant: from which variant to
which, and per rule. The units are the distinct keys of a JSON-lines file,
such as an exposure log, whose lines may carry an "attrs" object for rules
that test attributes; without -units, N synthetic keys without attributes.
With -max-move, a change that moves more than P percent of the units fails
(exit status 1): a guard for CI.`, `
varroute preview -max-move 5 plans/checkout.yaml plans/checkout-next.yaml
varroute preview -units exposures.jsonl old.yaml new.yaml`)
	unitsFile := f.String("units", "", "a JSON-lines file of units: {\"unit\": key, \"attrs\": {...}} per line (an exposure log will do)")
	sample := f.Int("sample", 10000, "number of synthetic unit keys when there is no -units file")
	maxMove := f.Float64("max-move", -1, "fail if more than this percent of units move (negative: no limit)")
	pos, status, ok := f.parse(args, e)
	if !ok {
		return status
	}
	if len(pos) != 2 {
		return f.usageError(e, "want the OLD and NEW plan files, got %d arguments", len(pos))
	}
	if *sample <= 0 {
		return f.usageError(e, "-sample must be positive")
	}
	old, err := loadPlan(pos[0])
	if err != nil {
		e.errorf("preview: %v", err)
		return 1
	}
	nu, err := loadPlan(pos[1])
	if err != nil {
		e.errorf("preview: %v", err)
		return 1
	}
	units := router.SampleUnits(*sample)
	source := fmt.Sprintf("%d synthetic keys, no attributes", *sample)
	var readErr error
	if *unitsFile != "" {
		fh, err := os.Open(*unitsFile)
		if err != nil {
			e.errorf("preview: %v", err)
			return 1
		}
		defer fh.Close()
		units = readUnits(fh, *unitsFile, &readErr)
		source = "distinct keys of " + *unitsFile
	}
	m, err := movement(old.plan, nu.plan, units)
	if err == nil {
		err = readErr
	}
	if err != nil {
		e.errorf("preview: %v", err)
		return 1
	}
	w := e.stdout
	fmt.Fprintf(w, "old: %s (plan %s)\nnew: %s (plan %s)\n", old.path, old.plan.Name, nu.path, nu.plan.Name)
	if old.plan.Name != nu.plan.Name {
		fmt.Fprintf(w, "warning: the plan's name changed from %q to %q; the name salts the hash, so units are reassigned at random\n", old.plan.Name, nu.plan.Name)
	}
	fmt.Fprintf(w, "units: %d (%s)\n", m.units, source)
	if m.noAttrs > 0 && (len(old.plan.Rules) > 0 || len(nu.plan.Rules) > 0) {
		fmt.Fprintf(w, "note: %d units have no attributes: rules that test attributes see them as missing\n", m.noAttrs)
	}
	fmt.Fprintf(w, "moved: %d (%.2f%%)\n", m.moved, 100*m.share())
	if len(m.moves) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "from\tto\tunits\tshare\n")
		for _, mv := range m.moves {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f%%\n", mv.from, mv.to, mv.units, 100*float64(mv.units)/float64(m.units))
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "rule (old -> new)\tunits\tmoved\tshare moved\n")
	for _, r := range m.rules {
		fmt.Fprintf(tw, "%s -> %s\t%d\t%d\t%.2f%%\n", ruleLabel(r.from), ruleLabel(r.to), r.units, r.moved, 100*float64(r.moved)/float64(r.units))
	}
	tw.Flush()
	if *maxMove >= 0 && 100*m.share() > *maxMove {
		e.errorf("preview: %.2f%% of units move, more than -max-move %g%%", 100*m.share(), *maxMove)
		return 1
	}
	return 0
}

func ruleLabel(r string) string {
	if r == "" {
		return "(default)"
	}
	return r
}

// moves is the effect of a plan change on a population of units.
type moves struct {
	units, moved, noAttrs int
	moves                 []move     // per (from, to) variant, most units first
	rules                 []ruleMove // per (old rule, new rule), most units first
}

type move struct {
	from, to string
	units    int
}

type ruleMove struct {
	from, to     string
	units, moved int
}

func (m moves) share() float64 {
	if m.units == 0 {
		return 0
	}
	return float64(m.moved) / float64(m.units)
}

// movement decides each unit under both plans with routers' Decide.
func movement(from, to strategy.Plan, units iter.Seq2[string, audience.Attributes]) (moves, error) {
	a, err := decider(from)
	if err != nil {
		return moves{}, err
	}
	defer closeRouter(a)
	b, err := decider(to)
	if err != nil {
		return moves{}, err
	}
	defer closeRouter(b)
	var m moves
	pairs := map[[2]string]int{}
	rules := map[[2]string]*ruleMove{}
	for key, attrs := range units {
		m.units++
		if len(attrs) == 0 {
			m.noAttrs++
		}
		u := router.Unit{Key: key, Attrs: attrs}
		da, db := a.Decide(u), b.Decide(u)
		rk := [2]string{da.Rule, db.Rule}
		r := rules[rk]
		if r == nil {
			r = &ruleMove{from: da.Rule, to: db.Rule}
			rules[rk] = r
		}
		r.units++
		if da.Variant != db.Variant {
			m.moved++
			r.moved++
			pairs[[2]string{da.Variant, db.Variant}]++
		}
	}
	for p, n := range pairs {
		m.moves = append(m.moves, move{p[0], p[1], n})
	}
	slices.SortFunc(m.moves, func(x, y move) int {
		return cmp.Or(cmp.Compare(y.units, x.units), cmp.Compare(x.from, y.from), cmp.Compare(x.to, y.to))
	})
	for _, r := range rules {
		m.rules = append(m.rules, *r)
	}
	slices.SortFunc(m.rules, func(x, y ruleMove) int {
		return cmp.Or(cmp.Compare(y.units, x.units), cmp.Compare(x.from, y.from), cmp.Compare(x.to, y.to))
	})
	return m, nil
}

// unitLine is one line of a units file.
type unitLine struct {
	Unit  *string        `json:"unit"`
	Attrs map[string]any `json:"attrs"`
}

// readUnits yields the distinct keys of a JSON-lines file with their
// attributes (the first line of each key counts); blank lines are skipped.
// A bad line stops the iteration and sets *errp to an error naming it.
func readUnits(r io.Reader, name string, errp *error) iter.Seq2[string, audience.Attributes] {
	return func(yield func(string, audience.Attributes) bool) {
		seed := [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
		seen := map[[2]uint64]bool{}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64<<10), exposure.MaxLineBytes+2)
		line := 0
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			var u unitLine
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&u); err != nil {
				*errp = fmt.Errorf("%s:%d: %v", name, line, err)
				return
			}
			if u.Unit == nil {
				*errp = fmt.Errorf("%s:%d: no \"unit\"", name, line)
				return
			}
			if *u.Unit == "" {
				continue // an exposure without a key is no unit
			}
			k := [2]uint64{maphash.String(seed[0], *u.Unit), maphash.String(seed[1], *u.Unit)}
			if seen[k] {
				continue
			}
			seen[k] = true
			if !yield(*u.Unit, audience.FromMap(u.Attrs)) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			*errp = fmt.Errorf("%s:%d: %w", name, line+1, err)
		}
	}
}
