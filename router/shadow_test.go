package router

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/varroute/varroute/shadow"
	"github.com/varroute/varroute/strategy"
)

func shadowRouter(t *testing.T, p strategy.Plan, vs map[string]Predictor[string, string], cfg Config[string, string]) *Router[string, string] {
	t.Helper()
	cfg.Variants, cfg.Plan = vs, p
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestShadowMirrorsAndNeverReturns(t *testing.T) {
	var seen sync.Map // shadow info by input
	cand := PredictorFunc[string, string](func(ctx context.Context, in string) (string, error) {
		info, ok := shadow.FromContext(ctx)
		if !ok {
			return "", errors.New("not marked as a shadow call")
		}
		seen.Store(in, info)
		if in == "disagree" {
			return "different", nil
		}
		return "live", nil
	})
	live := PredictorFunc[string, string](func(ctx context.Context, in string) (string, error) {
		if shadow.IsShadow(ctx) {
			return "", errors.New("primary marked as shadow")
		}
		return "live", nil
	})
	r := shadowRouter(t, strategy.Shadow("live", "cand"), map[string]Predictor[string, string]{"live": live, "cand": cand}, Config[string, string]{})
	if d := r.Decide(Unit{Key: "u"}); len(d.Shadows) != 1 || d.Shadows[0] != "cand" {
		t.Fatalf("Decide shadows = %v", d.Shadows)
	}
	for _, in := range []string{"agree", "disagree", "agree"} {
		got, err := r.Predict(context.Background(), Unit{Key: "u"}, in)
		if err != nil || got != "live" {
			t.Fatalf("Predict(%s) = %q, %v: the shadow's answer reached the caller", in, got, err)
		}
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	row, ok := r.ShadowReport().Row("live", "cand")
	if !ok || row.Comparisons != 3 || row.Agreements != 2 {
		t.Fatalf("report row %+v", row)
	}
	if v, _ := seen.Load("agree"); v.(shadow.Info) != (shadow.Info{Primary: "live", Shadow: "cand"}) {
		t.Errorf("shadow saw info %+v", v)
	}
	if st := r.ShadowStats(); st.Submitted != 3 || st.Completed != 3 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestShadowOutlivesRequestContext(t *testing.T) {
	errs := make(chan error, 1)
	release := make(chan struct{})
	cand := PredictorFunc[string, string](func(ctx context.Context, _ string) (string, error) {
		<-release
		errs <- ctx.Err() // the request's cancellation must not reach here
		return "x", nil
	})
	r := shadowRouter(t, strategy.Shadow("live", "cand"), map[string]Predictor[string, string]{"live": echo("live"), "cand": cand}, Config[string, string]{})
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := r.Predict(ctx, Unit{Key: "u"}, "in"); err != nil {
		t.Fatal(err)
	}
	cancel() // the request ends
	close(release)
	if err := <-errs; err != nil {
		t.Errorf("shadow's context: %v, want it detached from the request", err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestShadowFaultsNeverReachTheCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vs := map[string]Predictor[string, string]{
			"live": echo("live"),
			"panics": PredictorFunc[string, string](func(context.Context, string) (string, error) {
				panic("shadow exploded")
			}),
			"errors": failing(errors.New("shadow broke")),
			"hangs": PredictorFunc[string, string](func(ctx context.Context, _ string) (string, error) {
				<-ctx.Done() // honours its deadline
				return "", ctx.Err()
			}),
			"differs": echo("something else"),
		}
		r := shadowRouter(t, strategy.Shadow("live", "panics", "errors", "hangs", "differs"), vs,
			Config[string, string]{Shadow: shadow.Config{Timeout: 200 * time.Millisecond}})
		for range 10 {
			got, o, err := r.Serve(context.Background(), Unit{Key: "u"}, "in")
			if err != nil || got != "live" || o.Served != "live" {
				t.Fatalf("Serve = %q, %+v, %v", got, o, err)
			}
		}
		if err := r.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		rep := r.ShadowReport()
		check := func(name string, f func(shadow.Row) bool) {
			row, ok := rep.Row("live", name)
			if !ok || row.Comparisons != 10 || !f(row) {
				t.Errorf("%s: row %+v", name, row)
			}
		}
		check("panics", func(r shadow.Row) bool { return r.Panicked == 10 && r.Agreements == 0 })
		check("errors", func(r shadow.Row) bool { return r.Errors == 10 })
		check("hangs", func(r shadow.Row) bool { return r.TimedOut == 10 })
		check("differs", func(r shadow.Row) bool { return r.Agreements == 0 && r.Errors == 0 })
		st := r.ShadowStats()
		if st.Panicked != 10 || st.TimedOut != 10 || st.Completed != 40 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestShadowOverloadDropsAndNeverBlocks(t *testing.T) {
	const bound = 4
	release := make(chan struct{})
	var inFlight, peak atomic.Int64
	slow := PredictorFunc[string, string](func(context.Context, string) (string, error) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
		return "slow", nil
	})
	r := shadowRouter(t, strategy.Shadow("live", "slow"), map[string]Predictor[string, string]{"live": echo("live"), "slow": slow},
		Config[string, string]{Shadow: shadow.Config{MaxInFlight: bound, Timeout: time.Hour}})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 250 {
				// Every shadow blocks until release: if Predict waited for
				// one, this loop would never finish.
				if got, err := r.Predict(context.Background(), Unit{Key: string(rune('a'+g)) + string(rune(i))}, "in"); err != nil || got != "live" {
					t.Errorf("Predict = %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := r.ShadowStats()
	if st.InFlight > bound || peak.Load() > bound {
		t.Errorf("in flight %d (peak %d), bound %d", st.InFlight, peak.Load(), bound)
	}
	if st.Submitted+st.Dropped != 2000 || st.Dropped < 2000-bound {
		t.Errorf("stats %+v: want 2000 mirrored calls, all but at most %d dropped", st, bound)
	}
	close(release)
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := r.ShadowStats(); st.InFlight != 0 || st.Completed != st.Submitted {
		t.Errorf("after Close: %+v", st)
	}
}

func TestNoiseFloorAndCopyInput(t *testing.T) {
	var calls atomic.Int64
	jittery := PredictorFunc[string, string](func(context.Context, string) (string, error) {
		if calls.Add(1)%2 == 0 {
			return "b", nil
		}
		return "a", nil
	})
	p := strategy.Shadow("live", "cand")
	p.NoiseFloor = 100
	var copies atomic.Int64
	r := shadowRouter(t, p, map[string]Predictor[string, string]{"live": jittery, "cand": echo("a")},
		Config[string, string]{CopyInput: func(s string) string { copies.Add(1); return s + "" }})
	if d := r.Decide(Unit{Key: "u"}); !d.NoiseFloor {
		t.Fatalf("Decide: NoiseFloor false at 100%%")
	}
	for range 20 {
		if _, err := r.Predict(context.Background(), Unit{Key: "u"}, "in"); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep := r.ShadowReport()
	if len(rep.NoiseFloors) != 1 || rep.NoiseFloors[0].Primary != "live" || rep.NoiseFloors[0].Comparisons != 20 {
		t.Errorf("noise floors %+v", rep.NoiseFloors)
	}
	if copies.Load() != 20 {
		t.Errorf("CopyInput called %d times, want once per mirrored request", copies.Load())
	}
}

func TestCompareAndSinks(t *testing.T) {
	var got []shadow.Comparison
	var mu sync.Mutex
	sink := shadow.SinkFunc(func(_ context.Context, c shadow.Comparison) { mu.Lock(); got = append(got, c); mu.Unlock() })
	r := shadowRouter(t, strategy.Shadow("live", "cand"), map[string]Predictor[string, string]{"live": echo("LIVE"), "cand": echo("live")},
		Config[string, string]{
			Compare:     func(a, b string) bool { return len(a) == len(b) },
			ShadowSinks: []shadow.Sink{sink},
		})
	_, _ = r.Predict(context.Background(), Unit{Key: "u"}, "in")
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Agreed || got[0].Primary != "live" || got[0].Shadow != "cand" {
		t.Errorf("sink got %+v", got)
	}
}

func TestRemoveVariantWaitsForShadowCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		entered, release := make(chan struct{}), make(chan struct{})
		c := &closer{Predictor: PredictorFunc[string, string](func(context.Context, string) (string, error) {
			close(entered)
			<-release
			return "x", nil
		})}
		r := shadowRouter(t, strategy.Shadow("live", "cand"), map[string]Predictor[string, string]{"live": echo("live"), "cand": c}, Config[string, string]{})
		defer r.Close(context.Background())
		_, _ = r.Predict(context.Background(), Unit{Key: "u"}, "in")
		<-entered
		if err := r.SetPlan(strategy.BigBang("live")); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- r.RemoveVariant(context.Background(), "cand") }()
		synctest.Wait() // everything is blocked: RemoveVariant must be waiting
		select {
		case <-done:
			t.Fatal("RemoveVariant returned while a shadow call was in flight")
		default:
		}
		close(release)
		if err := <-done; err != nil || c.closed.Load() != 1 {
			t.Fatalf("RemoveVariant = %v, closed %d", err, c.closed.Load())
		}
	})
}
