package router

import (
	"context"
	"errors"
	"strings"
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
	type record struct {
		c               shadow.Comparison
		primary, shadow string
	}
	var got []record
	var mu sync.Mutex
	sink := shadow.SinkFunc[string](func(_ context.Context, c shadow.Comparison, p, s string) {
		mu.Lock()
		got = append(got, record{c, p, s})
		mu.Unlock()
	})
	drift := shadow.NewDrift(10)
	r := shadowRouter(t, strategy.Shadow("live", "cand"), map[string]Predictor[string, string]{"live": echo("LIVE"), "cand": echo("live")},
		Config[string, string]{
			Compare: func(a, b string) bool { return len(a) == len(b) },
			ShadowSinks: []shadow.Sink[string]{
				sink,
				shadow.DriftSink(drift, "cand", func(s string) float64 { return float64(len(s)) }),
			},
		})
	_, _ = r.Predict(context.Background(), Unit{Key: "u"}, "in")
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].c.Agreed || got[0].c.Primary != "live" || got[0].c.Shadow != "cand" {
		t.Fatalf("sink got %+v", got)
	}
	if got[0].primary != "LIVE" || got[0].shadow != "live" {
		t.Errorf("sink got outputs %q and %q, want LIVE and live", got[0].primary, got[0].shadow)
	}
	if drift.Len() != 1 || drift.KS() != 0 {
		t.Errorf("drift window %d, KS %v: want one pair of equal lengths", drift.Len(), drift.KS())
	}
}

func TestShadowConfigErrors(t *testing.T) {
	vs := map[string]Predictor[string, string]{"live": echo("live")}
	tests := []struct {
		name string
		cfg  Config[string, string]
		want string
	}{
		{"negative MaxInFlight", Config[string, string]{Shadow: shadow.Config{MaxInFlight: -1}}, "router: Config.Shadow.MaxInFlight is -1, want 0 to 1048576"},
		{"negative Timeout", Config[string, string]{Shadow: shadow.Config{Timeout: -time.Second}}, "router: Config.Shadow.Timeout is -1s, want >= 0"},
		{"nil sink", Config[string, string]{ShadowSinks: []shadow.Sink[string]{nil}}, "router: Config.ShadowSinks[0] is nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Variants, tc.cfg.Plan = vs, strategy.BigBang("live")
			r, err := New(tc.cfg)
			if err == nil {
				_ = r.Close(context.Background())
				t.Fatal("New accepted the config")
			}
			if err.Error() != tc.want {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}

// flaky is a shadow predictor whose behaviour is picked by its input.
type flaky struct{}

func (flaky) Predict(ctx context.Context, mode string) (string, error) {
	switch mode {
	case "panic":
		panic("shadow model crashed")
	case "error":
		return "", errors.New("model unavailable")
	case "hang":
		<-ctx.Done()
		return "", ctx.Err()
	case "slow":
		<-time.After(2 * time.Second) // ignores ctx, answers late
		return "same", nil
	case "different":
		return "other", nil
	}
	return "same", nil
}

func TestCallShadow(t *testing.T) {
	v := newVariant[string, string]("v2", flaky{})
	tests := []struct {
		name, mode string
		equal      func(a, b string) bool
		out        string
		agreed     bool
		err        error // nil, ErrPredictorPanic, DeadlineExceeded or errAny
		timedOut   bool
		latency    time.Duration
	}{
		{name: "agree", mode: "ok", out: "same", agreed: true},
		{name: "disagree", mode: "different", out: "other"},
		{name: "custom comparator", mode: "different", equal: func(a, b string) bool { return true }, out: "other", agreed: true},
		{name: "comparator panics", mode: "ok", equal: func(a, b string) bool { panic("bad comparator") }, err: ErrPredictorPanic},
		{name: "predictor panics", mode: "panic", err: ErrPredictorPanic},
		{name: "error", mode: "error", err: errAny},
		{name: "hang", mode: "hang", err: context.DeadlineExceeded, timedOut: true, latency: time.Second},
		{name: "late answer", mode: "slow", out: "same", agreed: true, timedOut: true, latency: 2 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				equal := tc.equal
				if equal == nil {
					equal = shadow.DeepEqual[string]
				}
				out, c := callShadow(ctx, v, tc.mode, "same", equal)
				if out != tc.out || c.Agreed != tc.agreed || c.TimedOut != tc.timedOut || c.ShadowLatency != tc.latency {
					t.Errorf("out %q agreed %v timed out %v latency %v", out, c.Agreed, c.TimedOut, c.ShadowLatency)
				}
				if c.Panicked != (tc.err == ErrPredictorPanic) {
					t.Errorf("Panicked %v", c.Panicked)
				}
				switch tc.err {
				case nil:
					if c.Err != nil {
						t.Errorf("Err %v", c.Err)
					}
				case errAny:
					if c.Err == nil || !strings.HasPrefix(c.Err.Error(), `router: variant "v2": `) {
						t.Errorf("Err %v, want an error naming the variant", c.Err)
					}
				default:
					if !errors.Is(c.Err, tc.err) {
						t.Errorf("Err %v, want %v", c.Err, tc.err)
					}
				}
				var pe *PanicError
				if tc.err == ErrPredictorPanic && (!errors.As(c.Err, &pe) || pe.Variant != "v2" || len(pe.Stack) == 0) {
					t.Errorf("Err %v, want a *PanicError of v2 with its stack", c.Err)
				}
			})
		})
	}
}

var errAny = errors.New("any error")

// TestShadowFaultsCounted runs every kind of shadow fault through a router
// and checks the pool's counters and the report's row: each fault is
// counted in its class, none reaches the caller.
func TestShadowFaultsCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := shadowRouter(t, strategy.Shadow("v1", "v2"), map[string]Predictor[string, string]{"v1": echo("same"), "v2": flaky{}},
			Config[string, string]{Shadow: shadow.Config{Timeout: time.Second}})
		for _, mode := range []string{"ok", "ok", "panic", "error", "hang", "slow", "different"} {
			if got, err := r.Predict(context.Background(), Unit{Key: "u"}, mode); err != nil || got != "same" {
				t.Fatalf("Predict(%s) = %q, %v", mode, got, err)
			}
			synctest.Wait() // one call at a time: none is dropped
		}
		if err := r.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if st, want := r.ShadowStats(), (shadow.Stats{Submitted: 7, Completed: 7, Errors: 1, TimedOut: 2, Panicked: 1}); st != want {
			t.Errorf("stats %+v, want %+v", st, want)
		}
		row, ok := r.ShadowReport().Row("v1", "v2")
		switch {
		case !ok:
			t.Fatal("no row")
		case row.Comparisons != 7 || row.Answered != 4 || row.Agreements != 3: // ok, ok, slow agree; different answers
			t.Errorf("row %+v", row)
		case row.Errors != 3 || row.TimedOut != 2 || row.Panicked != 1: // panic, error, hang; hang and slow timed out
			t.Errorf("row %+v", row)
		case row.ShadowLatency.P50 >= time.Microsecond: // fake time: instant calls take 0
			t.Errorf("p50 %v, want below the histogram's range", row.ShadowLatency.P50)
		case row.ShadowLatency.Max != 2*time.Second: // the late answer
			t.Errorf("max %v, want 2s", row.ShadowLatency.Max)
		}
	})
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
