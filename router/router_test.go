package router

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/strategy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echo returns a predictor that answers with its own name.
func echo(name string) Predictor[string, string] {
	return PredictorFunc[string, string](func(context.Context, string) (string, error) { return name, nil })
}

func failing(err error) Predictor[string, string] {
	return PredictorFunc[string, string](func(context.Context, string) (string, error) { return "", err })
}

func newRouter(t testing.TB, p strategy.Plan, variants map[string]Predictor[string, string]) *Router[string, string] {
	t.Helper()
	r, err := New(Config[string, string]{Variants: variants, Plan: p})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

func TestNewErrors(t *testing.T) {
	vs := map[string]Predictor[string, string]{"a": echo("a")}
	tests := []struct {
		name string
		cfg  Config[string, string]
		text string
	}{
		{"unknown variant", Config[string, string]{Variants: vs, Plan: strategy.BigBang("b")}, `default[0].variant: unknown variant "b"`},
		{"invalid plan", Config[string, string]{Variants: vs, Plan: strategy.Plan{Default: strategy.Split{{Variant: "a", Weight: 100}}}}, "name: empty plan name"},
		{"nil predictor", Config[string, string]{Variants: map[string]Predictor[string, string]{"a": nil}, Plan: strategy.BigBang("a")}, `variant "a": nil predictor`},
		{"empty name", Config[string, string]{Variants: map[string]Predictor[string, string]{"": echo("")}, Plan: strategy.BigBang("a")}, "empty variant name"},
		{"negative timeout", Config[string, string]{Variants: vs, Plan: strategy.BigBang("a"), Timeout: -1}, "Timeout"},
		{"nil observer", Config[string, string]{Variants: vs, Plan: strategy.BigBang("a"), Observers: []Observer{nil}}, "nil observer: Config.Observers[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("New = %v, want an error containing %q", err, tc.text)
			}
		})
	}
	_, err := New(Config[string, string]{Variants: vs, Plan: strategy.BigBang("b")})
	if !errors.Is(err, ErrUnknownVariant) || !errors.Is(err, strategy.ErrInvalidPlan) {
		t.Errorf("unknown variant error %v does not match ErrUnknownVariant and ErrInvalidPlan", err)
	}
}

func canaryPlan() strategy.Plan {
	p := strategy.Canary("stable", "next", 10)
	p.Audiences = []audience.Audience{{Name: "ca", Conditions: audience.Condition{Key: "location", Op: audience.OpEquals, Value: "california"}}}
	p.Rules = []strategy.Rule{{Name: "california", Audience: "ca", Split: strategy.Split{{Variant: "west", Weight: 100}}}}
	return p
}

func canaryVariants() map[string]Predictor[string, string] {
	return map[string]Predictor[string, string]{"stable": echo("stable"), "next": echo("next"), "west": echo("west")}
}

func TestPredictFollowsDecide(t *testing.T) {
	r := newRouter(t, canaryPlan(), canaryVariants())
	ctx := context.Background()
	counts := map[string]int{}
	for i := range 5000 {
		u := Unit{Key: "user-" + strconv.Itoa(i)}
		if i%10 == 0 {
			u.Attrs = audience.Attributes{audience.String("location", "california")}
		}
		d := r.Decide(u)
		got, o, err := r.Serve(ctx, u, "x")
		if err != nil || got != d.Variant || o.Served != d.Variant || o.Decision.Variant != d.Variant || o.FellBack() {
			t.Fatalf("unit %v: Serve = %q, %+v, %v; Decide = %s", u, got, o, err, d.Variant)
		}
		if i%10 == 0 && (d.Rule != "california" || d.Reason != ReasonRule) {
			t.Fatalf("californian got %+v", d)
		}
		counts[got]++
	}
	if counts["west"] != 500 || counts["next"] < 300 || counts["next"] > 600 {
		t.Errorf("counts %v, want 500 west and about 450 next", counts)
	}
}

func TestEmptyKeyGetsMajority(t *testing.T) {
	r := newRouter(t, canaryPlan(), canaryVariants())
	for range 100 {
		got, o, err := r.Serve(context.Background(), Unit{}, "x")
		if err != nil || got != "stable" || o.Decision.Reason != ReasonNoKey {
			t.Fatalf("anonymous: %q %+v %v", got, o, err)
		}
	}
}

func TestPanicIsContained(t *testing.T) {
	boom := PredictorFunc[string, string](func(context.Context, string) (string, error) { panic("model exploded") })
	r := newRouter(t, strategy.BigBang("bad"), map[string]Predictor[string, string]{"bad": boom, "good": echo("good")})
	_, err := r.Predict(context.Background(), Unit{Key: "u"}, "x")
	var pe *PanicError
	if !errors.Is(err, ErrPredictorPanic) || !errors.As(err, &pe) || pe.Variant != "bad" || pe.Value != "model exploded" || len(pe.Stack) == 0 {
		t.Fatalf("Predict = %v, want a PanicError for variant bad", err)
	}
	// With a fallback, the good variant serves and the outcome says so.
	p := strategy.BigBang("bad")
	p.Fallbacks = map[string]string{"bad": "good"}
	if err := r.SetPlan(p); err != nil {
		t.Fatal(err)
	}
	got, o, err := r.Serve(context.Background(), Unit{Key: "u"}, "x")
	if err != nil || got != "good" || o.Served != "good" || o.Decision.Variant != "bad" || !o.FellBack() || !errors.Is(o.Failure, ErrPredictorPanic) {
		t.Fatalf("Serve = %q, %+v, %v; want good serving for bad", got, o, err)
	}
}

func TestFallbackChain(t *testing.T) {
	errModel := errors.New("model error")
	p := strategy.BigBang("v3")
	p.Fallbacks = map[string]string{"v3": "v2", "v2": "v1"}
	vs := map[string]Predictor[string, string]{"v3": failing(errModel), "v2": failing(errModel), "v1": echo("v1")}
	r := newRouter(t, p, vs)
	got, o, err := r.Serve(context.Background(), Unit{Key: "u"}, "x")
	if err != nil || got != "v1" || o.Served != "v1" || !errors.Is(o.Failure, errModel) || !strings.Contains(o.Failure.Error(), `variant "v3"`) {
		t.Fatalf("Serve = %q, %+v, %v", got, o, err)
	}
	// Every variant of the chain failing returns the last error.
	vs["v1"] = failing(errModel)
	r2 := newRouter(t, p, vs)
	_, o, err = r2.Serve(context.Background(), Unit{Key: "u"}, "x")
	if !errors.Is(err, errModel) || o.Served != "" || o.Err != err {
		t.Fatalf("all failing: %+v, %v", o, err)
	}
}

func TestCancelledContextDoesNotFallBack(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var fallbackCalls atomic.Int32
	p := strategy.BigBang("a")
	p.Fallbacks = map[string]string{"a": "b"}
	vs := map[string]Predictor[string, string]{
		"a": PredictorFunc[string, string](func(ctx context.Context, _ string) (string, error) { return "", ctx.Err() }),
		"b": PredictorFunc[string, string](func(context.Context, string) (string, error) { fallbackCalls.Add(1); return "b", nil }),
	}
	r := newRouter(t, p, vs)
	if _, err := r.Predict(ctx, Unit{Key: "u"}, "x"); !errors.Is(err, context.Canceled) || fallbackCalls.Load() != 0 {
		t.Fatalf("Predict = %v with %d fallback calls, want context.Canceled and none", err, fallbackCalls.Load())
	}
}

func TestTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		hang := PredictorFunc[string, string](func(context.Context, string) (string, error) {
			<-release // ignores its context
			return "late", nil
		})
		p := strategy.BigBang("slow")
		p.Fallbacks = map[string]string{"slow": "fast"}
		r, err := New(Config[string, string]{
			Variants: map[string]Predictor[string, string]{"slow": hang, "fast": echo("fast")},
			Plan:     p,
			Timeout:  50 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		got, o, err := r.Serve(context.Background(), Unit{Key: "u"}, "x")
		if err != nil || got != "fast" || !errors.Is(o.Failure, context.DeadlineExceeded) {
			t.Fatalf("Serve = %q, %+v, %v", got, o, err)
		}
		if waited := time.Since(start); waited != 50*time.Millisecond {
			t.Errorf("waited %v, want the 50ms timeout", waited)
		}
		// Close waits for the abandoned call; it ends when released.
		closed := make(chan error)
		go func() { closed <- r.Close(context.Background()) }()
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("Close returned while a call was in flight")
		default:
		}
		close(release)
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
	})
}

func TestSetPlanRejectsAndKeepsServing(t *testing.T) {
	r := newRouter(t, canaryPlan(), canaryVariants())
	before := r.Plan()
	bad := canaryPlan()
	bad.Default[1].Weight = 20 // sums to 110
	err := r.SetPlan(bad)
	if err == nil || !strings.Contains(err.Error(), "default: weights sum to 110, want 100") {
		t.Fatalf("SetPlan = %v", err)
	}
	unknown := canaryPlan()
	unknown.Rules[0].Split[0].Variant = "east"
	if err := r.SetPlan(unknown); !errors.Is(err, ErrUnknownVariant) || !strings.Contains(err.Error(), "rules[0].split[0].variant") {
		t.Fatalf("SetPlan = %v", err)
	}
	if after := r.Plan(); after.Default.Weight("next") != before.Default.Weight("next") || after.Rules[0].Split[0].Variant != "west" {
		t.Errorf("plan changed after rejected SetPlan: %+v", after)
	}
	got, err := r.Predict(context.Background(), Unit{Key: "u", Attrs: audience.Attributes{audience.String("location", "california")}}, "x")
	if err != nil || got != "west" {
		t.Errorf("Predict after rejection = %q, %v", got, err)
	}
}

func TestPlanReturnsCopy(t *testing.T) {
	r := newRouter(t, canaryPlan(), canaryVariants())
	p := r.Plan()
	p.Default[0].Weight = 0
	p.Fallbacks["next"] = "west"
	if q := r.Plan(); q.Default[0].Weight != 90 || q.Fallbacks["next"] != "stable" {
		t.Errorf("Plan() shares state with the router: %+v", q)
	}
}

// TestSwapUnderLoad flips between two plans while requests run: every
// outcome's variant must be the one its own plan assigns.
func TestSwapUnderLoad(t *testing.T) {
	a := strategy.ABTest("plan-a", strategy.Split{{Variant: "x", Weight: 100}, {Variant: "y", Weight: 0}})
	b := strategy.ABTest("plan-b", strategy.Split{{Variant: "x", Weight: 0}, {Variant: "y", Weight: 100}})
	want := map[string]string{"plan-a": "x", "plan-b": "y"}
	r := newRouter(t, a, map[string]Predictor[string, string]{"x": echo("x"), "y": echo("y")})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var bad atomic.Int64
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				got, o, err := r.Serve(context.Background(), Unit{Key: fmt.Sprint(g, i)}, "in")
				if err != nil || got != want[o.Decision.Plan] || got != o.Decision.Variant {
					bad.Add(1)
				}
			}
		})
	}
	for i := range 200 {
		p := a
		if i%2 == 0 {
			p = b
		}
		if err := r.SetPlan(p); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d requests saw a mix of two plans", bad.Load())
	}
}

func TestPinKeepsOnePlanAcrossSwap(t *testing.T) {
	r := newRouter(t, strategy.BigBang("v1"), map[string]Predictor[string, string]{"v1": echo("v1"), "v2": echo("v2")})
	ctx, d := r.Pin(context.Background(), Unit{Key: "u"})
	if d.Variant != "v1" {
		t.Fatalf("pinned %s", d.Variant)
	}
	if err := r.SetPlan(strategy.BigBang("v2")); err != nil {
		t.Fatal(err)
	}
	for step := range 3 { // the pipeline's later calls
		if got, _ := r.Predict(ctx, Unit{Key: "other"}, "x"); got != "v1" {
			t.Fatalf("pipeline step %d served %s after the swap, want pinned v1", step, got)
		}
	}
	if pd, ok := r.PinnedDecision(ctx); !ok || pd.Variant != "v1" {
		t.Errorf("PinnedDecision = %+v, %v", pd, ok)
	}
	if got, _ := r.Predict(context.Background(), Unit{Key: "u"}, "x"); got != "v2" {
		t.Errorf("unpinned request served %s, want v2", got)
	}
	// Another router ignores this router's pin.
	r2 := newRouter(t, strategy.BigBang("v2"), map[string]Predictor[string, string]{"v2": echo("v2")})
	if _, ok := r2.PinnedDecision(ctx); ok {
		t.Error("a second router sees the first router's pin")
	}
	// Removing the pinned variant makes the pinned calls decide again.
	if err := r.RemoveVariant(context.Background(), "v1"); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Predict(ctx, Unit{Key: "u"}, "x"); err != nil || got != "v2" {
		t.Errorf("after removal, pinned call served %q, %v; want v2", got, err)
	}
}

type closer struct {
	Predictor[string, string]
	closed atomic.Int32
}

func (c *closer) Close() error { c.closed.Add(1); return nil }

func TestAddRemoveVariant(t *testing.T) {
	ctx := context.Background()
	r := newRouter(t, strategy.BigBang("v1"), map[string]Predictor[string, string]{"v1": echo("v1")})
	if err := r.SetPlan(strategy.Canary("v1", "v2", 50)); !errors.Is(err, ErrUnknownVariant) {
		t.Fatalf("SetPlan naming an unregistered variant = %v", err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	v2 := &closer{Predictor: PredictorFunc[string, string](func(_ context.Context, in string) (string, error) {
		if in == "block" {
			entered <- struct{}{}
			<-release
		}
		return "v2", nil
	})}
	if err := r.AddVariant("v2", v2); err != nil {
		t.Fatal(err)
	}
	if err := r.AddVariant("v2", echo("again")); !errors.Is(err, ErrVariantExists) {
		t.Errorf("second AddVariant = %v, want ErrVariantExists", err)
	}
	if err := r.SetPlan(strategy.BigBang("v2")); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Predict(ctx, Unit{Key: "u"}, "x"); got != "v2" {
		t.Fatalf("served %s, want the added v2", got)
	}
	if err := r.RemoveVariant(ctx, "v2"); !errors.Is(err, ErrVariantInUse) {
		t.Fatalf("RemoveVariant of the live variant = %v, want ErrVariantInUse", err)
	}
	if err := r.RemoveVariant(ctx, "nope"); !errors.Is(err, ErrUnknownVariant) {
		t.Errorf("RemoveVariant(nope) = %v", err)
	}
	// A call in flight on v2 when the plan moves away.
	done := make(chan string)
	go func() { got, _ := r.Predict(ctx, Unit{Key: "u"}, "block"); done <- got }()
	<-entered
	if err := r.SetPlan(strategy.BigBang("v1")); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.RemoveVariant(short, "v2"); !errors.Is(err, context.Canceled) || v2.closed.Load() != 0 {
		t.Fatalf("RemoveVariant with a done ctx = %v (closed %d)", err, v2.closed.Load())
	}
	// It is unregistered already; a fresh registration under the name works.
	removed := make(chan error)
	if err := r.AddVariant("v2b", v2); err != nil {
		t.Fatal(err)
	}
	go func() { removed <- r.RemoveVariant(ctx, "v2b") }()
	close(release)
	if got := <-done; got != "v2" {
		t.Errorf("in-flight call served %q, want v2 to finish its call", got)
	}
	if err := <-removed; err != nil {
		t.Fatal(err)
	}
	if v2.closed.Load() != 1 {
		t.Errorf("Close called %d times, want 1", v2.closed.Load())
	}
	if vs := r.Variants(); len(vs) != 1 || vs[0] != "v1" {
		t.Errorf("Variants = %v", vs)
	}
}

func TestClose(t *testing.T) {
	c := &closer{Predictor: echo("a")}
	r, err := New(Config[string, string]{Variants: map[string]Predictor[string, string]{"a": c}, Plan: strategy.BigBang("a")})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.closed.Load() != 1 {
		t.Errorf("predictor closed %d times", c.closed.Load())
	}
	if _, err := r.Predict(context.Background(), Unit{Key: "u"}, "x"); !errors.Is(err, ErrClosed) {
		t.Errorf("Predict after Close = %v", err)
	}
	if err := r.SetPlan(strategy.BigBang("a")); !errors.Is(err, ErrClosed) {
		t.Errorf("SetPlan after Close = %v", err)
	}
	if err := r.AddVariant("b", echo("b")); !errors.Is(err, ErrClosed) {
		t.Errorf("AddVariant after Close = %v", err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if d := r.Decide(Unit{Key: "u"}); d.Variant != "a" {
		t.Errorf("Decide after Close = %+v", d)
	}
}

func TestCloseDeadline(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	p := PredictorFunc[string, string](func(context.Context, string) (string, error) {
		close(entered)
		<-release
		return "a", nil
	})
	r, err := New(Config[string, string]{Variants: map[string]Predictor[string, string]{"a": p}, Plan: strategy.BigBang("a")})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = r.Predict(context.Background(), Unit{Key: "u"}, "x") }()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close with a done ctx and a call in flight = %v", err)
	}
	close(release)
}

func TestObservers(t *testing.T) {
	var mu sync.Mutex
	var seen []Outcome
	obs := ObserverFunc(func(_ context.Context, o Outcome) { mu.Lock(); seen = append(seen, o); mu.Unlock() })
	r, err := New(Config[string, string]{
		Variants:  map[string]Predictor[string, string]{"a": echo("a")},
		Plan:      strategy.BigBang("a"),
		Observers: []Observer{obs},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	var extra atomic.Int32
	remove, err := r.AddObserver(ObserverFunc(func(context.Context, Outcome) { extra.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.AddObserver(nil); !errors.Is(err, ErrNilObserver) {
		t.Errorf("AddObserver(nil) = %v, want ErrNilObserver", err)
	}
	if _, err := New(Config[string, string]{Variants: map[string]Predictor[string, string]{"a": echo("a")}, Plan: strategy.BigBang("a"), Observers: []Observer{nil}}); !errors.Is(err, ErrNilObserver) {
		t.Errorf("New with a nil observer = %v, want ErrNilObserver", err)
	}
	_, _ = r.Predict(context.Background(), Unit{Key: "u"}, "x")
	remove()
	_, _ = r.Predict(context.Background(), Unit{Key: "u"}, "x")
	if len(seen) != 2 || seen[0].Served != "a" || seen[0].Latency <= 0 || seen[0].Decision.Plan != "bigbang" {
		t.Errorf("config observer saw %+v", seen)
	}
	if extra.Load() != 1 {
		t.Errorf("removed observer called %d times, want 1", extra.Load())
	}
}

func TestDecideAndPredictAllocs(t *testing.T) {
	r := newRouter(t, canaryPlan(), canaryVariants())
	ctx := context.Background()
	loc := "nevada"
	tests := []struct {
		name string
		f    func()
	}{
		{"Decide", func() {
			_ = r.Decide(Unit{Key: "user-42", Attrs: audience.Attributes{audience.String("location", loc), audience.Int("age", 30)}})
		}},
		{"Predict", func() {
			_, _ = r.Predict(ctx, Unit{Key: "user-42", Attrs: audience.Attributes{audience.String("location", loc), audience.Int("age", 30)}}, "in")
		}},
		{"Serve", func() {
			_, _, _ = r.Serve(ctx, Unit{Key: "user-42", Attrs: audience.Attributes{audience.String("location", loc)}}, "in")
		}},
	}
	for _, tc := range tests {
		if n := testing.AllocsPerRun(200, tc.f); n != 0 {
			t.Errorf("%s: %v allocs, want 0", tc.name, n)
		}
	}
}
