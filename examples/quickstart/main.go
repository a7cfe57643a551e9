// Quickstart: three small churn models behind one varroute router.
//
// It fits logistic regressions with gonum on a synthetic churn data set,
// serves them through a router whose plan sends Californian users to a
// regional model and a sticky 10% canary of everyone else to a candidate
// (with the stable model as its fallback), sends 100,000 simulated users,
// prints who served whom, then raises the canary to 25% and prints how many
// users moved — only stable users move, and only to the candidate.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"sync"
	"text/tabwriter"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// Customer is one row of the synthetic data set and the model input.
type Customer struct {
	ID       string
	Location string
	Tenure   float64 // months
	Spend    float64 // dollars a month
	Tickets  float64 // support tickets last quarter; -1 when unknown
}

// Model is a logistic regression over a chosen set of features.
type Model struct {
	Name     string
	Features func(c Customer) []float64
	Weights  []float64 // intercept first
}

// Predict returns the probability that c churns.
func (m *Model) Predict(_ context.Context, c Customer) (float64, error) {
	x := m.Features(c)
	if x == nil {
		return 0, errors.New("missing feature")
	}
	z := m.Weights[0] + floats.Dot(m.Weights[1:], x)
	return 1 / (1 + math.Exp(-z)), nil
}

func basic(c Customer) []float64 { return []float64{c.Tenure / 12, c.Spend / 100} }

func withTickets(c Customer) []float64 {
	if c.Tickets < 0 {
		return nil // the candidate needs this feature; the fallback serves
	}
	return []float64{c.Tenure / 12, c.Spend / 100, c.Tickets}
}

// fit trains a logistic regression by minimizing the log loss with BFGS.
func fit(name string, rows []Customer, churned []bool, features func(Customer) []float64) *Model {
	var xs [][]float64
	var ys []float64
	for i, r := range rows {
		if x := features(r); x != nil {
			xs, ys = append(xs, x), append(ys, b2f(churned[i]))
		}
	}
	dim := len(xs[0]) + 1
	loss := func(w []float64) float64 {
		sum := 0.0
		for i, x := range xs {
			z := w[0] + floats.Dot(w[1:], x)
			sum += math.Log1p(math.Exp(-math.Abs(z))) + math.Max(z, 0) - ys[i]*z
		}
		return sum / float64(len(xs))
	}
	grad := func(g, w []float64) {
		clear(g)
		for i, x := range xs {
			err := 1/(1+math.Exp(-(w[0]+floats.Dot(w[1:], x)))) - ys[i]
			g[0] += err
			floats.AddScaled(g[1:], err, x)
		}
		floats.Scale(1/float64(len(xs)), g)
	}
	settings := &optimize.Settings{GradientThreshold: 1e-6}
	res, err := optimize.Minimize(optimize.Problem{Func: loss, Grad: grad}, make([]float64, dim), settings, &optimize.BFGS{})
	if err != nil {
		log.Fatalf("fit %s: %v", name, err)
	}
	return &Model{Name: name, Features: features, Weights: res.X}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// population generates customers and whether they churned.
func population(r *rand.Rand, n int) ([]Customer, []bool) {
	locations := []string{"california", "texas", "new york", "florida", "washington", "illinois", "ohio"}
	cs, churned := make([]Customer, n), make([]bool, n)
	for i := range cs {
		c := Customer{
			ID:       "user-" + strconv.Itoa(i),
			Location: locations[r.IntN(len(locations))],
			Tenure:   float64(1 + r.IntN(72)),
			Spend:    20 + 80*r.Float64(),
			Tickets:  float64(r.IntN(5)),
		}
		if r.IntN(50) == 0 {
			c.Tickets = -1 // unknown for 2% of users
		}
		z := 1.0 - 0.06*c.Tenure + 0.01*c.Spend + 0.5*math.Max(c.Tickets, 0)
		if c.Location == "california" {
			z += 0.8 // the region churns differently
		}
		cs[i], churned[i] = c, r.Float64() < 1/(1+math.Exp(-z))
	}
	return cs, churned
}

func main() {
	r := rand.New(rand.NewPCG(2026, 11))
	train, churned := population(r, 20_000)
	var west []Customer
	var westChurn []bool
	for i, c := range train {
		if c.Location == "california" {
			west, westChurn = append(west, c), append(westChurn, churned[i])
		}
	}
	stable := fit("stable", train, churned, basic)
	candidate := fit("candidate", train, churned, withTickets)
	regional := fit("west", west, westChurn, withTickets)
	fmt.Printf("fitted 3 logistic regressions on %d customers (%d Californian)\n\n", len(train), len(west))

	// The plan: Californians get the regional model (falling back to
	// stable); everyone else gets a sticky 10% canary of the candidate.
	plan := strategy.Canary("stable", "candidate", 10)
	plan.Audiences = []audience.Audience{{
		Name:       "california",
		Conditions: audience.Condition{Key: "location", Op: audience.OpEquals, Value: "california"},
	}}
	plan.Rules = []strategy.Rule{{Name: "california", Audience: "california", Split: strategy.Split{{Variant: "west", Weight: 100}}}}
	plan.Fallbacks["west"] = "stable"

	var tally tally
	rt, err := router.New(router.Config[Customer, float64]{
		Variants: map[string]router.Predictor[Customer, float64]{
			"stable": stable, "candidate": candidate, "west": regional,
		},
		Plan:      plan,
		Observers: []router.Observer{&tally},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(context.Background())

	users, _ := population(r, 100_000)
	ctx := context.Background()
	for _, u := range users {
		unit := router.Unit{Key: u.ID, Attrs: audience.Attributes{audience.String("location", u.Location)}}
		if _, err := rt.Predict(ctx, unit, u); err != nil {
			log.Fatalf("predict %s: %v", u.ID, err)
		}
	}
	tally.print(len(users))

	// Raise the canary to 25%: the same plan name keeps assignments sticky.
	next := rt.Plan()
	next.Default = next.Default.WithWeight("candidate", 25)
	units := func(yield func(string, audience.Attributes) bool) {
		for _, u := range users {
			if !yield(u.ID, audience.Attributes{audience.String("location", u.Location)}) {
				return
			}
		}
	}
	moved, err := router.Preview(rt.Plan(), next, units)
	if err != nil {
		log.Fatal(err)
	}
	if err := rt.SetPlan(next); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\ncanary raised from 10%% to 25%%: %d of %d users moved (%.1f%%)\n", moved.Moved, moved.Units, 100*moved.Share())
	for _, m := range moved.Moves {
		fmt.Printf("  %-9s -> %-9s %6d users\n", m.From, m.To, m.Units)
	}
}

// tally is a router.Observer that counts requests by variant and rule.
type tally struct {
	mu       sync.Mutex
	counts   map[[2]string]int
	fellBack map[string]int
}

func (t *tally) Observe(_ context.Context, o router.Outcome) {
	rule := o.Decision.Rule
	if rule == "" {
		rule = "(default)"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts, t.fellBack = map[[2]string]int{}, map[string]int{}
	}
	t.counts[[2]string{o.Decision.Variant, rule}]++
	if o.FellBack() {
		t.fellBack[o.Decision.Variant+" -> "+o.Served]++
	}
}

func (t *tally) print(total int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := make([][2]string, 0, len(t.counts))
	for k := range t.counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return t.counts[keys[i]] > t.counts[keys[j]] })
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "variant\trule\trequests\tshare\t")
	for _, k := range keys {
		fmt.Fprintf(w, "%s\t%s\t%d\t%.1f%%\t\n", k[0], k[1], t.counts[k], 100*float64(t.counts[k])/float64(total))
	}
	w.Flush()
	for path, n := range t.fellBack {
		fmt.Printf("fallback served %d requests (%s): the assigned model could not answer\n", n, path)
	}
}
