package router_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/varroute/varroute/exposure"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// gated is a predictor that blocks until its gate opens and counts its
// Close calls.
type gated struct {
	entered chan struct{} // receives one value per call that started
	gate    chan struct{} // closed to let calls return
	closed  atomic.Int32
}

func newGated() *gated {
	return &gated{entered: make(chan struct{}, 16), gate: make(chan struct{})}
}

func (g *gated) Predict(_ context.Context, in string) (string, error) {
	g.entered <- struct{}{}
	<-g.gate
	return in, nil
}

func (g *gated) Close() error {
	g.closed.Add(1)
	return nil
}

// exposures records exposures.
type exposures struct {
	mu sync.Mutex
	n  int
}

func (e *exposures) Log(context.Context, exposure.Exposure) {
	e.mu.Lock()
	e.n++
	e.mu.Unlock()
}

func (e *exposures) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

func TestCloseWaitsForRequestsThenCanBeRetried(t *testing.T) {
	g := newGated()
	logged := &exposures{}
	var observed atomic.Int32
	r, err := router.New(router.Config[string, string]{
		Variants:  map[string]router.Predictor[string, string]{"a": g},
		Plan:      strategy.BigBang("a"),
		Exposures: logged,
		Observers: []router.Observer{router.ObserverFunc(func(context.Context, router.Outcome) { observed.Add(1) })},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pinned, _ := r.Pin(ctx, router.Unit{Key: "u"})

	served := make(chan error, 1)
	go func() {
		_, err := r.Predict(ctx, router.Unit{Key: "u"}, "x")
		served <- err
	}()
	<-g.entered // the request is in flight

	// A Close whose context has already ended returns at once with an
	// error that says what is still running, and leaves the router closed.
	expired, cancel := context.WithCancel(ctx)
	cancel()
	err = r.Close(expired)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Close(expired ctx) = %v, want context.Canceled", err)
	}
	if _, err := r.Predict(ctx, router.Unit{Key: "v"}, "x"); !errors.Is(err, router.ErrClosed) {
		t.Errorf("Predict after Close = %v, want ErrClosed", err)
	}
	if _, err := r.Predict(pinned, router.Unit{Key: "u"}, "x"); !errors.Is(err, router.ErrClosed) {
		t.Errorf("pinned Predict after Close = %v, want ErrClosed", err)
	}
	if err := r.SetPlan(strategy.BigBang("a")); !errors.Is(err, router.ErrClosed) {
		t.Errorf("SetPlan after Close = %v, want ErrClosed", err)
	}
	if _, err := r.AddObserver(router.ObserverFunc(func(context.Context, router.Outcome) {})); !errors.Is(err, router.ErrClosed) {
		t.Errorf("AddObserver after Close = %v, want ErrClosed", err)
	}
	if n := g.closed.Load(); n != 0 {
		t.Fatalf("predictor closed %d times while a request was in flight", n)
	}

	// A second Close waits for the request, its observer and its exposure,
	// then closes the predictor.
	closed := make(chan error, 1)
	go func() { closed <- r.Close(ctx) }()
	close(g.gate)
	if err := <-closed; err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("the request in flight failed: %v", err)
	}
	if logged.count() != 1 || observed.Load() != 1 {
		t.Errorf("after Close: %d exposures, %d observations; want the served request's 1 and 1", logged.count(), observed.Load())
	}
	if n := g.closed.Load(); n != 1 {
		t.Errorf("predictor closed %d times, want 1", n)
	}
	if err := r.Close(ctx); err != nil || g.closed.Load() != 1 {
		t.Errorf("third Close = %v, predictor closed %d times; want nil and 1", err, g.closed.Load())
	}
}

func TestCloseDeadlineWithTimeoutPredictor(t *testing.T) {
	g := newGated()
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"a": g},
		Plan:     strategy.BigBang("a"),
		Timeout:  time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The call times out, but its predictor keeps running on its goroutine:
	// Close must wait for it before closing the predictor.
	if _, err := r.Predict(context.Background(), router.Unit{Key: "u"}, "x"); err == nil {
		t.Fatal("Predict: no timeout error")
	}
	<-g.entered
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Close(expired); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close with the predictor running = %v, want context.Canceled", err)
	}
	close(g.gate)
	if err := r.Close(context.Background()); err != nil || g.closed.Load() != 1 {
		t.Fatalf("Close = %v, predictor closed %d times; want nil and 1", err, g.closed.Load())
	}
}
