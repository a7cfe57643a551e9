package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/varroute/varroute/strategy"
)

// ErrCircuitOpen is matched by the failure of a variant whose circuit
// breaker is open: the router did not call it. When the variant has a
// fallback, the fallback serves and Outcome.Failure matches ErrCircuitOpen;
// otherwise the caller gets the error at once.
var ErrCircuitOpen = errors.New("router: circuit open")

// A BreakerState is the state of a variant's circuit breaker.
type BreakerState string

// The states of a breaker.
const (
	// BreakerClosed: the variant is called.
	BreakerClosed BreakerState = "closed"
	// BreakerOpen: the variant is not called; its requests go to its
	// fallback (or fail at once without one).
	BreakerOpen BreakerState = "open"
	// BreakerHalfOpen: a few probe requests call the variant; the others
	// go to its fallback.
	BreakerHalfOpen BreakerState = "half-open"
)

// A BreakerStatus reports one variant's circuit breaker.
type BreakerStatus struct {
	Variant string       `json:"variant"`
	State   BreakerState `json:"state"`
	// Since is when the breaker entered State; zero if it never left the
	// closed state.
	Since time.Time `json:"since,omitzero"`
	// Reason says why it did, with the figures that decided.
	Reason string `json:"reason"`
	// OpenFor is how long the breaker stays (or last stayed) open. It
	// doubles after each failed probe, and at an opening that follows a
	// closing by less than the plan's MaxOpenFor, up to MaxOpenFor. JSON
	// carries it in nanoseconds.
	OpenFor time.Duration `json:"open_for"`
	// Transitions counts the breaker's transitions into each state since
	// the variant was registered.
	Transitions map[BreakerState]int64 `json:"transitions,omitempty"`
}

const (
	stClosed int32 = iota
	stOpen
	stHalfOpen
)

var stateNames = [...]BreakerState{BreakerClosed, BreakerOpen, BreakerHalfOpen}

// rateBuckets is the number of buckets of a failure-rate window.
const rateBuckets = 10

// breaker is the circuit breaker of one registered variant. Its state
// outlives plan changes; its configuration comes with each call, from the
// plan serving it. The closed state costs a load before the call and, on
// success, a load after it (and an add per call with a failure rate).
type breaker struct {
	state   atomic.Int32
	fails   atomic.Int64 // consecutive failures while closed
	openAt  atomic.Int64 // open: when probes may start, in ns since the router's epoch
	probes  atomic.Int32 // probes in flight while half-open
	backoff atomic.Int64 // the last open duration, ns; 0 means none yet
	closed  atomic.Int64 // when the breaker last closed after opening, ns since the epoch

	// The failure-rate window: rateBuckets buckets of Window/rateBuckets,
	// each tagged with the slot (time / width) it counts.
	slots [rateBuckets]struct {
		slot  atomic.Int64
		calls atomic.Int64
		fails atomic.Int64
	}

	mu          sync.Mutex // serializes transitions; guards the fields below
	since       time.Time
	reason      string
	transitions [3]int64
}

// breakerConfig is a compiled strategy.Breaker.
type breakerConfig struct {
	failures    int64 // 0: off
	rate        float64
	width       int64 // ns per rate bucket
	minRequests int64
	openFor     time.Duration
	maxOpenFor  time.Duration
	probes      int32
}

func compileBreaker(b strategy.Breaker) *breakerConfig {
	if b.Disabled {
		return nil
	}
	b = b.WithDefaults()
	c := &breakerConfig{
		rate:        b.FailureRate,
		width:       max(int64(b.Window)/rateBuckets, 1),
		minRequests: int64(b.MinRequests),
		openFor:     b.OpenFor,
		maxOpenFor:  b.MaxOpenFor,
		probes:      int32(b.Probes),
	}
	if b.ConsecutiveFailures > 0 {
		c.failures = int64(b.ConsecutiveFailures)
	}
	return c
}

// allow reports whether a call may go to the variant now, and whether it is
// a probe (which must be reported with done). now is in ns since the
// router's epoch, read only when the breaker is not closed.
func (b *breaker) allow(c *breakerConfig, now func() int64) (ok, probe bool) {
	switch b.state.Load() {
	case stClosed:
		return true, false
	case stOpen:
		if now() < b.openAt.Load() {
			return false, false
		}
		b.toHalfOpen()
	}
	// Half-open: a bounded trickle of probes.
	if b.probes.Add(1) <= c.probes {
		return true, true
	}
	b.probes.Add(-1)
	return false, false
}

// done records a call's result. failed is false for a success and for a
// call its caller cancelled.
func (b *breaker) done(r *routerClock, c *breakerConfig, name string, failed, probe bool, logger *slog.Logger) {
	if probe {
		b.probes.Add(-1)
		if failed {
			b.reopen(r, c, name, logger)
		} else {
			b.close(r, name, logger)
		}
		return
	}
	var at int64
	if c.rate > 0 {
		at = r.now()
		b.count(c, at, failed)
	}
	if !failed {
		if b.fails.Load() != 0 {
			b.fails.Store(0)
		}
		return
	}
	n := b.fails.Add(1)
	if c.failures > 0 && n >= c.failures {
		b.open(r, c, name, fmt.Sprintf("%d consecutive failures", n), logger)
		return
	}
	if c.rate > 0 {
		calls, fails := b.window(c, at)
		if calls >= c.minRequests && float64(fails) >= c.rate*float64(calls) {
			b.open(r, c, name, fmt.Sprintf("%d of %d calls failed in the last %v (threshold %.3g)", fails, calls, time.Duration(c.width*rateBuckets), c.rate), logger)
		}
	}
}

// abandon gives back a probe whose call tells nothing (its caller left).
func (b *breaker) abandon(probe bool) {
	if probe {
		b.probes.Add(-1)
	}
}

// count adds a call to the failure-rate window.
func (b *breaker) count(c *breakerConfig, at int64, failed bool) {
	slot := at / c.width
	s := &b.slots[slot%rateBuckets]
	if old := s.slot.Load(); old != slot {
		if s.slot.CompareAndSwap(old, slot) {
			s.calls.Store(0)
			s.fails.Store(0)
		}
	}
	s.calls.Add(1)
	if failed {
		s.fails.Add(1)
	}
}

// window sums the calls and failures of the last Window.
func (b *breaker) window(c *breakerConfig, at int64) (calls, fails int64) {
	slot := at / c.width
	for i := range b.slots {
		s := &b.slots[i]
		if d := slot - s.slot.Load(); d >= 0 && d < rateBuckets {
			calls += s.calls.Load()
			fails += s.fails.Load()
		}
	}
	return calls, fails
}

func (b *breaker) open(r *routerClock, c *breakerConfig, name, reason string, logger *slog.Logger) {
	b.mu.Lock()
	if b.state.Load() != stClosed {
		b.mu.Unlock()
		return
	}
	// A breaker that opens again soon after it closed (within MaxOpenFor)
	// stays open twice as long as the last time: a flapping variant backs
	// off instead of thrashing.
	now := r.now()
	d := c.openFor
	if last := time.Duration(b.backoff.Load()); last > 0 && now-b.closed.Load() < int64(max(c.maxOpenFor, c.openFor)) {
		d = min(max(2*last, c.openFor), max(c.maxOpenFor, c.openFor))
	}
	b.backoff.Store(int64(d))
	b.openAt.Store(now + int64(d))
	b.transition(stOpen, reason+fmt.Sprintf("; probes after %v", d))
	b.mu.Unlock()
	logger.LogAttrs(context.Background(), slog.LevelWarn, "varroute: circuit open", slog.String("variant", name), slog.String("reason", reason), slog.Duration("open_for", d))
}

func (b *breaker) toHalfOpen() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state.Load() == stOpen {
		b.probes.Store(0)
		b.transition(stHalfOpen, "open time over: probing")
	}
}

// reopen opens the breaker again after a failed probe, for twice as long.
func (b *breaker) reopen(r *routerClock, c *breakerConfig, name string, logger *slog.Logger) {
	b.mu.Lock()
	if b.state.Load() != stHalfOpen {
		b.mu.Unlock()
		return
	}
	d := min(max(2*time.Duration(b.backoff.Load()), c.openFor), max(c.maxOpenFor, c.openFor))
	b.backoff.Store(int64(d))
	b.openAt.Store(r.now() + int64(d))
	b.transition(stOpen, fmt.Sprintf("a probe failed; probes again after %v", d))
	b.mu.Unlock()
	logger.LogAttrs(context.Background(), slog.LevelWarn, "varroute: circuit open again", slog.String("variant", name), slog.Duration("open_for", d))
}

func (b *breaker) close(r *routerClock, name string, logger *slog.Logger) {
	b.mu.Lock()
	if b.state.Load() != stHalfOpen {
		b.mu.Unlock()
		return
	}
	b.fails.Store(0)
	b.closed.Store(r.now())
	for i := range b.slots {
		b.slots[i].calls.Store(0)
		b.slots[i].fails.Store(0)
	}
	b.transition(stClosed, "a probe succeeded")
	b.mu.Unlock()
	logger.LogAttrs(context.Background(), slog.LevelInfo, "varroute: circuit closed", slog.String("variant", name))
}

// transition moves to state st; b.mu must be held.
func (b *breaker) transition(st int32, reason string) {
	b.state.Store(st)
	b.since = time.Now()
	b.reason = reason
	b.transitions[st]++
}

// status reports the breaker of variant name under config c.
func (b *breaker) status(name string, c *breakerConfig) BreakerStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := BreakerStatus{Variant: name, State: stateNames[b.state.Load()], Since: b.since, Reason: b.reason,
		Transitions: map[BreakerState]int64{}}
	for i, n := range b.transitions {
		if n > 0 {
			s.Transitions[stateNames[i]] = n
		}
	}
	s.OpenFor = time.Duration(b.backoff.Load())
	if s.OpenFor == 0 && c != nil {
		s.OpenFor = c.openFor
	}
	if s.Reason == "" {
		s.Reason = "no failures yet"
	}
	return s
}

// routerClock reads the monotonic clock as nanoseconds since the router was
// made.
type routerClock struct{ epoch time.Time }

func (c *routerClock) now() int64 { return int64(time.Since(c.epoch)) }

// Breakers reports the circuit breaker of every variant the current plan
// gives one (see strategy.Breaker), sorted by variant. It is safe for
// concurrent use.
func (r *Router[In, Out]) Breakers() []BreakerStatus {
	s := r.snap.Load()
	var out []BreakerStatus
	for i, bc := range s.breakers {
		if bc != nil {
			v := s.byIndex[i]
			out = append(out, v.br.status(v.name, bc))
		}
	}
	return out // the plan's variants are sorted
}
