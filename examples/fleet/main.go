// Fleet: one controller rolls candidates out over a fleet of replicas and
// decides from Prometheus.
//
// The program starts N replicas of a service (goroutines, each an HTTP
// server on its own 127.0.0.1 port). Each replica routes /predict requests
// between model versions with a varroute router that follows one shared plan
// file (planfile.Watcher), and exports the router's aggregates on /metrics
// (contrib/prometheus). It starts a real Prometheus on 127.0.0.1 with a
// generated configuration — every replica scraped every 500 ms, native
// histograms on, storage in a temporary directory — and sends the replicas
// HTTP traffic: users drawn at random, 10% of requests without a user.
//
// One rollout.Rollout then drives the fleet: it publishes each step's plan
// through a planfile.Target (the layout of a Kubernetes ConfigMap volume,
// swapped atomically) and judges each step on a varprom.Window, which sums
// the step's plan revision over every replica and waits until each one
// reports that revision. First v2, identical to v1, is promoted; then v3,
// which fails 5% of its requests (v2: 1%) and is 1.5x slower, is rolled
// back. The program prints every step and verdict, checks that every
// replica serves the baseline after the rollback (router.Decide on 1,000
// users), and says how long v3 served and how many requests it got. It stops
// everything it started and exits non-zero if a verdict is wrong.
//
// The controller's clock runs 1200 times faster than the wall clock (see
// speedup): it judges a step on 5-minute buckets of evidence, and needs
// hours of them at a real service's pace; here they pass in seconds. The
// durations in the controller's messages are on its clock; the left column
// is the wall clock.
//
// It needs Prometheus 2.40 or later (native histograms):
//
//	sudo apt-get install -y prometheus      # Debian, Ubuntu
//	go -C examples/fleet run .              # from the repository's root
//	go -C examples/fleet run . -replicas 8 -scrape 1s -prometheus /opt/prometheus/prometheus
//
// The example is its own module (examples/fleet/go.mod), like
// contrib/prometheus, so that the core module does not depend on the
// Prometheus client.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	varprom "github.com/varroute/varroute/contrib/prometheus"
	"github.com/varroute/varroute/planfile"
	"github.com/varroute/varroute/rollout"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
	"github.com/varroute/varroute/varhttp"
)

// model is a simulated model version.
type model struct {
	errRate float64       // probability that a call fails
	median  time.Duration // median latency (lognormal, sigma 0.25)
}

var models = map[string]model{
	"v1": {errRate: 0.01, median: 10 * time.Millisecond},
	"v2": {errRate: 0.01, median: 10 * time.Millisecond}, // a healthy build
	"v3": {errRate: 0.05, median: 15 * time.Millisecond}, // a bad one
}

var errModel = errors.New("model error")

func (m model) Predict(ctx context.Context, _ struct{}) (float64, error) {
	t := time.NewTimer(time.Duration(float64(m.median) * math.Exp(0.25*rand.NormFloat64())))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	if rand.Float64() < m.errRate {
		return 0, errModel
	}
	return 1, nil
}

// config is the program's flags.
type config struct {
	replicas   int
	scrape     time.Duration
	rate       int
	prometheus string
}

func main() {
	var cfg config
	flag.IntVar(&cfg.replicas, "replicas", 5, "number of replicas")
	flag.DurationVar(&cfg.scrape, "scrape", 500*time.Millisecond, "Prometheus scrape interval (at most 1s keeps the run short)")
	flag.IntVar(&cfg.rate, "rate", 1000, "requests per second sent to the fleet")
	flag.StringVar(&cfg.prometheus, "prometheus", "", "path of the prometheus binary (default: prometheus in $PATH, then /usr/bin/prometheus)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("fleet: ")
	if cfg.replicas < 1 || cfg.scrape <= 0 || cfg.rate < 1 {
		log.Fatal("-replicas, -scrape and -rate must be positive")
	}
	bin, err := findPrometheus(cfg.prometheus)
	if err != nil {
		log.Printf("%v", err)
		log.Print("install Prometheus 2.40 or later: sudo apt-get install -y prometheus (Debian, Ubuntu),")
		log.Fatal("or download it from https://prometheus.io/download/ and pass -prometheus /path/to/prometheus")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, bin); err != nil {
		stop()
		log.Fatal(err)
	}
}

func findPrometheus(flagPath string) (string, error) {
	if flagPath != "" {
		if _, err := os.Stat(flagPath); err != nil {
			return "", fmt.Errorf("prometheus: %w", err)
		}
		return flagPath, nil
	}
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/prometheus"); err == nil {
		return "/usr/bin/prometheus", nil
	}
	return "", errors.New("no prometheus binary in $PATH or at /usr/bin/prometheus")
}

func run(ctx context.Context, cfg config, bin string) (err error) {
	dir, err := os.MkdirTemp("", "varroute-fleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Printf("%6.1fs  %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}

	// The plan file every replica follows, written by the one controller.
	target, err := planfile.NewTarget(filepath.Join(dir, "plans"), planfile.TargetOptions{})
	if err != nil {
		return err
	}
	if err := target.SetPlan(strategy.BigBang("v1")); err != nil {
		return err
	}

	// The replicas.
	var fleet []*replica
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, r := range fleet {
			err = errors.Join(err, r.close(sctx))
		}
	}()
	for range cfg.replicas {
		r, err := startReplica(target.Path())
		if err != nil {
			return err
		}
		fleet = append(fleet, r)
	}
	var addrs []string
	for _, r := range fleet {
		addrs = append(addrs, r.addr)
	}
	say("%d replicas on %s, following %s", len(fleet), strings.Join(addrs, " "), target.Path())

	// Prometheus, scraping them.
	prom, err := startPrometheus(ctx, bin, filepath.Join(dir, "prometheus"), addrs, cfg.scrape)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, prom.stop()) }()
	say("Prometheus on http://%s scrapes every replica every %v", prom.addr, cfg.scrape)
	window, err := varprom.NewWindow(varprom.WindowOptions{
		API:            prom.api,
		Targets:        `up{job="fleet"}`,
		Replicas:       len(fleet),
		ScrapeInterval: cfg.scrape,
	})
	if err != nil {
		return err
	}

	// Traffic.
	lctx, stopLoad := context.WithCancel(ctx)
	l := startLoad(lctx, addrs, cfg.rate)
	defer func() { stopLoad(); l.wait() }()
	say("sending %d requests per second, 10%% of them without a user", cfg.rate)

	verdicts := []struct {
		baseline, candidate string
		want                rollout.State
	}{
		{"v1", "v2", rollout.StatePromoted},
		{"v2", "v3", rollout.StateRolledBack},
	}
	for _, v := range verdicts {
		fmt.Println()
		say("== rollout of %s against %s (%s)", v.candidate, v.baseline, describe(v.baseline, v.candidate))
		l.reset()
		st, decided, err := runRollout(ctx, target, window, v.baseline, v.candidate, say)
		if err != nil {
			return err
		}
		final, err := planfile.Load(target.Path())
		if err != nil {
			return err
		}
		settled, err := waitRevision(ctx, fleet, router.Revision(final))
		if err != nil {
			return err
		}
		serving := v.baseline
		if st.State == rollout.StatePromoted {
			serving = v.candidate
		}
		if err := checkServing(fleet, serving); err != nil {
			return err
		}
		say("-> %s; every replica serves %s (checked with Decide on 1,000 users each)", st.State, serving)
		f := st.Figures
		say("   last step (%g%%): %s %d requests, %.2f%% errors, p50 %v; %s %d requests, %.2f%% errors, p50 %v; latency ratio %.2f",
			f.Percent, v.baseline, f.Baseline.Requests, 100*f.Baseline.ErrorRate, f.Baseline.P50.Round(100*time.Microsecond),
			v.candidate, f.Candidate.Requests, 100*f.Candidate.ErrorRate, f.Candidate.P50.Round(100*time.Microsecond), f.LatencyRatio)
		if st.State == rollout.StateRolledBack {
			n, first := l.served(v.candidate)
			say("   %s served %d requests: %v from its first request to the rollback, %v to every replica back on %s (scrape interval %v)",
				v.candidate, n, decided.Sub(first).Round(time.Millisecond), settled.Sub(first).Round(time.Millisecond), v.baseline, cfg.scrape)
		}
		if st.State != v.want {
			return fmt.Errorf("rollout of %s: %v, want %v", v.candidate, st.State, v.want)
		}
	}
	fmt.Println()
	say("done: %s promoted, %s rolled back; stopping the load, Prometheus and the replicas", verdicts[0].candidate, verdicts[1].candidate)
	return nil
}

func describe(baseline, candidate string) string {
	b, c := models[baseline], models[candidate]
	if b == c {
		return "identical"
	}
	return fmt.Sprintf("%.0f%% errors against %.0f%%, %.1fx slower", 100*c.errRate, 100*b.errRate, float64(c.median)/float64(b.median))
}

// speedup is how many times faster than the wall clock the controller's
// clock runs. A Rollout buckets a step's evidence by 5 minutes of its clock
// and judges a step once it has 10 buckets: the hours a real rollout takes.
// At 1200x a bucket lasts 250 ms, so they take seconds here; the replicas
// and Prometheus keep the wall clock, and the Window gets wall-clock times.
const speedup = 1200

// fastClock runs speedup times faster than the wall clock from start.
type fastClock struct{ start time.Time }

func (c fastClock) Now() time.Time {
	return c.start.Add(time.Since(c.start) * speedup)
}

// wall returns the wall-clock time of the controller's time t.
func (c fastClock) wall(t time.Time) time.Time { return c.start.Add(t.Sub(c.start) / speedup) }

// runRollout rolls candidate out over the fleet and returns its final status
// and when (wall clock) it made its last transition.
func runRollout(ctx context.Context, target *planfile.Target, window rollout.Window, baseline, candidate string, say func(string, ...any)) (rollout.Status, time.Time, error) {
	clock := fastClock{start: time.Now()}
	plan := strategy.Canary(baseline, candidate, 0)
	plan.Fallbacks = nil // a failed request fails: the two versions compare alike
	ro, err := rollout.NewRollout(rollout.RolloutConfig{
		Target: target,
		Window: rollout.WindowFunc(func(ctx context.Context, q rollout.Query) (rollout.Evidence, error) {
			q.Since = clock.wall(q.Since)
			return window.Read(ctx, q)
		}),
		Baseline:    baseline,
		Candidate:   candidate,
		Plan:        plan,
		Steps:       []float64{20, 50, 100},
		MinDuration: 3 * time.Second * speedup,
		MinSamples:  1000,
		Alpha:       0.01,
		// Non-inferiority margins that seconds of traffic can show: errors
		// up to twice the baseline's, a fifth of the units lost (the
		// defaults need hours of this traffic).
		Guardrails: rollout.Guardrails{ErrorMargin: 1, MaxUnitLoss: 0.2},
		MaxWait:    time.Minute * speedup,
		Now:        clock.Now,
		Logger:     slog.New(slog.DiscardHandler),
		OnEvent: func(e rollout.Event) {
			say("%-11s %3g%%  %s", e.Kind, e.Percent, e.Reason)
		},
	})
	if err != nil {
		return rollout.Status{}, time.Time{}, err
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := ro.Step(ctx); err != nil {
			say("step: %v", err) // the target refused a plan: the next Step retries
		}
		st := ro.Status()
		if st.State.Final() || st.State == rollout.StatePaused {
			return st, clock.wall(st.Changed), nil
		}
		select {
		case <-ctx.Done():
			return st, time.Time{}, ctx.Err()
		case <-tick.C:
		}
	}
}

// replica is one replica of the service.
type replica struct {
	r       *router.Router[struct{}, float64]
	watcher *planfile.Watcher
	srv     *http.Server
	addr    string
	served  chan struct{}

	mu      sync.Mutex
	rev     string
	applied time.Time
	changed chan struct{} // closed and replaced at every plan applied
}

func startReplica(planPath string) (*replica, error) {
	plan, err := planfile.Load(planPath)
	if err != nil {
		return nil, err
	}
	variants := map[string]router.Predictor[struct{}, float64]{}
	for name, m := range models {
		variants[name] = m
	}
	r, err := router.New(router.Config[struct{}, float64]{Variants: variants, Plan: plan})
	if err != nil {
		return nil, err
	}
	rep := &replica{r: r, rev: router.Revision(plan), changed: make(chan struct{}), served: make(chan struct{})}
	rep.watcher, err = planfile.NewWatcher(planPath, r, planfile.Options{
		Interval: 100 * time.Millisecond,
		Logger:   slog.New(slog.DiscardHandler),
		OnChange: func(c planfile.Change) {
			rep.mu.Lock()
			defer rep.mu.Unlock()
			rep.rev, rep.applied = router.Revision(c.New), time.Now()
			close(rep.changed)
			rep.changed = make(chan struct{})
		},
	})
	if err != nil {
		return nil, errors.Join(err, r.Close(context.Background()))
	}
	units, err := varhttp.NewUnitExtractor(varhttp.UnitConfig{KeyQuery: "user"})
	if err != nil {
		return nil, errors.Join(err, r.Close(context.Background()))
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(varprom.NewCollector(varprom.Options{}, r))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /predict", func(w http.ResponseWriter, req *http.Request) {
		out, o, err := r.Serve(req.Context(), units.Unit(req), struct{}{})
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"score": out, "variant": o.Decision.Variant, "served": o.Served})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(err, r.Close(context.Background()))
	}
	rep.addr = ln.Addr().String()
	rep.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(rep.served)
		_ = rep.srv.Serve(ln)
	}()
	rep.watcher.Start()
	return rep, nil
}

// close stops the replica: its server, its watcher, its router.
func (rep *replica) close(ctx context.Context) error {
	err := rep.srv.Shutdown(ctx)
	<-rep.served
	return errors.Join(err, rep.watcher.Close(ctx), rep.r.Close(ctx))
}

// waitRevision waits until every replica has applied revision rev and
// returns when the last one did.
func waitRevision(ctx context.Context, fleet []*replica, rev string) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var last time.Time
	for i, rep := range fleet {
		for {
			rep.mu.Lock()
			cur, at, ch := rep.rev, rep.applied, rep.changed
			rep.mu.Unlock()
			if cur == rev {
				if at.After(last) {
					last = at
				}
				break
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return last, fmt.Errorf("replica %d still serves revision %s, not %s: %w", i, cur, rev, ctx.Err())
			}
		}
	}
	return last, nil
}

// checkServing checks, with each replica's Decide, that 1,000 users all get
// variant.
func checkServing(fleet []*replica, variant string) error {
	for i := range 1000 {
		u := router.Unit{Key: "check-" + strconv.Itoa(i)}
		for j, rep := range fleet {
			if d := rep.r.Decide(u); d.Variant != variant {
				return fmt.Errorf("replica %d gives user %s %s, want %s", j, u.Key, d.Variant, variant)
			}
		}
	}
	return nil
}

// load sends HTTP requests to the replicas and counts, per variant, the
// responses and the time of the first.
type load struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	count map[string]int64
	first map[string]time.Time
}

func startLoad(ctx context.Context, addrs []string, rate int) *load {
	const workers = 64
	l := &load{}
	l.reset()
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxIdleConns: workers * len(addrs)},
	}
	seed := uint64(time.Now().UnixNano())
	for w := range workers {
		l.wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			tick := time.NewTicker(time.Second * workers / time.Duration(rate))
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				url := "http://" + addrs[rng.IntN(len(addrs))] + "/predict"
				if rng.Float64() >= 0.1 {
					url += "?user=u" + strconv.FormatUint(rng.Uint64()>>24, 36)
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if err != nil {
					continue
				}
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				var body struct{ Variant string }
				err = json.NewDecoder(resp.Body).Decode(&body)
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil {
					l.add(body.Variant)
				}
			}
		})
	}
	return l
}

func (l *load) add(variant string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count[variant] == 0 {
		l.first[variant] = time.Now()
	}
	l.count[variant]++
}

// reset forgets the counts.
func (l *load) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count, l.first = map[string]int64{}, map[string]time.Time{}
}

// served returns the responses of variant since the last reset, and when
// the first came.
func (l *load) served(variant string) (int64, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count[variant], l.first[variant]
}

func (l *load) wait() { l.wg.Wait() }

// promServer is the Prometheus server the program runs.
type promServer struct {
	cmd    *exec.Cmd
	exited chan struct{}
	addr   string
	api    v1.API
	log    string // its log file
}

// startPrometheus starts Prometheus scraping targets as job "fleet", with its
// configuration and storage in dir, and waits (at most 60 s) until it has
// scraped every target.
func startPrometheus(ctx context.Context, bin, dir string, targets []string, scrape time.Duration) (*promServer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	quoted := make([]string, len(targets))
	for i, t := range targets {
		quoted[i] = strconv.Quote(t)
	}
	config := fmt.Sprintf("global:\n  scrape_interval: %s\n  scrape_timeout: %s\nscrape_configs:\n  - job_name: fleet\n    static_configs:\n      - targets: [%s]\n",
		scrape, scrape*4/5, strings.Join(quoted, ", "))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	p := &promServer{addr: addr, exited: make(chan struct{}), log: logFile.Name()}
	p.cmd = exec.Command(bin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--enable-feature=native-histograms",
		"--log.level=warn",
	)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	dieWithParent(p.cmd)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	client, err := api.NewClient(api.Config{Address: "http://" + addr})
	if err != nil {
		return nil, errors.Join(err, p.stop())
	}
	p.api = v1.NewAPI(client)
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	started := time.Now()
	for {
		ts, err := p.api.Targets(wctx)
		if err == nil && len(ts.Active) == len(targets) && !slices.ContainsFunc(ts.Active, func(a v1.ActiveTarget) bool {
			return a.Health != v1.HealthGood || a.LastScrape.Before(started)
		}) {
			return p, nil
		}
		select {
		case <-p.exited:
			out, _ := os.ReadFile(p.log)
			return nil, fmt.Errorf("prometheus exited: %s", out)
		case <-wctx.Done():
			return nil, errors.Join(fmt.Errorf("prometheus has not scraped every replica after 60s: %w", wctx.Err()), p.stop())
		case <-tick.C:
		}
	}
}

// stop stops Prometheus (SIGTERM, then SIGKILL after 10 s) and waits for it.
func (p *promServer) stop() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	return nil
}
