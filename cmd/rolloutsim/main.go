// Command rolloutsim checks the rollout controller's statistical guarantees
// (issue 16) by simulation, through the public API: each run builds a router
// and a rollout.Rollout with default guardrails (α = 0.05, steps 1, 5, 25, 50,
// 100%) on a fake clock, sends synthetic traffic of units whose keys are drawn
// from the run's own seed, decides each unit with the router (Router.Decide,
// once per unit and plan revision), and feeds the outcomes to
// Rollout.Observe, stepping the controller every simulated minute until it
// promotes, rolls back, halts, or 24 simulated hours pass.
//
// The base traffic: 500 requests a minute (Poisson), each from a unit drawn
// uniformly from 1,000,000; 1% errors in both variants; lognormal latencies
// (median 20 ms, σ 0.5); an absolute error ceiling of 3% in the A/A rows.
// Variations: a shared daily cycle of ±50% on traffic and error rates (from
// a random hour); 5% of latencies multiplied by a Pareto(1.2) factor; error
// bursts in each variant independently (on average one an hour, about 5
// minutes at 10%); units' activity Pareto(1.1)-distributed over 200,000
// (sticky heavy users); 5% of the candidate's units (by hash) missing from
// the telemetry.
//
// Every row runs at least 500 independent runs (1,000 for the MixtureSPRT
// rows), seeds drawn per run from the -seed flag (printed, so that a table
// can be reproduced; the Collector's unit sampling has a seed of its own,
// which matters only above ~92,000 units in a step), over -workers
// goroutines, and prints the rate of its event with a 95% Clopper–Pearson
// interval, whether it meets the row's target, the verdict counts, and the
// median time and requests to the verdict; it exits with status 1 if a row
// misses its target.
//
//	go run ./cmd/rolloutsim                 # the full table, as markdown
//	go run ./cmd/rolloutsim -runs 100 -rows 'A/A' -v
//	go run ./cmd/rolloutsim -rows bursts -trace 12934385530880700995
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/varroute/varroute/rollout"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/stats"
	"github.com/varroute/varroute/strategy"
)

// traffic describes one scenario's traffic and variants.
type traffic struct {
	perMinute  float64 // requests per minute (mean)
	baseErr    float64 // baseline error rate
	candErr    float64 // candidate error rate
	drift      bool    // error rates and traffic follow a shared daily cycle (±50%)
	heavyTails bool    // 5% of latencies multiplied by a Pareto(1.2) factor
	bursts     bool    // each arm, independently, has error bursts: on average one an hour, 5 minutes at 10%
	pareto     bool    // units' activity is Pareto(1.1)-distributed (sticky heavy users) over 200,000 units
	lostUnits  float64 // share of the candidate's units whose telemetry is lost
	ceiling    float64 // Guardrails.MaxErrorRate
	candSlower float64 // candidate latency factor (1 = same)
}

// outcome is what one run ended with.
type outcome struct {
	state      rollout.State
	maxPercent float64 // the largest share the candidate served
	elapsed    time.Duration
	requests   int64
	reason     string
}

// A row is one line of the table: a scenario, the event whose rate is
// reported, and its target.
type row struct {
	name    string
	traffic traffic
	event   string // what is counted
	target  string
	count   func(o outcome) bool
	check   func(lo, hi float64, k, n int) bool // whether the row meets its target
	// mixture, when set, replaces the rollout simulation (the MixtureSPRT
	// row): it returns whether the run's p-value ever fell below 0.05.
	mixture func(rng *rand.Rand) bool
}

const (
	popSize       = 1_000_000 // units in the default population
	paretoPopSize = 200_000
	horizon       = 24 * time.Hour
)

var (
	base = traffic{perMinute: 500, baseErr: 0.01, candErr: 0.01, ceiling: 0.03}
	bad  = func(o outcome) bool { return o.state == rollout.StateRolledBack || o.state == rollout.StatePaused }
)

func rows() []row {
	with := func(f func(*traffic)) traffic { t := base; f(&t); return t }
	atMost5 := func(_, hi float64, _, _ int) bool { return hi <= 0.05 }
	atLeast := func(p float64) func(lo, hi float64, k, n int) bool {
		return func(_, _ float64, k, n int) bool { return float64(k) >= p*float64(n) }
	}
	return []row{
		{name: "A/A, iid", traffic: base, event: "rolled back or halted", target: "≤ 5% (upper CI)", count: bad, check: atMost5},
		{name: "A/A, shared diurnal drift", traffic: with(func(t *traffic) { t.drift = true }), event: "rolled back or halted", target: "≤ 5% (upper CI)", count: bad, check: atMost5},
		{name: "A/A, heavy-tailed latency", traffic: with(func(t *traffic) { t.heavyTails = true }), event: "rolled back or halted", target: "≤ 5% (upper CI)", count: bad, check: atMost5},
		{name: "A/A, error bursts per arm", traffic: with(func(t *traffic) { t.bursts = true }), event: "rolled back or halted", target: "≤ 5% (upper CI)", count: bad, check: atMost5},
		{name: "A/A, Pareto heavy users", traffic: with(func(t *traffic) { t.pareto = true }), event: "rolled back or halted", target: "≤ 5% (upper CI)", count: bad, check: atMost5},
		{name: "1.0% → 1.3% errors", traffic: with(func(t *traffic) { t.candErr = 0.013; t.ceiling = 0 }), event: "rolled back", target: "≥ 90%",
			count: func(o outcome) bool { return o.state == rollout.StateRolledBack }, check: atLeast(0.9)},
		{name: "1.0% → 1.3% errors", traffic: with(func(t *traffic) { t.candErr = 0.013; t.ceiling = 0 }), event: "promoted past 50% undetected", target: "≤ 5%",
			count: func(o outcome) bool { return o.state == rollout.StatePromoted }, check: func(_, _ float64, k, n int) bool { return float64(k) <= 0.05*float64(n) }},
		{name: "5% errors at 10 requests/min", traffic: with(func(t *traffic) { t.perMinute = 10; t.candErr = 0.05; t.ceiling = 0 }), event: "promoted", target: "0 runs",
			count: func(o outcome) bool { return o.state == rollout.StatePromoted }, check: func(_, _ float64, k, _ int) bool { return k == 0 }},
		{name: "5% errors at 500 requests/min", traffic: with(func(t *traffic) { t.candErr = 0.05; t.ceiling = 0 }), event: "rolled back before 5% of traffic", target: "≥ 95%",
			count: func(o outcome) bool { return o.state == rollout.StateRolledBack && o.maxPercent < 5 }, check: atLeast(0.95)},
		{name: "candidate loses 5% of its units' telemetry", traffic: with(func(t *traffic) { t.lostUnits = 0.05; t.ceiling = 0 }), event: "halted", target: "≥ 95%",
			count: func(o outcome) bool { return o.state == rollout.StatePaused }, check: atLeast(0.95)},
		{name: "better candidate (0.5% vs 1.0% errors)", traffic: with(func(t *traffic) { t.candErr = 0.005; t.ceiling = 0 }), event: "promoted", target: "median time < equal's",
			count: func(o outcome) bool { return o.state == rollout.StatePromoted }},
		{name: "equal candidate (1.0% vs 1.0% errors)", traffic: with(func(t *traffic) { t.ceiling = 0 }), event: "promoted", target: "(reference)",
			count: func(o outcome) bool { return o.state == rollout.StatePromoted }},
		{name: "MixtureSPRT A/A, τ² = 0.01, every observation of 10,000", event: "p < 0.05 at some look", target: "≤ 5% (upper CI)", check: atMost5,
			mixture: func(rng *rand.Rand) bool { return mixtureAA(rng, 0.01) }},
		{name: "MixtureSPRT A/A, τ² = 1, every observation of 10,000", event: "p < 0.05 at some look", target: "≤ 5% (upper CI)", check: atMost5,
			mixture: func(rng *rand.Rand) bool { return mixtureAA(rng, 1) }},
	}
}

// mixtureAA monitors stats.MixtureSPRT after every one of 10,000 N(0, 1)
// observations, alternating between two identical groups, and reports
// whether its p-value ever fell below 0.05 (it gives none before its
// burn-in, stats.MixtureMinN values per group).
func mixtureAA(rng *rand.Rand, tau2 float64) bool {
	var g [2]stats.Summary
	for i := range 10_000 {
		g[i%2].Add(rng.NormFloat64())
		if r, err := stats.MixtureSPRT(g[0], g[1], tau2); err == nil && r.PValue < 0.05 {
			return true
		}
	}
	return false
}

func main() {
	runs := flag.Int("runs", 500, "runs per row (1,000 for the MixtureSPRT rows)")
	seed := flag.Uint64("seed", 0, "master seed (0: drawn at random; printed)")
	rowFilter := flag.String("rows", "", "run only the rows whose name matches this regular expression")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "parallel runs")
	flag.BoolVar(&verbose, "v", false, "print every run's verdict and reason")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	trace := flag.Uint64("trace", 0, "run the first row matching -rows once with this run seed, printing the controller's figures at every transition and every hour")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "rolloutsim:", err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "rolloutsim:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	if *trace != 0 {
		for _, r := range rows() {
			if r.mixture == nil && (*rowFilter == "" || regexp.MustCompile(*rowFilter).MatchString(r.name)) {
				tracing = true
				o := run(r.traffic, *trace)
				fmt.Printf("%v at max %g%% after %v: %s\n", o.state, o.maxPercent, o.elapsed, o.reason)
				return
			}
		}
	}
	if *seed == 0 {
		*seed = rand.Uint64()
	}
	var re *regexp.Regexp
	if *rowFilter != "" {
		var err error
		if re, err = regexp.Compile(*rowFilter); err != nil {
			fmt.Fprintln(os.Stderr, "rolloutsim:", err)
			os.Exit(2)
		}
	}
	start := time.Now()
	fmt.Printf("rolloutsim: master seed %d, %d workers, horizon %v, a Step every simulated minute\n\n", *seed, *workers, horizon)
	fmt.Println("| scenario | runs | event | rate [95% CI] | target | met | promoted / rolled back / halted / none | median time | median requests |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	master := rand.New(rand.NewPCG(*seed, 0x5eed))
	ok := true
	// Rows sharing a scenario share runs.
	done := map[string][]outcome{}
	for _, r := range rows() {
		rowSeed := master.Uint64()
		if re != nil && !re.MatchString(r.name) {
			continue
		}
		n := *runs
		if r.mixture != nil {
			n = max(n, 1000)
			k := parallelCount(n, *workers, rowSeed, r.mixture)
			lo, hi := clopperPearson(k, n)
			met := r.check(lo, hi, k, n)
			ok = ok && met
			fmt.Printf("| %s | %d | %s | %s | %s | %s | | | |\n", r.name, n, r.event, fmtRate(k, n, lo, hi), r.target, yes(met))
			continue
		}
		key := fmt.Sprintf("%+v", r.traffic)
		outs, seen := done[key]
		if !seen {
			outs = simulate(r.traffic, n, *workers, rowSeed)
			done[key] = outs
		}
		k := 0
		for _, o := range outs {
			if r.count(o) {
				k++
			}
		}
		lo, hi := clopperPearson(k, len(outs))
		met := true
		metS := ""
		if r.check != nil {
			met = r.check(lo, hi, k, len(outs))
			metS = yes(met)
		}
		ok = ok && met
		t, q := medians(outs)
		fmt.Printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", r.name, len(outs), r.event, fmtRate(k, len(outs), lo, hi), r.target, metS,
			verdicts(outs), t, q)
	}
	fmt.Printf("\nwall time %v on %d workers (GOMAXPROCS %d)\n", time.Since(start).Round(time.Second), *workers, runtime.GOMAXPROCS(0))
	if !ok {
		fmt.Println("some rows miss their target")
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}

func fmtRate(k, n int, lo, hi float64) string {
	return fmt.Sprintf("%d/%d = %.1f%% [%.1f%%, %.1f%%]", k, n, 100*float64(k)/float64(n), 100*lo, 100*hi)
}

// clopperPearson returns the exact 95% interval of a binomial proportion.
func clopperPearson(k, n int) (lo, hi float64) {
	if k > 0 {
		lo = distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1)}.Quantile(0.025)
	}
	hi = 1
	if k < n {
		hi = distuv.Beta{Alpha: float64(k + 1), Beta: float64(n - k)}.Quantile(0.975)
	}
	return lo, hi
}

func verdicts(outs []outcome) string {
	var c [4]int
	for _, o := range outs {
		switch o.state {
		case rollout.StatePromoted:
			c[0]++
		case rollout.StateRolledBack:
			c[1]++
		case rollout.StatePaused:
			c[2]++
		default:
			c[3]++
		}
	}
	return fmt.Sprintf("%d / %d / %d / %d", c[0], c[1], c[2], c[3])
}

// medians returns the median time and requests to a verdict, over the runs
// that reached one.
func medians(outs []outcome) (string, string) {
	var ts []time.Duration
	var qs []int64
	for _, o := range outs {
		if o.state.Final() || o.state == rollout.StatePaused {
			ts = append(ts, o.elapsed)
			qs = append(qs, o.requests)
		}
	}
	if len(ts) == 0 {
		return "–", "–"
	}
	slices.Sort(ts)
	slices.Sort(qs)
	return ts[len(ts)/2].Round(time.Minute).String(), strconv.FormatInt(qs[len(qs)/2], 10)
}

func parallelCount(n, workers int, seed uint64, f func(*rand.Rand) bool) int {
	var mu sync.Mutex
	k := 0
	forRuns(n, workers, seed, func(_ int, runSeed uint64) {
		if f(rand.New(rand.NewPCG(runSeed, runSeed^0xa5a5))) {
			mu.Lock()
			k++
			mu.Unlock()
		}
	})
	return k
}

// forRuns calls f for runs 0..n-1 on workers goroutines, each run with its
// own seed drawn from seed.
func forRuns(n, workers int, seed uint64, f func(run int, runSeed uint64)) {
	seeds := make([]uint64, n)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	for i := range seeds {
		seeds[i] = rng.Uint64()
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for i := range jobs {
				f(i, seeds[i])
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

func simulate(t traffic, n, workers int, seed uint64) []outcome {
	outs := make([]outcome, n)
	forRuns(n, workers, seed, func(i int, runSeed uint64) {
		outs[i] = run(t, runSeed)
		if verbose {
			fmt.Fprintf(os.Stderr, "run %d seed %d: %v at max %g%% after %v: %s\n", i, runSeed, outs[i].state, outs[i].maxPercent, outs[i].elapsed, outs[i].reason)
		}
	})
	return outs
}

// clock is the run's simulated time.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

var errModel = fmt.Errorf("model failed")

// verbose prints every run (-v); tracing prints a run's figures (-trace).
var verbose, tracing bool

func traceFigures(now time.Duration, st rollout.Status) {
	f := st.Figures
	fmt.Printf("%v %v step %d (%g%%) next %g: base %d/%d cand %d/%d units %v SRMp %.3g needed %d holding %q\n",
		now, st.State, f.Step, f.Percent, f.Next, f.Baseline.Errors, f.Baseline.Requests, f.Candidate.Errors, f.Candidate.Requests, f.Units, f.SRMP, f.Needed, f.Holding)
	for _, c := range f.Checks {
		fmt.Printf("    %-14s ready %v est %.5f lower %.5f (limit %.5f) upper %.5f (margin %.5f) needed %d\n", c.Name, c.Ready, c.Estimate, c.Lower, c.Limit, c.Upper, c.Margin, c.Needed)
	}
}

// mix64 is the splitmix64 finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// run simulates one rollout.
func run(t traffic, seed uint64) outcome {
	rng := rand.New(rand.NewPCG(seed, 0x0123456789))
	none := router.PredictorFunc[struct{}, struct{}](func(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil })
	r, err := router.New(router.Config[struct{}, struct{}]{
		Variants: map[string]router.Predictor[struct{}, struct{}]{"v1": none, "v2": none},
		Plan:     strategy.BigBang("v1"),
	})
	if err != nil {
		panic(err)
	}
	defer func() { _ = r.Close(context.Background()) }()
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))}
	start := clk.now
	ro, err := rollout.NewRollout(rollout.RolloutConfig{
		Target: r, Baseline: "v1", Candidate: "v2", Now: clk.Now,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Guardrails: rollout.Guardrails{MaxErrorRate: t.ceiling},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := ro.Step(ctx); err != nil {
		panic(err)
	}

	pop := popSize
	var cum []float64 // Pareto activity: cumulative weights
	if t.pareto {
		pop = paretoPopSize
		cum = make([]float64, pop)
		var s float64
		for i := range cum {
			s += math.Pow(1-rng.Float64(), -1/1.1)
			cum[i] = s
		}
	}
	unitSeed := rng.Uint64() // unit keys are drawn from the run's seed
	lostSalt := rng.Uint64()
	lostBelow := uint64(t.lostUnits * math.MaxUint64)
	armOf := make([]int8, pop) // assignment under revision revOf
	revOf := make([]uint16, pop)
	var rev uint16 = 1
	var decisions [2]router.Decision
	lastPlan := ""

	phase := rng.Float64() * 2 * math.Pi
	var burstLeft [2]int
	var requests int64
	out := outcome{}
	for minute := 0; minute < int(horizon/time.Minute); minute++ {
		if p := r.Plan(); router.Revision(p) != lastPlan {
			lastPlan = router.Revision(p)
			rev++
			decisions = [2]router.Decision{}
			out.maxPercent = max(out.maxPercent, p.Default.Weight("v2"))
		}
		cycle := 1.0
		if t.drift {
			cycle = 1 + 0.5*math.Sin(phase+2*math.Pi*float64(minute)/(24*60))
		}
		var errRate [2]float64
		for a, e := range [2]float64{t.baseErr, t.candErr} {
			errRate[a] = e * cycle
			if t.bursts {
				if burstLeft[a] > 0 {
					burstLeft[a]--
					errRate[a] = 0.10
				} else if rng.Float64() < 1.0/60 {
					burstLeft[a] = 4 + int(rng.ExpFloat64()*1) // about 5 minutes
					errRate[a] = 0.10
				}
			}
		}
		nreq := poisson(rng, t.perMinute*cycle)
		for range nreq {
			var u int
			if cum != nil {
				x := rng.Float64() * cum[len(cum)-1]
				u, _ = slices.BinarySearch(cum, x)
				u = min(u, pop-1)
			} else {
				u = rng.IntN(pop)
			}
			h := mix64(unitSeed ^ (uint64(u)+1)*0x9e3779b97f4a7c15)
			if revOf[u] != rev {
				d := r.Decide(router.Unit{Key: strconv.FormatUint(h, 36)})
				a := int8(0)
				if d.Variant == "v2" {
					a = 1
				}
				decisions[a] = d
				armOf[u], revOf[u] = a, rev
			}
			a := armOf[u]
			requests++
			if a == 1 && lostBelow > 0 && mix64(h^lostSalt) < lostBelow {
				continue // this unit's telemetry is lost
			}
			o := router.Outcome{Decision: decisions[a], UnitHash: h}
			o.Served = o.Decision.Variant
			if rng.Float64() < errRate[a] {
				o.Failure = errModel
				o.Served = "v1" // the candidate's fallback; the baseline's error is served as an error
				if a == 0 {
					o.Served, o.Err = "", errModel
				}
			}
			lat := 0.020 * math.Exp(0.5*rng.NormFloat64())
			if a == 1 && t.candSlower > 0 {
				lat *= t.candSlower
			}
			if t.heavyTails && rng.Float64() < 0.05 {
				lat *= math.Pow(1-rng.Float64(), -1/1.2)
			}
			o.Latency = time.Duration(lat * float64(time.Second))
			ro.Observe(ctx, o)
		}
		clk.now = clk.now.Add(time.Minute)
		before := ro.Status().Step
		if err := ro.Step(ctx); err != nil {
			panic(err)
		}
		if tracing && (minute%60 == 59 || ro.Status().Step != before || ro.Status().State != rollout.StateRunning) {
			traceFigures(clk.now.Sub(start), ro.Status())
		}
		if st := ro.Status(); st.State.Final() || st.State == rollout.StatePaused {
			out.state, out.elapsed, out.requests, out.reason = st.State, clk.now.Sub(start), requests, st.Reason
			if verbose {
				f := st.Figures
				out.reason += fmt.Sprintf(" [units %v, SRM p %.3g]", f.Units, f.SRMP)
			}
			if st.State == rollout.StatePromoted {
				out.maxPercent = 100
			}
			return out
		}
	}
	st := ro.Status()
	out.state, out.elapsed, out.requests, out.reason = st.State, clk.now.Sub(start), requests, st.Figures.Holding
	return out
}

// poisson draws a Poisson count of mean m (normal approximation above 50).
func poisson(rng *rand.Rand, m float64) int {
	if m > 50 {
		return max(0, int(math.Round(m+math.Sqrt(m)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-m), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
