package rollout

import (
	"github.com/varroute/varroute/strategy"
	"go.opentelemetry.io/otel/metric"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of BlueGreen.
var (
	// ErrVerification is matched by the error Switch returns when the idle
	// slot fails its verification; the live slot keeps serving.
	ErrVerification = errors.New("rollout: verification of the idle slot failed")
	// ErrNoPrevious is returned by Rollback before any Switch.
	ErrNoPrevious = errors.New("rollout: no previous slot to roll back to")
)

// BlueGreenConfig configures a BlueGreen. strategy.Target, Live and Standby are
// required.
type BlueGreenConfig struct {
	// strategy.Target receives the plans.
	Target strategy.Target
	// Live is the variant serving now, Standby the idle one that Switch
	// makes live.
	Live, Standby string
	// Name is the plans' name. Empty means "bluegreen".
	Name string
	// Fallback makes the standby slot the live slot's fallback, so a
	// request whose live call fails is served by the other slot. False
	// means no fallback.
	Fallback bool
	// Verify checks the idle slot before Switch makes it live — smoke
	// inputs with expected outputs (see SmokeTest) or any function; an
	// error cancels the switch. It is called with the controller's lock
	// held, so it must not call the BlueGreen. Nil means no verification.
	Verify func(ctx context.Context, slot string) error
	// Now tells the time of events. Nil means time.Now.
	Now func() time.Time
	// OnEvent receives every switch, with no lock held. Nil means none.
	OnEvent func(Event)
	// Logger logs every switch. Nil means slog.Default().
	Logger *slog.Logger
	// MeterProvider supplies the transition metrics (varroute.rollout.*).
	// Nil means otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
}

// A BlueGreen keeps two slots — two variants — one live, serving every
// unit, the other on standby. Switch verifies the standby slot and makes it
// live in one SetPlan; Rollback makes the previous slot live again at once,
// without verification. A router swaps plans atomically and each request
// keeps the plan it started with, so requests in flight finish on the slot
// they started on.
//
// A BlueGreen is safe for concurrent use; its operations are serialized.
type BlueGreen struct {
	cfg    BlueGreenConfig
	ev     events
	status atomic.Pointer[BlueGreenStatus]

	mu       sync.Mutex
	live     string
	standby  string
	switched bool
	switches int
}

// BlueGreenStatus is what BlueGreen.Status returns.
type BlueGreenStatus struct {
	// Live serves every unit; Standby is idle.
	Live, Standby string
	// Switches counts switches and rollbacks applied.
	Switches int
	// Changed is the time of the last switch, Reason its reason.
	Changed time.Time
	Reason  string
}

// NewBlueGreen validates cfg and returns a BlueGreen. It does not call the
// target: start the router with strategy.Plan(). For a missing Target, or
// Live and Standby not two variants, it returns an error matching ErrConfig
// that names the field ("rollout: BlueGreenConfig.Standby ..."); for an
// invalid plan (a bad Name, say), one matching both ErrConfig and
// strategy.ErrInvalidPlan.
func NewBlueGreen(cfg BlueGreenConfig) (*BlueGreen, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "bluegreen"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b := &BlueGreen{cfg: cfg, live: cfg.Live, standby: cfg.Standby}
	if err := b.planFor(b.live, b.standby).Validate(); err != nil {
		return nil, planError("BlueGreenConfig: plan", err)
	}
	ev, err := newEvents(cfg.OnEvent, cfg.Logger, cfg.MeterProvider, "bluegreen", cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("rollout: bluegreen: telemetry: %w", err)
	}
	b.ev = ev
	b.publish("")
	return b, nil
}

func (b *BlueGreen) planFor(live, standby string) strategy.Plan {
	p := strategy.Plan{Name: b.cfg.Name, Default: strategy.Split{{Variant: live, Weight: 100}, {Variant: standby, Weight: 0}}}
	if b.cfg.Fallback {
		p.Fallbacks = map[string]string{live: standby}
	}
	return p
}

// strategy.Plan returns the plan of the current live slot.
func (b *BlueGreen) Plan() strategy.Plan {
	s := b.Status()
	return b.planFor(s.Live, s.Standby)
}

func (b *BlueGreen) publish(reason string) {
	b.status.Store(&BlueGreenStatus{Live: b.live, Standby: b.standby, Switches: b.switches, Changed: b.cfg.Now(), Reason: reason})
}

// Status returns the slots and the last switch. It takes no lock.
func (b *BlueGreen) Status() BlueGreenStatus { return *b.status.Load() }

// Switch verifies the standby slot (Verify) and makes it live. On a failed
// verification it returns an error matching ErrVerification and changes
// nothing; if the target refuses the plan it returns that error.
func (b *BlueGreen) Switch(ctx context.Context) error {
	b.mu.Lock()
	idle := b.standby
	if b.cfg.Verify != nil {
		if err := b.cfg.Verify(ctx, idle); err != nil {
			b.mu.Unlock()
			return fmt.Errorf("%w: slot %q: %w", ErrVerification, idle, err)
		}
	}
	ev, err := b.flip(fmt.Sprintf("switched to %s (verified), %s on standby", idle, b.live))
	b.mu.Unlock()
	if err != nil {
		return err
	}
	b.ev.deliver([]Event{ev})
	return nil
}

// Rollback makes the previous live slot live again at once, without
// verification. It returns ErrNoPrevious before any Switch, or the target's
// error.
func (b *BlueGreen) Rollback() error {
	b.mu.Lock()
	if !b.switched {
		b.mu.Unlock()
		return ErrNoPrevious
	}
	ev, err := b.flip(fmt.Sprintf("rolled back to %s, %s on standby", b.standby, b.live))
	b.mu.Unlock()
	if err != nil {
		return err
	}
	ev.Kind = EventRolledBack
	b.ev.deliver([]Event{ev})
	return nil
}

// flip applies the plan with the slots exchanged. Called with b.mu held.
func (b *BlueGreen) flip(reason string) (Event, error) {
	p := b.planFor(b.standby, b.live)
	if err := b.cfg.Target.SetPlan(p); err != nil {
		return Event{}, fmt.Errorf("rollout: bluegreen: set plan: %w", err)
	}
	b.live, b.standby = b.standby, b.live
	b.switched = true
	b.switches++
	b.publish(reason)
	return Event{Time: b.cfg.Now(), Kind: EventSwitched, Percent: 100, Reason: reason}, nil
}

// A SmokeCase is an input and the output expected of a healthy slot.
type SmokeCase[In, Out any] struct {
	In   In
	Want Out
}

// SmokeTest returns a BlueGreenConfig.Verify function that calls the slot
// with each case's input through call and compares the output with the
// case's Want using equal. call usually calls the slot's predictor directly
// (the application holds its predictors, by variant name). The returned
// function stops at the first failure and reports the case's index; it is
// safe for concurrent use if call is.
func SmokeTest[In, Out any](call func(ctx context.Context, slot string, in In) (Out, error), equal func(got, want Out) bool, cases ...SmokeCase[In, Out]) func(ctx context.Context, slot string) error {
	return func(ctx context.Context, slot string) error {
		for i, c := range cases {
			got, err := call(ctx, slot, c.In)
			if err != nil {
				return fmt.Errorf("rollout: smoke case %d: %w", i, err)
			}
			if !equal(got, c.Want) {
				return fmt.Errorf("rollout: smoke case %d: got %v, want %v", i, got, c.Want)
			}
		}
		return nil
	}
}
