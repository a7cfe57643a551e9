// Package varprom exports varroute routers' aggregates to Prometheus.
//
// A Collector reads each router's aggregates (router.Router.ReadMetrics) when
// Prometheus scrapes, so it adds nothing to a request:
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(varprom.NewCollector(varprom.Options{}, r))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// It exports:
//
//	varroute_request_duration_seconds  native histogram  plan, revision, rule, variant, reason, outcome
//	varroute_fallbacks_total           counter           plan, revision, variant, served
//	varroute_breaker_transitions_total counter           variant, state (open, half-open, closed)
//	varroute_breaker_open              gauge             variant: 1 while open or half-open
//	varroute_plan_info                 gauge             plan, revision: 1 for the plan each router serves
//
// The latency histogram's count is the number of requests, so there is no
// separate request counter: histogram_count(rate(...)) in PromQL, or the
// _count series of a classic scrape. Its buckets are the router's own:
// exponential at schema 3 (8 per doubling, a quantile within 4.33% of the
// truth), the same layout as OpenTelemetry's exponential histograms, so
// quantiles and ratios read with histogram_quantile survive the export.
// Prometheus scrapes native histograms with the protobuf format, from 2.40
// on with --enable-feature=native-histograms; Options.ClassicBuckets adds
// classic buckets for servers that do not.
//
// The revision label (router.Revision) changes with every plan applied, so a
// query can keep to the requests of one step of a rollout; the reason label
// separates units without a key (no-key), which are not randomized. Label
// values come from plans only; a unit key never appears.
//
// # One rollout over many replicas
//
// A Window is the other half: a rollout.Window that reads those series back
// through Prometheus's HTTP API, so that one rollout.Rollout judges the
// traffic of every replica. It sums a step's plan revision over the
// replicas, leaves no-key units out, and answers rollout.ErrNotReady (the
// controller then decides nothing) until every replica is scraped serving
// the revision:
//
//	client, _ := api.NewClient(api.Config{Address: "http://prometheus:9090"})
//	w, _ := varprom.NewWindow(varprom.WindowOptions{
//		API:            v1.NewAPI(client),
//		Targets:        `up{job="model"}`,
//		Replicas:       20,
//		ScrapeInterval: 15 * time.Second,
//	})
//	ro, _ := rollout.NewRollout(rollout.RolloutConfig{Window: w, Target: target, ...})
//
// The replicas follow the plan the controller publishes: a plan file each
// one watches (planfile.Target and planfile.Watcher; a Kubernetes ConfigMap
// volume is the reference case), with exactly one controller running (see
// planfile.Target). examples/fleet runs the whole loop with a real
// Prometheus.
//
// This package is its own module so that the core module does not depend on
// the Prometheus client.
package varprom
