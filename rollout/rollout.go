package rollout

import (
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
	"go.opentelemetry.io/otel/metric"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of the controllers' manual operations.
var (
	// ErrFinished is returned by an operation on a controller that has
	// already promoted, rolled back or aborted.
	ErrFinished = errors.New("rollout: controller finished")
	// ErrNotPaused is returned by Resume on a controller that is not paused.
	ErrNotPaused = errors.New("rollout: controller not paused")
	// ErrNotRunning is returned by Pause on a controller that is not running.
	ErrNotRunning = errors.New("rollout: controller not running")
)

// State is the state of a Rollout or Rolling update.
type State int

// The states of a Rollout.
const (
	// StatePending: created; the first Step applies the first step's plan.
	StatePending State = iota
	// StateRunning: a step is being held and checked.
	StateRunning
	// StatePaused: paused by hand or halted; the current plan keeps
	// serving and nothing is checked until Resume.
	StatePaused
	// StatePromoted: the candidate serves 100%, the baseline is its
	// fallback. Final.
	StatePromoted
	// StateRolledBack: a guardrail failed; the baseline serves 100%. Final.
	StateRolledBack
	// StateAborted: aborted by hand; the baseline serves 100%. Final.
	StateAborted
)

var stateNames = [...]string{"pending", "running", "paused", "promoted", "rolled-back", "aborted"}

// String returns the state's name, such as "rolled-back".
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Final reports whether s is promoted, rolled back or aborted.
func (s State) Final() bool { return s >= StatePromoted }

// RolloutConfig configures a Rollout. strategy.Target, Baseline and Candidate are
// required; every other zero field has the default its comment gives.
type RolloutConfig struct {
	// strategy.Target receives the plans: a router, strategy.Targets fanning out to several,
	// or an adapter publishing to a shared plan source.
	Target strategy.Target
	// Baseline is the stable variant, Candidate the new one.
	Baseline, Candidate string
	// strategy.Plan is the base plan. Its Default split is re-weighted at each step
	// with strategy.Split.WithWeight(Candidate, percent), and its Name kept, so
	// assignments are sticky and only move from baseline to candidate. A
	// zero strategy.Plan (empty Name) means strategy.Canary(Baseline, Candidate, percent):
	// named "canary/<candidate>", with Baseline as the candidate's
	// fallback.
	Plan strategy.Plan
	// Steps are the candidate's percentages, ascending, in (0, 100]. The
	// last step, if below 100, is followed by the promotion to 100%; a
	// step of 100 is the promotion. Nil means 1, 5, 25, 50, 100.
	Steps []float64
	// MinDuration is how long each step is held at least, whatever the
	// evidence (a step whose pooled evidence already suffices otherwise
	// advances as soon as it has MinSamples). Zero means none; negative is
	// an error.
	MinDuration time.Duration
	// MinSamples is how many requests each of the two variants must have,
	// over the steps so far, before any verdict, and in a step's window
	// before the step can pass. Zero means 100; negative is an error.
	MinSamples int64
	// Alpha bounds, over the whole rollout, the probability of rolling back
	// a candidate no worse than the baseline, and, separately, of promoting
	// one whose harm exceeds a margin (see the package doc), in (0, 1). Zero
	// means 0.05.
	Alpha float64
	// Guardrails are the checks run on each step window.
	Guardrails Guardrails
	// Now tells the time. Nil means time.Now. Tests and replays of recorded
	// traffic pass a simulated clock.
	Now func() time.Time
	// Window is where the figures are read. Nil means a Collector that the
	// Rollout owns and feeds from Observe; with a Window of your own,
	// Observe and RecordMetric do nothing.
	Window Window
	// MaxWait is how long a running step may go without evidence (every
	// Window read failing) before the Rollout halts, with the last read's
	// error as its reason. Zero means 10 minutes; negative is an error.
	MaxWait time.Duration
	// OnEvent receives every transition, after it is applied, on the
	// goroutine that caused it and with no lock held. Nil means none.
	OnEvent func(Event)
	// Logger logs every transition. Nil means slog.Default().
	Logger *slog.Logger
	// MeterProvider supplies the transition metrics (varroute.rollout.*).
	// Nil means otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
}

// A Rollout is a progressive canary: it sends a growing share of units to a
// candidate — 1%, 5%, 25%, 50%, 100% by default — and moves to the next step
// only on evidence: always-valid upper bounds on the candidate's harm, pooled
// over the steps so far, below the margins the next share allows (see
// Guardrails and the package doc), after MinDuration and with MinSamples
// requests per variant in the step. A step without that evidence holds and
// says what it waits for (Status.Figures.Holding, Needed). A lower bound on a
// harm above zero rolls back at once (every unit to the baseline); a sample
// ratio mismatch of units halts it (paused) as broken instrumentation; a
// candidate shown within the promotion margins at any step is promoted at
// once. After the last step the candidate serves 100% with the baseline as
// its fallback.
//
// A Rollout changes nothing by itself: each Step (called by Run on a ticker
// in production, by hand in tests) reads the clock and the window and makes
// at most one transition. It reads outcomes through Observe: register it with
// router.AddObserver. Pause, Resume, Promote and Abort act by hand.
//
// A Rollout is safe for concurrent use: Observe and RecordMetric from any
// number of goroutines, allocation-free and lock-free for Observe; Step and
// the manual operations are serialized. The strategy.Target is called with that
// serializing lock held, so it must not call the Rollout back.
type Rollout struct {
	cfg    RolloutConfig
	steps  []float64
	check  checker
	ev     events
	coll   *Collector
	window Window
	status atomic.Pointer[Status]
	kind   string
	// holdFull holds a step of 100% like any other (Rolling gates its last
	// batch); a Rollout promotes on reaching it.
	holdFull bool

	mu        sync.Mutex // serializes Step and manual operations
	state     State
	step      int
	stepStart time.Time
	revision  string // router.Revision of the step's plan
	since     time.Time
	// offset is subtracted from the step's evidence: what the step had
	// counted when Resume restarted its window (offsetPending until the
	// first read after Resume takes it).
	offset        Evidence
	offsetPending bool
	segs          []*segment // the evidence of each step so far, current last
	metrics       []string   // guardrail metric names
	stepRequests  int64      // requests of both variants in the step, at the last read
	doneRequests  int64      // requests of both variants in the steps before
	lastEvidence  time.Time
	waiting       string
	figures       Figures
	reason        string
	lastKind      EventKind
	lastChange    time.Time
}

// Status is a Rollout's state, as Status returns it.
type Status struct {
	// State is the controller's state.
	State State
	// Step is the index of the current step in the steps; Percent its
	// candidate share (what the target serves).
	Step    int
	Percent float64
	// StepStarted is when the current step's window began.
	StepStarted time.Time
	// Figures are the window's figures at the last Step.
	Figures Figures
	// Last is the kind of the last transition, Reason its reason and
	// Changed its time.
	Last    EventKind
	Reason  string
	Changed time.Time
	// Waiting says why the last Step made no decision for lack of evidence
	// (the Window's error); "" when it had evidence.
	Waiting string
}

// NewRollout validates cfg and returns a pending Rollout; its first Step
// applies the first step's plan. For a bad field — a required one missing,
// steps not ascending in (0, 100], a negative minimum, Alpha outside
// (0, 1), a guardrail out of its range, NaN or ±Inf anywhere — it returns
// an error matching ErrConfig that names the field's path
// ("rollout: RolloutConfig.Guardrails.MaxErrorRate is 5, ..."); for an
// invalid plan, one matching both ErrConfig and strategy.ErrInvalidPlan.
func NewRollout(cfg RolloutConfig) (*Rollout, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Alpha == 0 {
		cfg.Alpha = 0.05
	}
	cfg.Guardrails = cfg.Guardrails.withDefaults()
	steps := cfg.Steps
	if steps == nil {
		steps = []float64{1, 5, 25, 50, 100}
	}
	g := cfg.Guardrails
	c := guardrailChecker{g: g, alpha: cfg.Alpha / float64(g.rollbackTests()), promoteAlpha: cfg.Alpha / float64(g.gateTests())}
	r, err := newProgressive(cfg, steps, c, "rollout")
	if err != nil {
		return nil, err
	}
	for _, m := range g.Metrics {
		r.metrics = append(r.metrics, m.Name)
	}
	return r, nil
}

func newProgressive(cfg RolloutConfig, steps []float64, c checker, kind string) (*Rollout, error) {
	if cfg.Target == nil {
		return nil, fmt.Errorf("rollout: %s: target required", kind)
	}
	if cfg.Baseline == "" || cfg.Candidate == "" || cfg.Baseline == cfg.Candidate {
		return nil, fmt.Errorf("rollout: %s: baseline %q and candidate %q must be two variants", kind, cfg.Baseline, cfg.Candidate)
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("rollout: %s: no steps", kind)
	}
	for i, s := range steps {
		if !(s > 0 && s <= 100) || (i > 0 && s <= steps[i-1]) {
			return nil, fmt.Errorf("rollout: %s: steps must ascend in (0, 100], got %v", kind, steps)
		}
	}
	if cfg.MinSamples == 0 {
		cfg.MinSamples = 100
	}
	if cfg.MinSamples < 0 || cfg.MinDuration < 0 || cfg.MaxWait < 0 {
		return nil, fmt.Errorf("rollout: %s: negative minimum", kind)
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Plan.Name != "" {
		cfg.Plan = cfg.Plan.Clone()
	}
	r := &Rollout{cfg: cfg, steps: slices.Clone(steps), check: c, window: cfg.Window, kind: kind}
	for _, pct := range []float64{0, r.steps[0], 100} {
		if err := r.planAt(pct).Validate(); err != nil {
			path := "RolloutConfig.Plan"
			if kind == "rolling" {
				path = "RollingConfig.Plan"
			}
			return nil, planError(fmt.Sprintf("%s at %g%%", path, pct), err)
		}
	}
	name := r.planAt(0).Name
	if r.window == nil {
		r.coll = NewCollector(name, cfg.Baseline, cfg.Candidate)
		r.window = r.coll
	}
	ev, err := newEvents(cfg.OnEvent, cfg.Logger, cfg.MeterProvider, kind, name)
	if err != nil {
		return nil, fmt.Errorf("rollout: %s: telemetry: %w", kind, err)
	}
	r.ev = ev
	r.publish()
	return r, nil
}

// planAt returns the plan that gives the candidate pct percent.
func (r *Rollout) planAt(pct float64) strategy.Plan {
	if r.cfg.Plan.Name == "" {
		return strategy.Canary(r.cfg.Baseline, r.cfg.Candidate, pct)
	}
	p := r.cfg.Plan.Clone()
	p.Default = p.Default.WithWeight(r.cfg.Candidate, pct)
	return p
}

// PlanName returns the name of the plans the Rollout applies (the hash
// salt): the router.Decision.Plan of the outcomes it counts.
func (r *Rollout) PlanName() string { return r.planAt(0).Name }

// Observe counts an outcome of the Rollout's plan in its window, for its
// assigned variant; it makes a Rollout a router.Observer. Outcomes of other
// plans and of units without a key are ignored. It allocates nothing and
// takes no lock. With a Window of your own (RolloutConfig.Window) it does
// nothing.
func (r *Rollout) Observe(ctx context.Context, o router.Outcome) {
	if r.coll != nil {
		r.coll.Observe(ctx, o)
	}
}

// RecordMetric adds a value of a user metric — a business outcome learnt
// after the response — for the unit that d decided, in the variant d
// assigned (intent to treat), whatever step the Rollout has reached since.
// Keep the Decision from Serve's Outcome or from Router.Pin. Decisions of
// other plans, of units without a key and of variants the Rollout does not
// compare are ignored; so is every value when RolloutConfig.Window is set.
// A value recorded after the controller has left the decision's step counts
// in that step's revision but is not read any more: the controller judges
// the steps it has left on what it read while they ran.
func (r *Rollout) RecordMetric(d router.Decision, name string, value float64) {
	if r.coll != nil {
		r.coll.RecordMetric(d, name, value)
	}
}

// Status returns the Rollout's state, its step, the figures of its window at
// the last Step and the reason of its last transition. It takes no lock.
func (r *Rollout) Status() Status { return *r.status.Load() }

func (r *Rollout) publish() {
	s := &Status{
		State:       r.state,
		Step:        r.step,
		Percent:     r.percent(),
		StepStarted: r.stepStart,
		Figures:     r.figures,
		Last:        r.lastKind,
		Reason:      r.reason,
		Changed:     r.lastChange,
		Waiting:     r.waiting,
	}
	r.status.Store(s)
}

func (r *Rollout) percent() float64 {
	switch r.state {
	case StatePending, StateRolledBack, StateAborted:
		return 0
	case StatePromoted:
		return 100
	}
	return r.steps[r.step]
}

// op runs f with the lock held, publishes the status and then delivers the
// events f produced.
func (r *Rollout) op(f func(now time.Time, evs *[]Event) error) error {
	var evs []Event
	r.mu.Lock()
	err := f(r.cfg.Now(), &evs)
	r.publish()
	r.mu.Unlock()
	r.ev.deliver(evs)
	return err
}

// transition applies the plan giving the candidate pct and, if the target
// accepted it, records the new state. If the target refuses, the state is
// unchanged (the next Step decides again) and an EventPlanFailed is emitted.
func (r *Rollout) transition(now time.Time, evs *[]Event, kind EventKind, st State, step int, pct float64, reason string) error {
	p := r.planAt(pct)
	if err := r.cfg.Target.SetPlan(p); err != nil {
		err = fmt.Errorf("rollout: %s: set plan %q at %g%%: %w", r.kind, p.Name, pct, err)
		*evs = append(*evs, Event{Time: now, Kind: EventPlanFailed, Step: r.step, Percent: r.percent(), Reason: err.Error(), Figures: r.figures})
		return err
	}
	r.state, r.step = st, step
	r.record(now, evs, kind, reason)
	if st == StateRunning {
		r.doneRequests += r.stepRequests
		r.stepRequests = 0
		r.revision, r.since = router.Revision(p), now
		r.offset, r.offsetPending = Evidence{}, false
		r.resetWindow(now)
		r.segs = append(r.segs, newSegment(pct, now, r.metrics))
	}
	return nil
}

func (r *Rollout) record(now time.Time, evs *[]Event, kind EventKind, reason string) {
	r.lastKind, r.reason, r.lastChange = kind, reason, now
	*evs = append(*evs, Event{Time: now, Kind: kind, Step: r.step, Percent: r.percent(), Reason: reason, Figures: r.figures})
}

// resetWindow starts the step's hold at now.
func (r *Rollout) resetWindow(now time.Time) {
	r.stepStart = now
	r.lastEvidence = now
	r.waiting = ""
}

// query returns the Query of the current step.
func (r *Rollout) query() Query {
	return Query{Plan: r.PlanName(), Revision: r.revision, Since: r.since, Baseline: r.cfg.Baseline, Candidate: r.cfg.Candidate}
}

// read reads the step's evidence. On an error it reports it (Status.Waiting,
// an EventWaiting the first time in a row) and, after MaxWait without
// evidence, halts; ok is false and no decision may be made.
func (r *Rollout) read(ctx context.Context, now time.Time, evs *[]Event) (ev Evidence, ok bool) {
	ev, err := r.window.Read(ctx, r.query())
	if err != nil {
		if now.Sub(r.lastEvidence) >= r.cfg.MaxWait {
			r.state = StatePaused
			r.waiting = ""
			r.record(now, evs, EventHalted, fmt.Sprintf("halted: no evidence for %v: %v", now.Sub(r.lastEvidence), err))
			return Evidence{}, false
		}
		first := r.waiting == ""
		r.waiting = err.Error()
		if first {
			*evs = append(*evs, Event{Time: now, Kind: EventWaiting, Step: r.step, Percent: r.percent(),
				Reason: "waiting for evidence: " + err.Error(), Figures: r.figures})
		}
		return Evidence{}, false
	}
	r.waiting = ""
	r.lastEvidence = now
	r.stepRequests = ev.Baseline.Requests + ev.Candidate.Requests
	if r.offsetPending {
		r.offset, r.offsetPending = ev, false
	}
	ev = ev.Sub(r.offset)
	r.segs[len(r.segs)-1].add(now, ev)
	return ev, true
}

// analysed returns the number of steps below 100%.
func (r *Rollout) analysed() int {
	n := 0
	for _, s := range r.steps {
		if s < 100 {
			n++
		}
	}
	return n
}

// Step evaluates the Rollout once: the first Step applies the first step's
// plan; later ones, while running, read the step's evidence (the requests
// decided under the step's plan revision), roll back if a guardrail fails,
// halt on a sample ratio mismatch, and advance once the step has been held
// MinDuration with MinSamples requests per variant and every guardrail's
// upper bound is below its margin for the next step — or promote at once
// when every bound is below its promotion margin (early success). A Window
// read that fails makes no decision: Status.Waiting says why, an
// EventWaiting reports the first failure in a row, and after MaxWait without
// evidence the Rollout halts. A paused or finished Rollout does nothing.
// Window reads use ctx. Step returns the target's error if it refused a
// plan; the next Step tries again.
func (r *Rollout) Step(ctx context.Context) error {
	return r.op(func(now time.Time, evs *[]Event) error {
		switch r.state {
		case StatePending:
			if r.steps[0] >= 100 && !r.holdFull {
				return r.transition(now, evs, EventPromoted, StatePromoted, 0, 100, "single step of 100%")
			}
			return r.transition(now, evs, EventStarted, StateRunning, 0, r.steps[0],
				fmt.Sprintf("%s gets %g%% of units, %s the rest", r.cfg.Candidate, r.steps[0], r.cfg.Baseline))
		case StateRunning:
		default:
			return nil
		}
		ev, ok := r.read(ctx, now, evs)
		if !ok {
			return nil
		}
		f := Figures{
			Step:          r.step,
			Percent:       r.steps[r.step],
			Elapsed:       now.Sub(r.stepStart),
			TotalRequests: r.doneRequests + r.stepRequests,
		}
		bw, cw := ev.Baseline, ev.Candidate
		f.Baseline, f.Candidate = variantFigures(bw), variantFigures(cw)
		next := r.step + 1
		nextPct := 100.0
		if next < len(r.steps) && (r.steps[next] < 100 || r.holdFull) {
			nextPct = r.steps[next]
		}
		v := r.check.check(&f, checkInput{segs: r.segs, cur: ev, percent: f.Percent, next: nextPct, minSamples: r.cfg.MinSamples, steps: r.analysed()})
		r.figures = f
		switch {
		case v.fail != "":
			return r.transition(now, evs, EventRolledBack, StateRolledBack, r.step, 0,
				fmt.Sprintf("rolled back at step %d (%g%%) after %d requests (%d on the candidate in this step): %s",
					r.step, f.Percent, f.TotalRequests, f.Candidate.Requests, v.fail))
		case v.halt != "":
			r.state = StatePaused
			r.record(now, evs, EventHalted, "halted: "+v.halt)
			return nil
		case f.Elapsed < r.cfg.MinDuration:
			r.figures.Holding = fmt.Sprintf("held for MinDuration (%v of %v)", f.Elapsed, r.cfg.MinDuration)
			return nil
		case bw.Requests < r.cfg.MinSamples && !r.holdFull, cw.Requests < r.cfg.MinSamples:
			r.figures.Holding = fmt.Sprintf("fewer than %d requests per variant in this step", r.cfg.MinSamples)
			return nil
		case !v.pass:
			r.figures.Holding = v.hold
			return nil
		}
		passed := fmt.Sprintf("step %d (%g%%) passed after %v: candidate %d requests, %.2f%% errors; baseline %d requests, %.2f%% errors",
			r.step, f.Percent, f.Elapsed, cw.Requests, 100*f.Candidate.ErrorRate, bw.Requests, 100*f.Baseline.ErrorRate)
		if v.promote && nextPct < 100 && !r.holdFull {
			return r.transition(now, evs, EventPromoted, StatePromoted, r.step, 100,
				passed+"; early success: every check's upper bound is below its promotion margin; promoted to 100%")
		}
		if nextPct >= 100 && !r.holdFull {
			return r.transition(now, evs, EventPromoted, StatePromoted, min(next, len(r.steps)-1), 100, passed+"; promoted to 100%")
		}
		if next >= len(r.steps) {
			return r.transition(now, evs, EventPromoted, StatePromoted, len(r.steps)-1, 100, passed+"; promoted to 100%")
		}
		return r.transition(now, evs, EventAdvanced, StateRunning, next, r.steps[next],
			fmt.Sprintf("%s; now %g%%", passed, r.steps[next]))
	})
}

// Pause stops the checks and keeps the current plan serving. It returns
// ErrNotRunning unless the Rollout is running.
func (r *Rollout) Pause() error {
	return r.op(func(now time.Time, evs *[]Event) error {
		if r.state != StateRunning {
			return fmt.Errorf("rollout: %s: pause while %v: %w", r.kind, r.state, ErrNotRunning)
		}
		r.state = StatePaused
		r.record(now, evs, EventPaused, "paused by hand")
		return nil
	})
}

// Resume restarts a paused (or halted) Rollout at its current step, with a
// fresh window: the step is held and checked again from now, its evidence so
// far discarded (that of earlier steps is kept). It returns ErrNotPaused
// unless the Rollout is paused.
func (r *Rollout) Resume() error {
	return r.op(func(now time.Time, evs *[]Event) error {
		if r.state != StatePaused {
			return fmt.Errorf("rollout: %s: resume while %v: %w", r.kind, r.state, ErrNotPaused)
		}
		r.state = StateRunning
		r.resetWindow(now)
		r.offsetPending = true
		r.segs[len(r.segs)-1] = newSegment(r.steps[r.step], now, r.metrics)
		r.record(now, evs, EventResumed, "resumed by hand; the step's window restarts")
		return nil
	})
}

// Promote sends every unit to the candidate at once, with the baseline as
// its fallback. It returns ErrFinished on a finished Rollout, or the target's
// error.
func (r *Rollout) Promote() error {
	return r.op(func(now time.Time, evs *[]Event) error {
		if r.state.Final() {
			return fmt.Errorf("rollout: %s: promote while %v: %w", r.kind, r.state, ErrFinished)
		}
		return r.transition(now, evs, EventPromoted, StatePromoted, r.step, 100, "promoted by hand")
	})
}

// Abort sends every unit back to the baseline at once, whatever the state
// (a promoted Rollout too). It returns ErrFinished if it was already rolled
// back or aborted, or the target's error.
func (r *Rollout) Abort() error {
	return r.op(func(now time.Time, evs *[]Event) error {
		if r.state == StateRolledBack || r.state == StateAborted {
			return fmt.Errorf("rollout: %s: abort while %v: %w", r.kind, r.state, ErrFinished)
		}
		return r.transition(now, evs, EventAborted, StateAborted, r.step, 0, "aborted by hand")
	})
}
