// Httpservice: a net/http service with two versions of a churn model behind
// a varroute router.
//
// The plan comes from plan.yaml (a sticky 10% canary of v2, California on v1)
// and is watched: a valid edit is applied within a second, a bad one is
// refused with a logged error naming the field, and the old plan keeps
// serving. Requests carry their unit in headers — the user in X-User-ID (or
// the uid cookie), the location in X-Location — which a varhttp.UnitExtractor
// turns into a router.Unit. The router's OpenTelemetry metrics are exported
// to stdout.
//
//	go run ./examples/httpservice                  # serve on 127.0.0.1:8080 until Ctrl-C
//	curl -H 'X-User-ID: alice' -H 'X-Location: NY' '127.0.0.1:8080/predict?tenure=14&spend=80'
//	curl '127.0.0.1:8080/state?pretty'
//
//	go run ./examples/httpservice -demo            # serve on a random port, send itself
//	                                               # traffic, edit the plan, print a summary
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/varroute/varroute/planfile"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
	"github.com/varroute/varroute/varhttp"
)

// Customer is the model input.
type Customer struct {
	Tenure float64 `json:"tenure"` // months
	Spend  float64 `json:"spend"`  // dollars a month
}

// Score is the model output.
type Score struct {
	Churn float64 `json:"churn"` // probability
}

// Logistic is a tiny logistic regression: one version of the model.
type Logistic struct {
	Intercept, Tenure, Spend float64
}

// Predict returns the probability that c churns.
func (m Logistic) Predict(_ context.Context, c Customer) (Score, error) {
	if c.Tenure < 0 || c.Spend < 0 {
		return Score{}, errors.New("negative feature")
	}
	z := m.Intercept + m.Tenure*c.Tenure/12 + m.Spend*c.Spend/100
	return Score{Churn: 1 / (1 + math.Exp(-z))}, nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to serve on")
	planPath := flag.String("plan", "", "plan file (default: plan.yaml here or beside this example's source)")
	interval := flag.Duration("interval", time.Second, "how often the plan file is checked")
	demo := flag.Bool("demo", false, "serve on a random loopback port, send requests to itself, print a summary and exit")
	n := flag.Int("n", 2000, "requests per phase in -demo")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, *planPath, *interval, *demo, *n, log); err != nil {
		log.Error("httpservice", slog.Any("error", err))
		os.Exit(1)
	}
}

// findPlan returns the plan file to use: the -plan flag, or plan.yaml in the
// working directory, in examples/httpservice below it, or beside this source
// file (so that "go run ./examples/httpservice" works from the repository).
func findPlan(flagged string) (string, error) {
	if flagged != "" {
		return flagged, nil
	}
	candidates := []string{"plan.yaml", filepath.Join("examples", "httpservice", "plan.yaml")}
	if _, file, _, ok := runtime.Caller(0); ok {
		candidates = append(candidates, filepath.Join(filepath.Dir(file), "plan.yaml"))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("httpservice: no plan file among %v; pass -plan", candidates)
}

// service is the running service: its router, watcher, metrics and server.
type service struct {
	router   *router.Router[Customer, Score]
	watcher  *planfile.Watcher
	meters   *sdkmetric.MeterProvider
	server   *http.Server
	requests metric.Int64Counter
	byVar    sync.Map // served variant -> *atomic.Int64 count, for /state
}

func run(addr, planPath string, interval time.Duration, demo bool, n int, log *slog.Logger) error {
	// Catch the signals before serving, so none is lost.
	sigCtx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	path, err := findPlan(planPath)
	if err != nil {
		return err
	}
	if demo {
		// The demo edits its plan: it works on a copy, never on plan.yaml.
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "httpservice")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "plan.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		addr = "127.0.0.1:0"
		interval = 100 * time.Millisecond
	}

	s, err := newService(path, interval, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return errors.Join(err, s.close(context.Background()))
	}
	log.Info("httpservice: serving", slog.String("addr", ln.Addr().String()), slog.String("plan_file", path))
	served := make(chan error, 1)
	go func() { served <- s.server.Serve(ln) }()

	var runErr error
	if demo {
		runErr = runDemo(s, "http://"+ln.Addr().String(), path, n)
	} else {
		select {
		case <-sigCtx.Done():
			log.Info("httpservice: shutting down")
		case runErr = <-served:
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.server.Shutdown(ctx); err != nil {
		runErr = errors.Join(runErr, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		runErr = errors.Join(runErr, err)
	}
	if demo {
		fmt.Println("\n== metrics (stdoutmetric, flushed once at shutdown)")
	}
	return errors.Join(runErr, s.close(ctx))
}

func newService(path string, interval time.Duration, log *slog.Logger) (*service, error) {
	plan, err := planfile.Load(path)
	if err != nil {
		return nil, err
	}
	exp, err := stdoutmetric.New(stdoutmetric.WithWriter(os.Stdout), stdoutmetric.WithoutTimestamps())
	if err != nil {
		return nil, err
	}
	// Exported every minute, and once more at shutdown.
	meters := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Minute))))
	requests, err := meters.Meter("github.com/varroute/varroute/examples/httpservice").Int64Counter(
		"httpservice.predictions", metric.WithDescription("Predictions served, by the variant that served."))
	if err != nil {
		return nil, err
	}

	r, err := router.New(router.Config[Customer, Score]{
		Variants: map[string]router.Predictor[Customer, Score]{
			"v1": Logistic{Intercept: 0.2, Tenure: -0.9, Spend: 0.4},
			"v2": Logistic{Intercept: 0.1, Tenure: -1.1, Spend: 0.6},
		},
		Plan:          plan,
		MeterProvider: meters,
	})
	if err != nil {
		return nil, errors.Join(err, meters.Shutdown(context.Background()))
	}
	w, err := planfile.NewWatcher(path, r, planfile.Options{Interval: interval, Logger: log})
	if err != nil {
		return nil, errors.Join(err, r.Close(context.Background()), meters.Shutdown(context.Background()))
	}
	units, err := varhttp.NewUnitExtractor(varhttp.UnitConfig{
		KeyHeader: "X-User-ID",
		KeyCookie: "uid",
		Headers:   map[string]string{"location": "X-Location"},
	})
	if err != nil {
		return nil, errors.Join(err, r.Close(context.Background()), meters.Shutdown(context.Background()))
	}

	s := &service{router: r, watcher: w, meters: meters, requests: requests}
	mux := http.NewServeMux()
	mux.Handle("/predict", varhttp.WithUnit(units, http.HandlerFunc(s.predict)))
	mux.Handle("/state", varhttp.NewStateHandler(r, varhttp.StateOptions{
		Extra: map[string]func() any{"served_by_variant": s.servedByVariant},
	}))
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	w.Start()
	return s, nil
}

// close stops the watcher, the router and the metrics, flushing them.
func (s *service) close(ctx context.Context) error {
	return errors.Join(s.watcher.Close(ctx), s.router.Close(ctx), s.meters.Shutdown(ctx))
}

// predict serves GET /predict?tenure=..&spend=.. or POST /predict with a
// JSON Customer.
func (s *service) predict(w http.ResponseWriter, r *http.Request) {
	var c Customer
	switch r.Method {
	case http.MethodGet:
		var err1, err2 error
		c.Tenure, err1 = strconv.ParseFloat(r.URL.Query().Get("tenure"), 64)
		c.Spend, err2 = strconv.ParseFloat(r.URL.Query().Get("spend"), 64)
		if err := errors.Join(err1, err2); err != nil {
			http.Error(w, "tenure and spend must be numbers", http.StatusBadRequest)
			return
		}
	case http.MethodPost:
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&c); err != nil {
			http.Error(w, "body must be a JSON customer", http.StatusBadRequest)
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	u, _ := varhttp.UnitFrom(r.Context())
	out, o, err := s.router.Serve(r.Context(), u, c)
	if err != nil {
		http.Error(w, "prediction failed", http.StatusInternalServerError)
		return
	}
	s.requests.Add(r.Context(), 1, metric.WithAttributes(attribute.String("variant", o.Served)))
	cnt, _ := s.byVar.LoadOrStore(o.Served, new(atomic.Int64))
	cnt.(*atomic.Int64).Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Variant", o.Served)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"churn":    out.Churn,
		"variant":  o.Served,
		"assigned": o.Decision.Variant,
		"plan":     o.Decision.Plan,
		"rule":     o.Decision.Rule,
	})
}

func (s *service) servedByVariant() any {
	m := map[string]int64{}
	s.byVar.Range(func(k, v any) bool {
		m[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return m
}

// runDemo sends traffic to the service at base, edits the plan file at path
// between phases, and prints what happened.
func runDemo(s *service, base, path string, n int) error {
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	phase := func(title string) error {
		counts, err := sendTraffic(client, base, n)
		if err != nil {
			return err
		}
		fmt.Printf("\n== %s: %d requests\n", title, n)
		printCounts(counts)
		return nil
	}
	fmt.Printf("== plan %s (default %s)\n", s.router.Plan().Name, planfile.Summary(s.router.Plan().Default))
	if err := phase("phase 1, canary 10%"); err != nil {
		return err
	}

	// A valid edit: raise the canary to 25%. Check applies it now rather
	// than at the next poll, so the demo does not wait.
	if err := replaceFile(path, func(s string) string {
		return strings.NewReplacer("weight: 90}", "weight: 75}", "weight: 10}", "weight: 25}").Replace(s)
	}); err != nil {
		return err
	}
	if err := s.watcher.Check(); err != nil {
		return fmt.Errorf("httpservice: valid edit refused: %w", err)
	}
	fmt.Printf("\n== plan file edited: default %s applied\n", planfile.Summary(s.router.Plan().Default))
	if err := phase("phase 2, canary 25%"); err != nil {
		return err
	}

	// A bad edit: weights that do not sum to 100. It is refused, and the
	// 25% plan keeps serving.
	if err := replaceFile(path, func(s string) string { return strings.Replace(s, "weight: 75}", "weight: 80}", 1) }); err != nil {
		return err
	}
	err := s.watcher.Check()
	var pe *strategy.Error
	if !errors.As(err, &pe) {
		return fmt.Errorf("httpservice: bad edit not refused: %v", err)
	}
	fmt.Printf("\n== bad plan file refused: line %d:%d: %s: %v\n   still serving default %s\n",
		pe.Line, pe.Column, pe.Path, pe.Err, planfile.Summary(s.router.Plan().Default))

	resp, err := client.Get(base + "/state")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var st varhttp.State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return err
	}
	fmt.Printf("\n== GET /state (abbreviated): %s\n", resp.Status)
	fmt.Printf("plan:     %s, %d rule(s), default %s, fallbacks %v\n", st.Plan.Name, len(st.Plan.Rules), planfile.Summary(st.Plan.Default), st.Plan.Fallbacks)
	fmt.Printf("variants: %v\n", st.Variants)
	fmt.Printf("shadow:   %d pair(s) compared, %d shadow calls\n", len(st.Shadow.Shadows), st.ShadowStats.Submitted)
	fmt.Printf("served:   %v\n", st.Extra["served_by_variant"])
	return nil
}

// sendTraffic sends n predictions from varied users and locations, four at a
// time, and counts the requests by (location, served variant).
func sendTraffic(client *http.Client, base string, n int) (map[[2]string]int, error) {
	locations := []string{"CA", "NY", "TX", "WA", ""}
	type result struct {
		loc, variant string
		err          error
	}
	jobs := make(chan int)
	results := make(chan result)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range jobs {
				loc := locations[i%len(locations)]
				url := fmt.Sprintf("%s/predict?tenure=%d&spend=%d", base, 1+i%48, 20+i%90)
				req, err := http.NewRequest(http.MethodGet, url, nil)
				if err != nil {
					results <- result{err: err}
					continue
				}
				req.Header.Set("X-User-ID", "user-"+strconv.Itoa(i*7919%5000))
				if loc != "" {
					req.Header.Set("X-Location", loc)
				}
				resp, err := client.Do(req)
				if err != nil {
					results <- result{err: err}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					results <- result{err: fmt.Errorf("httpservice: %s: %s", url, resp.Status)}
					continue
				}
				results <- result{loc: loc, variant: resp.Header.Get("X-Variant")}
			}
		})
	}
	go func() {
		for i := range n {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	counts := map[[2]string]int{}
	var errs []error
	for r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		counts[[2]string{r.loc, r.variant}]++
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%d requests failed, first: %w", len(errs), errs[0])
	}
	return counts, nil
}

// printCounts prints requests per variant, California apart.
func printCounts(counts map[[2]string]int) {
	total := map[string]map[string]int{"CA": {}, "elsewhere": {}}
	for k, c := range counts {
		where := "elsewhere"
		if k[0] == "CA" {
			where = "CA"
		}
		total[where][k[1]] += c
	}
	for _, where := range []string{"CA", "elsewhere"} {
		sum := 0
		for _, c := range total[where] {
			sum += c
		}
		var parts []string
		for _, v := range slices.Sorted(maps.Keys(total[where])) {
			parts = append(parts, fmt.Sprintf("%s %4d (%4.1f%%)", v, total[where][v], 100*float64(total[where][v])/float64(sum)))
		}
		fmt.Printf("  %-9s  %s\n", where, strings.Join(parts, "  "))
	}
}

// replaceFile rewrites the file at path atomically — a temporary file renamed
// over it — with edit applied to its content.
func replaceFile(path string, edit func(string) string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(edit(string(data))), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
