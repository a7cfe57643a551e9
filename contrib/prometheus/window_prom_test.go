package varprom_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	varprom "github.com/varroute/varroute/contrib/prometheus"
	"github.com/varroute/varroute/rollout"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// inProcess sums, over the fleet's routers, their own aggregates of the
// keyed requests of plan's revision rev assigned to variant: what a Window
// must read from Prometheus once every replica has been scraped.
func (f *fleet) inProcess(plan, rev, variant string) rollout.VariantWindow {
	var vw rollout.VariantWindow
	for _, rep := range f.replicas {
		for _, rm := range rep.r.Metrics().Requests {
			if rm.Plan != plan || rm.Revision != rev || rm.Variant != variant || rm.Reason == router.ReasonNoKey {
				continue
			}
			n := rm.Latency.Count()
			vw.Requests += n
			if rm.Outcome != router.OutcomeOK {
				vw.Errors += n
			}
			if vw.Latency.Counts == nil {
				vw.Latency = rm.Latency
			} else {
				vw.Latency = vw.Latency.Merge(rm.Latency)
			}
		}
	}
	return vw
}

// serve sends n requests round the replicas, a tenth without a key, from
// unit keys drawn from the seed.
func (f *fleet) serve(t *testing.T, seed uint64, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range n {
		u := router.Unit{}
		if rng.IntN(10) > 0 {
			u.Key = strconv.FormatUint(seed, 36) + "-" + strconv.FormatUint(rng.Uint64()>>20, 36)
		}
		_, _ = f.replicas[i%len(f.replicas)].r.Predict(t.Context(), u, input{fail: rng.Float64(), lat: rng.NormFloat64()})
	}
}

// readUntil reads q until ok accepts the evidence or the error, bounded by
// ctx, and returns the last read.
func readUntil(ctx context.Context, w *varprom.Window, q rollout.Query, ok func(rollout.Evidence, error) bool) (rollout.Evidence, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ev, err := w.Read(ctx, q)
		if ok(ev, err) {
			return ev, err
		}
		select {
		case <-ctx.Done():
			return ev, fmt.Errorf("gave up (%w) after: %v", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

func sameHistogram(a, b router.Histogram) bool {
	d := a.Sum - b.Sum
	return a.Scale == b.Scale && a.Offset == b.Offset && slices.Equal(a.Counts, b.Counts) &&
		a.ZeroCount == b.ZeroCount && a.Overflow == b.Overflow && d < time.Microsecond && d > -time.Microsecond
}

// TestWindowReadsPrometheus checks a Window against a real Prometheus
// scraping five replicas: the evidence equals the sum of the routers' own
// aggregates exactly (counts, errors, every latency bucket), no-key requests
// excluded; it is not ready before the settle time, while a replica lags on
// another revision, while a target is down, or while Prometheus is down; and
// a revision applied again counts from Query.Since.
func TestWindowReadsPrometheus(t *testing.T) {
	const scrape = 250 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	models := map[string]sim{
		"v1": {errRate: 0.02, median: 150 * time.Microsecond},
		"v2": {errRate: 0.10, median: 300 * time.Microsecond},
	}
	f := newFleet(t, 5, models, "v1")
	prom := startPrometheus(t, f.addrs(), scrape)
	w, err := varprom.NewWindow(varprom.WindowOptions{API: prom.api, Targets: `up{job="varroute"}`, Replicas: 5, ScrapeInterval: scrape})
	if err != nil {
		t.Fatal(err)
	}

	plan := strategy.Canary("v1", "v2", 30)
	rev := router.Revision(plan)
	since := time.Now()
	if err := f.target.SetPlan(plan); err != nil {
		t.Fatal(err)
	}
	q := rollout.Query{Plan: plan.Name, Revision: rev, Since: since, Baseline: "v1", Candidate: "v2"}
	if _, err := w.Read(ctx, q); !errors.Is(err, rollout.ErrNotReady) || !strings.Contains(err.Error(), "settle") {
		t.Fatalf("Read right after the plan = %v, want not ready (settle time)", err)
	}
	if _, err := f.waitRevision(ctx, rev); err != nil {
		t.Fatal(err)
	}
	f.serve(t, 1, 3000)

	want := rollout.Evidence{Baseline: f.inProcess(plan.Name, rev, "v1"), Candidate: f.inProcess(plan.Name, rev, "v2")}
	ev, err := readUntil(ctx, w, q, func(ev rollout.Evidence, err error) bool {
		return err == nil && ev.Baseline.Requests == want.Baseline.Requests && ev.Candidate.Requests == want.Candidate.Requests
	})
	if err != nil {
		t.Fatalf("Read: %v; got %+v %+v, want %d and %d requests", err, ev.Baseline.Requests, ev.Candidate.Requests, want.Baseline.Requests, want.Candidate.Requests)
	}
	for _, c := range []struct {
		name      string
		got, want rollout.VariantWindow
	}{{"baseline", ev.Baseline, want.Baseline}, {"candidate", ev.Candidate, want.Candidate}} {
		if c.got.Errors != c.want.Errors || c.got.Units != 0 || c.got.Metrics != nil {
			t.Errorf("%s: errors %d, units %d, metrics %v; want %d errors, no units, no metrics", c.name, c.got.Errors, c.got.Units, c.got.Metrics, c.want.Errors)
		}
		if !sameHistogram(c.got.Latency, c.want.Latency) {
			t.Errorf("%s: the latency histogram read from Prometheus differs from the routers':\ngot  %+v\nwant %+v", c.name, c.got.Latency, c.want.Latency)
		}
	}
	noKey := int64(0)
	for _, rep := range f.replicas {
		for _, rm := range rep.r.Metrics().Requests {
			if rm.Revision == rev && rm.Reason == router.ReasonNoKey {
				noKey += rm.Latency.Count()
			}
		}
	}
	t.Logf("read %d + %d keyed requests (%d + %d errors) from Prometheus; %d no-key requests left out",
		ev.Baseline.Requests, ev.Candidate.Requests, ev.Baseline.Errors, ev.Candidate.Errors, noKey)
	if noKey == 0 || ev.Baseline.Requests+ev.Candidate.Requests+noKey != 3000 {
		t.Errorf("keyed %d + no-key %d, want 3000 in all", ev.Baseline.Requests+ev.Candidate.Requests, noKey)
	}

	t.Run("a replica on another revision", func(t *testing.T) {
		lagging := f.replicas[2]
		if err := lagging.r.SetPlan(strategy.Canary("v1", "v2", 10)); err != nil {
			t.Fatal(err)
		}
		_, err := readUntil(ctx, w, q, func(_ rollout.Evidence, err error) bool { return err != nil })
		if !errors.Is(err, rollout.ErrNotReady) || !strings.Contains(err.Error(), "1 of 5 targets do not report") || !strings.Contains(err.Error(), lagging.addr) {
			t.Fatalf("Read = %v, want not ready naming %s", err, lagging.addr)
		}
		if err := lagging.r.SetPlan(plan); err != nil {
			t.Fatal(err)
		}
		if _, err := readUntil(ctx, w, q, func(_ rollout.Evidence, err error) bool { return err == nil }); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a revision applied again counts from Since", func(t *testing.T) {
		other := strategy.Canary("v1", "v2", 60)
		if err := f.target.SetPlan(other); err != nil {
			t.Fatal(err)
		}
		if _, err := f.waitRevision(ctx, router.Revision(other)); err != nil {
			t.Fatal(err)
		}
		f.serve(t, 2, 500)
		// Wait until every replica is scraped serving the other revision (the
		// first one's series are final then), and apply the first again.
		if _, err := readUntil(ctx, w, q, func(_ rollout.Evidence, err error) bool {
			return errors.Is(err, rollout.ErrNotReady) && strings.Contains(err.Error(), "5 of 5 targets do not report")
		}); !errors.Is(err, rollout.ErrNotReady) {
			t.Fatalf("Read of a revision no replica serves = %v, want not ready", err)
		}
		again := time.Now()
		if err := f.target.SetPlan(plan); err != nil {
			t.Fatal(err)
		}
		if _, err := f.waitRevision(ctx, rev); err != nil {
			t.Fatal(err)
		}
		f.serve(t, 3, 1000)
		b, c := f.inProcess(plan.Name, rev, "v1"), f.inProcess(plan.Name, rev, "v2")
		wantNew := b.Requests + c.Requests - want.Baseline.Requests - want.Candidate.Requests
		q2 := q
		q2.Since = again
		ev, err := readUntil(ctx, w, q2, func(ev rollout.Evidence, err error) bool {
			return err == nil && ev.Baseline.Requests+ev.Candidate.Requests == wantNew
		})
		if err != nil {
			t.Fatalf("Read since the revision came back: %v; got %d requests, want %d", err, ev.Baseline.Requests+ev.Candidate.Requests, wantNew)
		}
		if ev.Baseline.Latency.Count() != ev.Baseline.Requests || ev.Candidate.Latency.Count() != ev.Candidate.Requests {
			t.Fatalf("histograms of %d and %d for %d and %d requests", ev.Baseline.Latency.Count(), ev.Candidate.Latency.Count(), ev.Baseline.Requests, ev.Candidate.Requests)
		}
	})

	t.Run("a target down", func(t *testing.T) {
		down := f.replicas[4]
		sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
		defer scancel()
		if err := down.srv.Shutdown(sctx); err != nil {
			t.Fatal(err)
		}
		// Until Prometheus has scraped the target once more, Read may still
		// succeed; for a moment it may see the failed scrape's stale markers
		// (the target's plan_info gone) before its up series says 0. Every
		// error on the way must be not ready and name the target; the last
		// must say it is down.
		_, err := readUntil(ctx, w, q, func(_ rollout.Evidence, err error) bool {
			if err != nil && (!errors.Is(err, rollout.ErrNotReady) || !strings.Contains(err.Error(), down.addr)) {
				t.Errorf("Read while the target goes down = %v, want not ready naming %s", err, down.addr)
				return true
			}
			return err != nil && strings.Contains(err.Error(), "targets down")
		})
		if !errors.Is(err, rollout.ErrNotReady) || !strings.Contains(err.Error(), "1 of 5 targets down: "+down.addr) {
			t.Fatalf("Read = %v, want not ready naming %s", err, down.addr)
		}
	})

	t.Run("Prometheus down", func(t *testing.T) {
		prom.stop()
		_, err := w.Read(ctx, q)
		if !errors.Is(err, rollout.ErrNotReady) || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("Read = %v, want not ready: connection refused", err)
		}
		short, scancel := context.WithTimeout(ctx, time.Millisecond)
		defer scancel()
		<-short.Done()
		if _, err := w.Read(short, q); !errors.Is(err, rollout.ErrNotReady) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Read with an expired context = %v", err)
		}
	})
}
