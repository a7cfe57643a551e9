package varprom_test

// The harness of the integration tests: a real Prometheus server started on
// 127.0.0.1 with a generated configuration and temporary storage, and a
// fleet of replicas — routers following one plan file, each exporting
// /metrics on a listener of its own — driven by in-process load.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	varprom "github.com/varroute/varroute/contrib/prometheus"
	"github.com/varroute/varroute/planfile"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// prometheusBinary returns the path of the prometheus binary
// ($VARROUTE_PROMETHEUS, then $PATH, then /usr/bin/prometheus). Without one
// the test is skipped, or fails when CI=true: CI installs Debian's package.
func prometheusBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("VARROUTE_PROMETHEUS"); p != "" {
		return p
	}
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/prometheus"); err == nil {
		return "/usr/bin/prometheus"
	}
	const msg = "no prometheus binary: apt-get install -y prometheus (Debian, >= 2.40), or set VARROUTE_PROMETHEUS"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// promServer is a Prometheus server run by a test.
type promServer struct {
	t      testing.TB
	bin    string
	dir    string // configuration and storage
	addr   string // 127.0.0.1:port
	scrape time.Duration
	api    v1.API
	// targets is the number of targets: start waits until each is scraped.
	targets int

	cmd    *exec.Cmd
	exited chan struct{}
	log    *lockedBuffer
}

// startPrometheus starts Prometheus scraping targets (host:port) as job
// "varroute" every scrape interval, and stops it when the test ends.
func startPrometheus(t testing.TB, targets []string, scrape time.Duration) *promServer {
	t.Helper()
	bin := prometheusBinary(t)
	dir := t.TempDir()
	quoted := make([]string, len(targets))
	for i, tg := range targets {
		quoted[i] = strconv.Quote(tg)
	}
	config := fmt.Sprintf(`global:
  scrape_interval: %[1]s
  scrape_timeout: %[2]s
  evaluation_interval: %[1]s
scrape_configs:
  - job_name: varroute
    static_configs:
      - targets: [%[3]s]
`, scrape, scrape*4/5, strings.Join(quoted, ", "))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &promServer{t: t, bin: bin, dir: dir, addr: freeAddr(t), scrape: scrape, targets: len(targets), log: &lockedBuffer{}}
	client, err := api.NewClient(api.Config{Address: "http://" + p.addr})
	if err != nil {
		t.Fatal(err)
	}
	p.api = v1.NewAPI(client)
	p.start()
	t.Cleanup(p.stop)
	return p
}

// freeAddr returns a 127.0.0.1 address with a port free at the time.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// start starts the server (again, on the same address and storage) and
// waits until it has scraped every target, at most 30 seconds.
func (p *promServer) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin,
		"--config.file="+filepath.Join(p.dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(p.dir, "data"),
		"--web.listen-address="+p.addr,
		"--enable-feature=native-histograms",
		"--storage.tsdb.retention.time=1h",
		"--log.level=warn",
	)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	dieWithParent(p.cmd)
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start prometheus: %v", err)
	}
	p.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(p.cmd, p.exited)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	started := time.Now()
	for {
		// Ready once every target has been scraped (Prometheus discovers
		// targets a few seconds after it starts).
		if ts, err := p.api.Targets(ctx); err == nil && len(ts.Active) == p.targets && p.targets > 0 &&
			!slices.ContainsFunc(ts.Active, func(a v1.ActiveTarget) bool {
				return a.Health != v1.HealthGood || a.LastScrape.Before(started)
			}) {
			return
		}
		select {
		case <-p.exited:
			p.t.Fatalf("prometheus exited: %s", p.log.String())
		case <-ctx.Done():
			p.stop()
			p.t.Fatalf("prometheus not ready after 30s: %s", p.log.String())
		case <-tick.C:
		}
	}
}

// stop stops the server (SIGTERM, then SIGKILL after 10 seconds) and waits
// for it to exit. Stopping a stopped server does nothing.
func (p *promServer) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// sim is a simulated model version.
type sim struct {
	errRate float64       // probability that a call fails
	median  time.Duration // median latency, lognormal with sigma 0.25; 0: no wait
}

// input is a request: the draws deciding the model's failure and latency.
type input struct{ fail, lat float64 }

var errModel = errors.New("model error")

// predictor returns the predictor of variant, which behaves as the fleet's
// current model of that name.
func (f *fleet) predictor(variant string) router.Predictor[input, int] {
	return router.PredictorFunc[input, int](func(ctx context.Context, in input) (int, error) {
		m := (*f.models.Load())[variant]
		if m.median > 0 {
			// The model's compute time, simulated on the wall clock the
			// router measures (Prometheus is real, so time is too).
			t := time.NewTimer(time.Duration(float64(m.median) * math.Exp(0.25*in.lat)))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return 0, ctx.Err()
			}
		}
		if in.fail < m.errRate {
			return 0, errModel
		}
		return 1, nil
	})
}

// replica is one replica of the service: a router following the plan file
// and exporting its aggregates on /metrics.
type replica struct {
	r       *router.Router[input, int]
	watcher *planfile.Watcher
	srv     *http.Server
	addr    string

	mu      sync.Mutex
	rev     string        // the revision applied last
	applied time.Time     // when
	changed chan struct{} // closed and replaced at every change
}

// fleet is n replicas and the plan file they follow.
type fleet struct {
	t        testing.TB
	target   *planfile.Target
	replicas []*replica
	models   atomic.Pointer[map[string]sim] // what each variant does now
}

// newFleet starts n replicas serving models, following one plan file that
// starts as BigBang(baseline). Everything stops when the test ends.
func newFleet(t testing.TB, n int, models map[string]sim, baseline string) *fleet {
	t.Helper()
	target, err := planfile.NewTarget(t.TempDir(), planfile.TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := target.SetPlan(strategy.BigBang(baseline)); err != nil {
		t.Fatal(err)
	}
	f := &fleet{t: t, target: target}
	f.setModels(models)
	for range n {
		f.replicas = append(f.replicas, f.startReplica(slices.Sorted(maps.Keys(models))))
	}
	return f
}

// setModels changes what the variants do, on every replica at once.
func (f *fleet) setModels(models map[string]sim) { f.models.Store(&models) }

func (f *fleet) startReplica(names []string) *replica {
	t := f.t
	t.Helper()
	variants := map[string]router.Predictor[input, int]{}
	for _, name := range names {
		variants[name] = f.predictor(name)
	}
	plan, err := planfile.Load(f.target.Path())
	if err != nil {
		t.Fatal(err)
	}
	r, err := router.New(router.Config[input, int]{Variants: variants, Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	rep := &replica{r: r, rev: router.Revision(plan), changed: make(chan struct{})}
	rep.watcher, err = planfile.NewWatcher(f.target.Path(), r, planfile.Options{
		Interval: 100 * time.Millisecond,
		Logger:   slog.New(slog.DiscardHandler),
		OnChange: func(c planfile.Change) {
			rep.mu.Lock()
			rep.rev, rep.applied = router.Revision(c.New), time.Now()
			close(rep.changed)
			rep.changed = make(chan struct{})
			rep.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	rep.watcher.Start()
	reg := prometheus.NewRegistry()
	reg.MustRegister(varprom.NewCollector(varprom.Options{}, r))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rep.addr = ln.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	rep.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = rep.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rep.srv.Shutdown(ctx)
		<-served
		if err := rep.watcher.Close(ctx); err != nil {
			t.Error(err)
		}
		if err := r.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return rep
}

func (f *fleet) addrs() []string {
	var out []string
	for _, r := range f.replicas {
		out = append(out, r.addr)
	}
	return out
}

// waitRevision waits until every replica has applied revision rev, and
// returns when the last one did.
func (f *fleet) waitRevision(ctx context.Context, rev string) (time.Time, error) {
	var last time.Time
	for i, rep := range f.replicas {
		for {
			rep.mu.Lock()
			cur, at, ch := rep.rev, rep.applied, rep.changed
			rep.mu.Unlock()
			if cur == rev {
				last = maxTime(last, at)
				break
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return last, fmt.Errorf("replica %d serves revision %s, not %s: %w", i, cur, rev, ctx.Err())
			}
		}
	}
	return last, nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// load drives requests at the fleet until it is stopped: rate requests per
// second in all, spread over the replicas, a share noKey of them without a
// unit key; unit keys are drawn from the seed.
type load struct {
	stop func()
	done chan struct{}

	mu    sync.Mutex
	stats map[loadKey]*loadStats
}

type loadKey struct {
	revision, variant string
	noKey             bool
}

// loadStats is what the routers measured themselves (Serve's Outcome): the truth the figures read from Prometheus are
// compared with.
type loadStats struct {
	requests, errors int64
	sumLog           float64 // of ln(latency in seconds)
	first            time.Time
}

func (f *fleet) startLoad(seed uint64, rate int, noKey float64) *load {
	const workers = 64
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{stop: cancel, done: make(chan struct{}), stats: map[loadKey]*loadStats{}}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			tick := time.NewTicker(time.Second * workers / time.Duration(rate))
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				rep := f.replicas[(w+i)%len(f.replicas)]
				u := router.Unit{}
				if rng.Float64() >= noKey {
					u.Key = strconv.FormatUint(seed, 36) + "-" + strconv.FormatUint(rng.Uint64()>>20, 36)
				}
				_, o, _ := rep.r.Serve(ctx, u, input{fail: rng.Float64(), lat: rng.NormFloat64()})
				if ctx.Err() == nil {
					l.record(o)
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(l.done)
	}()
	f.t.Cleanup(l.halt)
	return l
}

func (l *load) record(o router.Outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := loadKey{o.Decision.Revision, o.Decision.Variant, o.Decision.Reason == router.ReasonNoKey}
	s := l.stats[k]
	if s == nil {
		s = &loadStats{first: time.Now()}
		l.stats[k] = s
	}
	s.requests++
	if o.Failure != nil {
		s.errors++
	}
	s.sumLog += math.Log(max(o.Latency.Seconds(), 1e-9))
}

// halt stops the load and waits for its requests to end.
func (l *load) halt() {
	l.stop()
	<-l.done
}

// truth returns what the routers measured for a variant under revision rev.
func (l *load) truth(rev, variant string) loadStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.stats[loadKey{rev, variant, false}]; s != nil {
		return *s
	}
	return loadStats{}
}

// variantRequests returns the requests assigned to variant (with a key or
// not) in every revision, and the time of the first.
func (l *load) variantRequests(variant string) (n int64, first time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, s := range l.stats {
		if k.variant != variant {
			continue
		}
		n += s.requests
		if first.IsZero() || s.first.Before(first) {
			first = s.first
		}
	}
	return n, first
}
