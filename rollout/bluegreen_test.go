package rollout_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/varroute/varroute/rollout"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// slotRouter returns a router whose variants "blue" and "green" answer
// their own name; an input of "block" on blue waits for release.
func slotRouter(t *testing.T, plan strategy.Plan, entered chan<- struct{}, release <-chan struct{}) *router.Router[string, string] {
	t.Helper()
	slot := func(name string) router.Predictor[string, string] {
		return router.PredictorFunc[string, string](func(ctx context.Context, in string) (string, error) {
			if in == "block" {
				entered <- struct{}{}
				<-release
			}
			return name, nil
		})
	}
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"blue": slot("blue"), "green": slot("green")},
		Plan:     plan,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

func newBlueGreen(t *testing.T, target strategy.Target, verify func(context.Context, string) error, on func(rollout.Event)) *rollout.BlueGreen {
	t.Helper()
	bg, err := rollout.NewBlueGreen(rollout.BlueGreenConfig{Target: target, Live: "blue", Standby: "green", Verify: verify, Now: newFakeClock().Now, Logger: quiet, OnEvent: on})
	if err != nil {
		t.Fatal(err)
	}
	return bg
}

// TestBlueGreenUnderLoad switches and rolls back while 8 goroutines send
// requests: none is lost or fails, and each is served by the slot its
// decision named.
func TestBlueGreenUnderLoad(t *testing.T) {
	const workers, perWorker = 8, 2000
	var r *router.Router[string, string]
	bg := newBlueGreen(t, strategy.TargetFunc(func(p strategy.Plan) error { return r.SetPlan(p) }), nil, nil)
	r = slotRouter(t, bg.Plan(), nil, nil)
	var served [2]atomic.Int64
	var bad atomic.Int64
	var wg sync.WaitGroup
	ctx := context.Background()
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range perWorker {
				out, o, err := r.Serve(ctx, router.Unit{Key: "u" + string(rune('a'+rng.IntN(26)))}, "x")
				if err != nil || out != o.Decision.Variant || o.Served != out {
					bad.Add(1)
					continue
				}
				if out == "blue" {
					served[0].Add(1)
				} else {
					served[1].Add(1)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	flips := 0
	for loop := true; loop; {
		select {
		case <-done:
			loop = false
		default:
			var err error
			if flips%2 == 0 {
				err = bg.Switch(ctx)
			} else {
				err = bg.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			flips++
		}
	}
	total := served[0].Load() + served[1].Load()
	t.Logf("%d requests (%d blue, %d green) during %d switches and rollbacks", total, served[0].Load(), served[1].Load(), flips)
	if bad.Load() != 0 || total != workers*perWorker {
		t.Fatalf("%d bad answers, %d of %d served", bad.Load(), total, workers*perWorker)
	}
	if st := bg.Status(); st.Switches != flips || !reflect.DeepEqual(r.Plan().Default, bg.Plan().Default) {
		t.Fatalf("status %+v after %d flips; router serves %+v", st, flips, r.Plan().Default)
	}
}

// TestBlueGreenInFlight checks that a request in flight during a switch
// finishes on the slot it started on, while new requests go to the new slot.
func TestBlueGreenInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var r *router.Router[string, string]
	bg := newBlueGreen(t, strategy.TargetFunc(func(p strategy.Plan) error { return r.SetPlan(p) }), nil, nil)
	r = slotRouter(t, bg.Plan(), entered, release)
	ctx := context.Background()
	type result struct {
		out string
		o   router.Outcome
		err error
	}
	res := make(chan result)
	go func() {
		out, o, err := r.Serve(ctx, router.Unit{Key: "k"}, "block")
		res <- result{out, o, err}
	}()
	<-entered // the request is in blue's predictor
	if err := bg.Switch(ctx); err != nil {
		t.Fatal(err)
	}
	if out, err := r.Predict(ctx, router.Unit{Key: "k"}, "x"); err != nil || out != "green" {
		t.Fatalf("after the switch: %q, %v; want green", out, err)
	}
	close(release)
	got := <-res
	if got.err != nil || got.out != "blue" || got.o.Decision.Variant != "blue" {
		t.Fatalf("in-flight request: %q (decided %q), %v; want blue", got.out, got.o.Decision.Variant, got.err)
	}
}

func TestBlueGreenVerify(t *testing.T) {
	call := func(_ context.Context, slot string, in int) (int, error) {
		if slot == "green" {
			return in * 3, nil // a broken build
		}
		return in * 2, nil
	}
	eq := func(a, b int) bool { return a == b }
	cases := []struct {
		name     string
		verify   func(context.Context, string) error
		wantErr  error
		wantLive string
	}{
		{"no verification", nil, nil, "green"},
		{"smoke test passes on zero", rollout.SmokeTest(call, eq, rollout.SmokeCase[int, int]{In: 0, Want: 0}), nil, "green"},
		{"smoke test fails", rollout.SmokeTest(call, eq, rollout.SmokeCase[int, int]{In: 0, Want: 0}, rollout.SmokeCase[int, int]{In: 2, Want: 4}), rollout.ErrVerification, "blue"},
		{"user function fails", func(context.Context, string) error { return errors.New("unhealthy") }, rollout.ErrVerification, "blue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var applied []string
			var events []rollout.EventKind
			bg := newBlueGreen(t, strategy.TargetFunc(func(p strategy.Plan) error {
				applied = append(applied, p.Default.Majority())
				return nil
			}), c.verify, func(e rollout.Event) { events = append(events, e.Kind) })
			err := bg.Switch(context.Background())
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
				t.Fatalf("Switch = %v, want %v", err, c.wantErr)
			}
			if live := bg.Status().Live; live != c.wantLive {
				t.Fatalf("live %q, want %q", live, c.wantLive)
			}
			if c.wantErr != nil {
				if len(applied) != 0 || len(events) != 0 {
					t.Fatalf("a failed verification applied %v, events %v", applied, events)
				}
				if err := bg.Rollback(); !errors.Is(err, rollout.ErrNoPrevious) {
					t.Fatalf("Rollback = %v, want ErrNoPrevious", err)
				}
				return
			}
			if err := bg.Rollback(); err != nil {
				t.Fatal(err)
			}
			if want := []string{"green", "blue"}; !reflect.DeepEqual(applied, want) {
				t.Fatalf("applied %v, want %v", applied, want)
			}
			if want := []rollout.EventKind{rollout.EventSwitched, rollout.EventRolledBack}; !reflect.DeepEqual(events, want) {
				t.Fatalf("events %v, want %v", events, want)
			}
		})
	}
}

// TestRolling runs rolling updates through a real router: a healthy one
// goes through every batch; one whose new version breaks a gate halts and
// reverts every unit to the old version.
func TestRolling(t *testing.T) {
	adv := rollout.EventAdvanced
	cases := []struct {
		name      string
		next      model
		gate      rollout.Gate
		want      rollout.State
		wantKinds []rollout.EventKind
		wantPct   float64
	}{
		{"healthy goes through 4 batches", stable, rollout.Gate{MaxLatency: 50 * ms}, rollout.StatePromoted,
			[]rollout.EventKind{rollout.EventStarted, adv, adv, adv, rollout.EventPromoted}, 100},
		{"10% errors fails the first batch", model{errRate: 0.10, median: 20 * ms, sigma: 0.3}, rollout.Gate{}, rollout.StateRolledBack,
			[]rollout.EventKind{rollout.EventStarted, rollout.EventRolledBack}, 0},
		{"slow p90 fails the first batch", model{errRate: 0.01, median: 60 * ms, sigma: 0.3}, rollout.Gate{MaxLatency: 50 * ms}, rollout.StateRolledBack,
			[]rollout.EventKind{rollout.EventStarted, rollout.EventRolledBack}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			models := map[string]model{"v1": stable, "v2": c.next}
			r := newRouter(t, models)
			clock := newFakeClock()
			var log eventLog
			u, err := rollout.NewRolling(rollout.RollingConfig{Target: r, Old: "v1", New: "v2", Pause: 10 * time.Minute, Gate: c.gate,
				Now: clock.Now, Logger: quiet, OnEvent: log.add})
			if err != nil {
				t.Fatal(err)
			}
			s := &sim{clock: clock, rng: rand.New(rand.NewPCG(12, 13)), models: models, perTick: 200, tick: time.Minute, serve: routerServe(r),
				observe: func(o router.Outcome) { u.Observe(context.Background(), o) }}
			s.run(t, u, 200)
			st := u.Status()
			t.Logf("%v after %d requests: %s", st.State, s.seq, st.Reason)
			if st.State != c.want || st.Percent != c.wantPct || r.Plan().Default.Weight("v2") != c.wantPct {
				t.Fatalf("state %v at %g%% (router %g%%), want %v at %g%%", st.State, st.Percent, r.Plan().Default.Weight("v2"), c.want, c.wantPct)
			}
			if got := log.kinds(); !reflect.DeepEqual(got, c.wantKinds) {
				t.Fatalf("events %v, want %v", got, c.wantKinds)
			}
		})
	}
}
