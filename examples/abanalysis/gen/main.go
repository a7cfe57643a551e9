// Command gen writes the sample data set of examples/abanalysis: a
// checkout experiment routed by a real varroute router, its exposure log
// written by an exposure.Writer, and the outcomes of every unit, with a true
// effect (treatment converts at 12% instead of 10%, and converters spend
// the same lognormal amount) and a pre-period covariate (pre_revenue, what
// each user spent the month before, correlated with what they spend
// during the experiment). Seeds and the simulated clock are fixed, so
// it writes the same bytes every time:
//
//	go run ./examples/abanalysis/gen
//
// With -users, -revisits and -out it writes large logs for measurements
// (1,000,000 users with 4 revisits each make about 5 million lines).
//
// It writes testdata/exposures.jsonl and testdata/outcomes.csv next to the
// analysis job (or into -out).
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/varroute/varroute/exposure"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// The experiment's truth.
var (
	users       = flag.Int("users", 15000, "number of users")
	repeatShare = flag.Float64("repeat", 0.15, "share of users who come back once more")
	revisits    = flag.Int("revisits", 0, "further visits of every user at random times over the week (for large logs)")
	convRate    = map[string]float64{"control": 0.100, "treatment": 0.120}
)

const (
	revenueMu    = 3.6 // log-dollars: a median basket of about $37
	revenueSigma = 0.7
)

// checkout is the "model" each variant runs; here it only names itself.
type checkout struct{ variant string }

func (c checkout) Predict(context.Context, string) (string, error) { return c.variant, nil }

func main() {
	_, file, _, _ := runtime.Caller(0)
	out := flag.String("out", filepath.Join(filepath.Dir(file), "..", "testdata"), "output directory")
	flag.Parse()
	if err := run(*out); err != nil {
		log.Fatal(err)
	}
}

func run(dir string) error {
	ctx := context.Background()
	f, err := os.Create(filepath.Join(dir, "exposures.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	// Block: a data set must lose nothing. Dedup: a user who comes back
	// within half an hour is not logged again.
	w, err := exposure.NewWriter(bw, exposure.WriterOptions{Block: true, Dedup: 30 * time.Minute})
	if err != nil {
		return err
	}
	// The simulated clock: the router stamps exposures with the wall
	// clock, so the generator restamps them to stay reproducible.
	var now time.Time
	restamp := exposure.LoggerFunc(func(ctx context.Context, e exposure.Exposure) {
		e.Time = now
		w.Log(ctx, e)
	})
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{
			"control":   checkout{"control"},
			"treatment": checkout{"treatment"},
		},
		Plan:      strategy.ABTest("checkout-2026", strategy.Even("control", "treatment")),
		Exposures: restamp,
	})
	if err != nil {
		return err
	}

	rng := rand.New(rand.NewPCG(2026, 7))
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	const span = 7 * 24 * time.Hour
	type visit struct {
		at   time.Time
		unit string
	}
	var visits []visit
	for i := range *users {
		unit := fmt.Sprintf("u%05d", i+1)
		at := start.Add(time.Duration(rng.Int64N(int64(span))).Truncate(time.Second))
		visits = append(visits, visit{at, unit})
		if rng.Float64() < *repeatShare {
			back := time.Duration(rng.Int64N(int64(2 * time.Hour))).Truncate(time.Second)
			visits = append(visits, visit{at.Add(back), unit})
		}
		for range *revisits {
			visits = append(visits, visit{start.Add(time.Duration(rng.Int64N(int64(span))).Truncate(time.Second)), unit})
		}
	}
	slices.SortStableFunc(visits, func(a, b visit) int { return a.at.Compare(b.at) })

	variant := map[string]string{}
	for _, v := range visits {
		now = v.at
		served, err := r.Predict(ctx, router.Unit{Key: v.unit}, "basket")
		if err != nil {
			return err
		}
		variant[v.unit] = served
	}
	if err := r.Close(ctx); err != nil {
		return err
	}
	if err := w.Close(ctx); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	s := w.Stats()
	fmt.Printf("exposures: %d logged, %d written, %d deduplicated, %d dropped\n", s.Logged, s.Written, s.Deduplicated, s.Dropped)

	// Outcomes: each user has a loyalty l ~ N(0, 1) that raises both what
	// they spent in the month before the experiment (the pre_revenue
	// covariate, for CUPED) and their chance to convert and spend during
	// it, without changing the variants' mean rates (12% against 10%).
	// Every converter has converted=1 and a revenue row; about half of the
	// others have converted=0, and the rest have no row at all (the
	// analysis counts them as 0).
	of, err := os.Create(filepath.Join(dir, "outcomes.csv"))
	if err != nil {
		return err
	}
	defer of.Close()
	cw := csv.NewWriter(of)
	_ = cw.Write([]string{"unit", "metric", "value"})
	orng := rand.New(rand.NewPCG(2026, 8))
	money := func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
	rows := 0
	for i := range *users {
		unit := fmt.Sprintf("u%05d", i+1)
		l := orng.NormFloat64()
		if orng.Float64() < min(1, 0.4*math.Exp(0.8*l-0.32)) { // E[exp(0.8l)] = exp(0.32)
			_ = cw.Write([]string{unit, "pre_revenue", money(math.Exp(revenueMu + 0.6*l + revenueSigma*orng.NormFloat64()))})
			rows++
		}
		if orng.Float64() < min(1, convRate[variant[unit]]*math.Exp(l-0.5)) { // E[exp(l)] = exp(0.5)
			revenue := math.Exp(revenueMu + 0.6*l - 0.18 + revenueSigma*orng.NormFloat64()) // E[exp(0.6l)] = exp(0.18)
			_ = cw.Write([]string{unit, "converted", "1"})
			_ = cw.Write([]string{unit, "revenue", money(revenue)})
			rows += 2
		} else if orng.Float64() < 0.5 {
			_ = cw.Write([]string{unit, "converted", "0"})
			rows++
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	fmt.Printf("outcomes: %d rows\n", rows)
	return of.Close()
}
