package rollout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// TestCollectorRevisions checks that the Collector counts each plan revision
// apart, on its fast path and after switching back to an older revision,
// that a metric counts in the revision of its Decision, and that it forgets
// revisions beyond maxRevisions.
func TestCollectorRevisions(t *testing.T) {
	c := NewCollector("p", "a", "b")
	ctx := context.Background()
	obs := func(rev, v string, n int) {
		for range n {
			c.Observe(ctx, router.Outcome{Decision: router.Decision{Plan: "p", Revision: rev, Variant: v}, Latency: time.Millisecond})
		}
	}
	obs("r1", "a", 10)
	obs("r1", "b", 1)
	obs("r2", "a", 5)
	obs("r1", "b", 2) // a late outcome of the older revision
	c.RecordMetric(router.Decision{Plan: "p", Revision: "r1", Variant: "b"}, "m", 3)
	for _, tc := range []struct {
		name, rev       string
		base, cand, met int64
	}{
		{"first revision", "r1", 10, 3, 1},
		{"second revision", "r2", 5, 0, 0},
		{"unknown revision", "r3", 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := c.Read(ctx, Query{Plan: "p", Revision: tc.rev, Baseline: "a", Candidate: "b"})
			if err != nil {
				t.Fatal(err)
			}
			if ev.Baseline.Requests != tc.base || ev.Candidate.Requests != tc.cand || ev.Candidate.Metrics["m"].N != tc.met {
				t.Fatalf("baseline %d, candidate %d, metric %d; want %d, %d, %d",
					ev.Baseline.Requests, ev.Candidate.Requests, ev.Candidate.Metrics["m"].N, tc.base, tc.cand, tc.met)
			}
		})
	}
	if ev, _ := c.Read(ctx, Query{Plan: "other", Revision: "r1", Baseline: "a"}); ev.Baseline.Requests != 0 {
		t.Fatal("another plan's query read the plan's figures")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Read(cctx, Query{Plan: "p", Revision: "r1"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read with a cancelled context = %v", err)
	}
	for i := range maxRevisions {
		obs(fmt.Sprint("x", i), "a", 1)
	}
	if ev, _ := c.Read(ctx, Query{Plan: "p", Revision: "r1", Baseline: "a"}); ev.Baseline.Requests != 0 {
		t.Fatal("the oldest revision was not forgotten")
	}
}

// TestCollectorRevisionsConcurrent observes two revisions at once (a step
// change with requests of both in flight) and checks every outcome is
// counted in its own.
func TestCollectorRevisionsConcurrent(t *testing.T) {
	c := NewCollector("", "a")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				rev := []string{"r1", "r2"}[(i+g)%2]
				c.Observe(context.Background(), router.Outcome{Decision: router.Decision{Revision: rev, Variant: "a"}})
			}
		})
	}
	wg.Wait()
	for _, rev := range []string{"r1", "r2"} {
		if n := snapshot(c, "", rev, "a").Requests; n != 4000 {
			t.Errorf("revision %s: %d requests, want 4000", rev, n)
		}
	}
}

// flakyWindow is a Window whose reads fail while err is set.
type flakyWindow struct {
	mu   sync.Mutex
	err  error
	ev   Evidence
	last Query
}

func (w *flakyWindow) Read(_ context.Context, q Query) (Evidence, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = q
	return w.ev, w.err
}

type manualClock struct{ t time.Time }

func (c *manualClock) Now() time.Time { return c.t }

// TestRolloutWaitsForEvidence checks the Window contract on the controller's
// side: the Query names the step's plan revision and start; a failed read
// makes no decision (never an empty sample), is reported in Status.Waiting
// and once as an EventWaiting, and halts the rollout only after MaxWait
// without evidence.
func TestRolloutWaitsForEvidence(t *testing.T) {
	clock := &manualClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	w := &flakyWindow{}
	var evs []Event
	ro, err := NewRollout(RolloutConfig{
		Target: strategy.Targets{}, Baseline: "v1", Candidate: "v2", Window: w, Now: clock.Now,
		MaxWait: 5 * time.Minute, Logger: slog.New(slog.DiscardHandler), OnEvent: func(e Event) { evs = append(evs, e) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := ro.Step(ctx); err != nil {
		t.Fatal(err)
	}
	start := clock.t
	// A healthy read first: the Query names the revision.
	w.ev = Evidence{Baseline: VariantWindow{Requests: 990}, Candidate: VariantWindow{Requests: 10}}
	clock.t = clock.t.Add(time.Minute)
	if err := ro.Step(ctx); err != nil {
		t.Fatal(err)
	}
	want := Query{Plan: "canary/v2", Revision: router.Revision(strategy.Canary("v1", "v2", 1)), Since: start, Baseline: "v1", Candidate: "v2"}
	if w.last != want {
		t.Fatalf("query %+v, want %+v", w.last, want)
	}
	w.err = fmt.Errorf("prometheus: %w", ErrNotReady)
	for i := range 4 {
		clock.t = clock.t.Add(time.Minute)
		if err := ro.Step(ctx); err != nil {
			t.Fatal(err)
		}
		st := ro.Status()
		if st.State != StateRunning || !strings.Contains(st.Waiting, "not ready") || st.Figures.Candidate.Requests != 10 {
			t.Fatalf("after %d failed reads: state %v, waiting %q, figures %+v", i+1, st.State, st.Waiting, st.Figures.Candidate)
		}
	}
	if n := countKind(evs, EventWaiting); n != 1 {
		t.Fatalf("%d waiting events, want 1", n)
	}
	clock.t = clock.t.Add(time.Minute) // 5 minutes since the last evidence
	if err := ro.Step(ctx); err != nil {
		t.Fatal(err)
	}
	st := ro.Status()
	if st.State != StatePaused || st.Last != EventHalted || !strings.Contains(st.Reason, "no evidence for 5m0s") || st.Waiting != "" {
		t.Fatalf("state %v, last %v, reason %q, waiting %q; want halted for lack of evidence", st.State, st.Last, st.Reason, st.Waiting)
	}
	// Resume restarts the step's window: what was counted before is
	// subtracted.
	w.err = nil
	if err := ro.Resume(); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Minute)
	if err := ro.Step(ctx); err != nil {
		t.Fatal(err)
	}
	w.ev.Candidate.Requests = 15
	clock.t = clock.t.Add(time.Minute)
	if err := ro.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if st := ro.Status(); st.State != StateRunning || st.Figures.Candidate.Requests != 5 || st.Waiting != "" {
		t.Fatalf("after resume: state %v, %d candidate requests, waiting %q; want running with 5", st.State, st.Figures.Candidate.Requests, st.Waiting)
	}
}

func countKind(evs []Event, k EventKind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}
