package router_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/varroute/varroute/exposure"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

var quietLog = slog.New(slog.DiscardHandler)

// switchable is a predictor that answers after its latency, or hangs until
// released while hanging is set.
type switchable struct {
	latency time.Duration
	mu      sync.Mutex
	hang    chan struct{} // nil: answer
	fail    bool
}

func (s *switchable) Predict(ctx context.Context, in string) (string, error) {
	s.mu.Lock()
	hang, fail := s.hang, s.fail
	s.mu.Unlock()
	if hang != nil {
		<-hang
	}
	time.Sleep(s.latency)
	if fail {
		return "", errors.New("model failed")
	}
	return in, nil
}

func (s *switchable) set(hang chan struct{}, fail bool) {
	s.mu.Lock()
	s.hang, s.fail = hang, fail
	s.mu.Unlock()
}

// TestBreakerHangingVariant: v3 starts hanging while 8 callers send it
// traffic. Once its breaker opens, its requests are served by v2 at v2's own
// latency, no goroutine piles up behind the hung calls, and when v3 recovers
// the breaker closes at the first probe after its open time.
func TestBreakerHangingVariant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v2 := &switchable{latency: time.Millisecond}
		v3 := &switchable{latency: 2 * time.Millisecond}
		plan := strategy.BigBang("v3")
		plan.Fallbacks = map[string]string{"v3": "v2"}
		plan.Breakers = map[string]strategy.Breaker{"v3": {ConsecutiveFailures: 5, OpenFor: 10 * time.Second, MaxOpenFor: time.Minute}}
		r, err := router.New(router.Config[string, string]{
			Variants: map[string]router.Predictor[string, string]{"v2": v2, "v3": v3},
			Plan:     plan,
			Timeout:  200 * time.Millisecond,
			Logger:   quietLog,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close(context.Background())

		var mu sync.Mutex
		type sample struct {
			at       time.Time
			latency  time.Duration
			outcome  string
			assigned string
		}
		var samples []sample
		var stop atomic.Bool
		var wg sync.WaitGroup
		start := time.Now()
		for c := range 8 {
			wg.Go(func() {
				for i := 0; !stop.Load(); i++ {
					t0 := time.Now()
					_, o, err := r.Serve(context.Background(), router.Unit{Key: fmt.Sprint(c, "-", i)}, "x")
					if err != nil {
						t.Errorf("Serve: %v", err)
						return
					}
					outcome := "ok"
					switch {
					case errors.Is(o.Failure, router.ErrCircuitOpen):
						outcome = "circuit-open"
					case o.FellBack():
						outcome = "fallback"
					}
					mu.Lock()
					samples = append(samples, sample{t0, time.Since(t0), outcome, o.Decision.Variant})
					mu.Unlock()
					time.Sleep(10 * time.Millisecond)
				}
			})
		}
		time.Sleep(time.Second)
		hang := make(chan struct{})
		v3.set(hang, false) // v3 hangs
		hungAt := time.Now()
		time.Sleep(5 * time.Second)
		goroutines := runtime.NumGoroutine()
		time.Sleep(5 * time.Second)
		// Thousands of requests were assigned to v3 meanwhile: calls left
		// behind would add one goroutine each. A few may come and go for
		// reasons of the runtime's own.
		if g := runtime.NumGoroutine(); g > goroutines+5 {
			t.Errorf("goroutines grew from %d to %d while the breaker was open", goroutines, g)
		}
		v3.set(nil, false) // v3 recovers
		close(hang)        // and the calls it hung return
		recoveredAt := time.Now()
		time.Sleep(15 * time.Second)
		stop.Store(true)
		wg.Wait()

		var opened time.Time
		var after []time.Duration
		var closedAt time.Time
		for _, s := range samples {
			switch {
			case s.outcome == "circuit-open" && opened.IsZero():
				opened = s.at
			case !opened.IsZero() && s.at.Before(recoveredAt) && s.outcome == "circuit-open":
				after = append(after, s.latency)
			case s.at.After(recoveredAt) && s.outcome == "ok" && closedAt.IsZero():
				closedAt = s.at
			}
		}
		if opened.IsZero() || opened.Sub(hungAt) > time.Second {
			t.Fatalf("breaker opened at %v, %v after the hang began", opened.Sub(start), opened.Sub(hungAt))
		}
		slices.Sort(after)
		p99 := after[len(after)*99/100]
		if p99 > 2*time.Millisecond {
			t.Errorf("p99 latency of v3's requests with the breaker open = %v, want v2's own (1ms)", p99)
		}
		// The breaker opened about 200ms after the hang and probes 10s
		// later; the first probe after the recovery closes it.
		if closedAt.IsZero() || closedAt.Sub(recoveredAt) > 10*time.Second {
			t.Errorf("breaker closed %v after the recovery, want within its 10s open time", closedAt.Sub(recoveredAt))
		}
		var st router.BreakerStatus
		for _, b := range r.Breakers() {
			if b.Variant == "v3" {
				st = b
			}
		}
		if st.State != router.BreakerClosed || st.Transitions[router.BreakerOpen] < 1 || st.Transitions[router.BreakerClosed] != 1 {
			t.Errorf("v3's breaker: %+v", st)
		}
		t.Logf("opened %v after the hang; %d requests served by v2 at p99 %v; closed %v after the recovery", opened.Sub(hungAt), len(after), p99, closedAt.Sub(recoveredAt))
	})
}

// TestBreakerFlapping: a variant that fails in bursts, half the time, does
// not make its breaker thrash: each failed probe doubles the open time.
func TestBreakerFlapping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v1 := &switchable{}
		v2 := &switchable{}
		plan := strategy.Canary("v1", "v2", 100)
		plan.Breakers = map[string]strategy.Breaker{"v2": {ConsecutiveFailures: 3, OpenFor: time.Second, MaxOpenFor: 32 * time.Second}}
		r, err := router.New(router.Config[string, string]{
			Variants: map[string]router.Predictor[string, string]{"v1": v1, "v2": v2},
			Plan:     plan,
			Logger:   quietLog,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		var bursts sync.WaitGroup
		bursts.Go(func() { // bursts: 3s failing, 3s healthy
			for fail := true; ctx.Err() == nil; fail = !fail {
				v2.set(nil, fail)
				time.Sleep(3 * time.Second)
			}
		})
		const minutes = 10
		for i := range minutes * 60 * 100 { // 100 requests a second
			_, _ = r.Predict(context.Background(), router.Unit{Key: fmt.Sprint(i)}, "x")
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		bursts.Wait()
		b := r.Breakers()[0]
		opens := b.Transitions[router.BreakerOpen]
		// Without backoff a 1s open time allows two openings per 6s cycle
		// (200 in 10 minutes). With it, open times double up to 32s while
		// the variant keeps failing soon after each closing: after the
		// ramp (log2(32/1) = 5 doublings), at most one opening per 32s of
		// open time and one per cycle's healthy half.
		const bound = 2*minutes*60/32 + 2*5 + 2
		if opens > bound || opens < 5 {
			t.Errorf("%d openings in %d minutes of 3s bursts, want between 5 and %d", opens, minutes, bound)
		}
		t.Logf("v2's breaker: %d openings, %d half-open, %d closings in %d minutes", opens, b.Transitions[router.BreakerHalfOpen], b.Transitions[router.BreakerClosed], minutes)
	})
}

// TestBreakerCounted: requests refused by an open breaker keep their
// assigned variant, with outcome circuit-open in the metrics and reason
// circuit-open in the exposures.
func TestBreakerCounted(t *testing.T) {
	var mu sync.Mutex
	var reasons []string
	logger := exposureFunc(func(e exposure.Exposure) {
		mu.Lock()
		reasons = append(reasons, e.Variant+":"+e.Reason+":"+e.Served)
		mu.Unlock()
	})
	plan := strategy.BigBang("v2")
	plan.Fallbacks = map[string]string{"v2": "v1"}
	r, err := router.New(router.Config[string, string]{
		Variants:  map[string]router.Predictor[string, string]{"v1": constantP("v1"), "v2": failingP()},
		Plan:      plan,
		Exposures: logger,
		Logger:    quietLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	for i := range 10 {
		out, o, err := r.Serve(context.Background(), router.Unit{Key: fmt.Sprint(i)}, "x")
		if err != nil || out != "v1" || o.Decision.Variant != "v2" {
			t.Fatalf("request %d: %q %+v %v", i, out, o, err)
		}
		if open := errors.Is(o.Failure, router.ErrCircuitOpen); open != (i >= 5) {
			t.Errorf("request %d: circuit open %v", i, open)
		}
	}
	counts := map[string]int64{}
	for _, m := range r.Metrics().Requests {
		counts[m.Variant+":"+m.Outcome] += m.Latency.Count()
	}
	if counts["v2:fallback"] != 5 || counts["v2:circuit-open"] != 5 {
		t.Errorf("metrics %v, want 5 fallbacks then 5 circuit-open for v2", counts)
	}
	if reasons[4] != "v2:default:v1" || reasons[5] != "v2:circuit-open:v1" {
		t.Errorf("exposures %v", reasons)
	}
	b := r.Breakers()
	if len(b) != 1 || b[0].Variant != "v2" || b[0].State != router.BreakerOpen || b[0].Reason == "" {
		t.Errorf("Breakers() = %+v", b)
	}

	// Without a fallback and without a configured breaker, a variant has
	// none: every request calls it.
	r2, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v2": failingP()},
		Plan:     strategy.BigBang("v2"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close(context.Background())
	for i := range 10 {
		if _, err := r2.Predict(context.Background(), router.Unit{Key: fmt.Sprint(i)}, "x"); errors.Is(err, router.ErrCircuitOpen) {
			t.Fatalf("request %d refused by a breaker the plan does not have", i)
		}
	}
	if len(r2.Breakers()) != 0 {
		t.Errorf("Breakers() = %+v, want none", r2.Breakers())
	}
}

type exposureFunc func(exposure.Exposure)

func (f exposureFunc) Log(_ context.Context, e exposure.Exposure) { f(e) }
