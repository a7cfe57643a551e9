// Package shadowpool runs the router's shadow calls in the background, on a
// bounded pool of worker goroutines, without ever making the request wait.
//
// A Pool[T] runs calls on at most shadow.Config.MaxInFlight workers
// (default 64), started on demand and owned by the pool. TrySubmit admits a
// task only if fewer than MaxInFlight are in flight (an atomic
// compare-and-swap that never overshoots), then hands it to a worker through
// a channel whose capacity is that same bound, so the send never blocks;
// when the bound is reached it returns false at once and counts a drop.
// Under overload the pool sheds work instead of queueing it: memory stays
// flat and in-flight calls never exceed the bound. Stats reports exact
// counters. Close(ctx) stops intake, waits for in-flight calls until ctx
// ends, then cancels the calls still running; a later Close waits again,
// and after a Close that returned nil no goroutine of the pool is left.
//
// Each call runs with its own context, built in a single allocation (see
// callCtx): it keeps the submitter's values (trace spans, baggage), is
// detached from the submitter's cancellation and deadline, has the pool's
// Timeout as deadline, is marked as a shadow call (shadow.FromContext
// returns the Info the task was submitted with), and is cancelled when the
// call returns.
package shadowpool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/varroute/varroute/shadow"
)

// ErrPanic is returned by a run function to report a panic it recovered
// itself (the router recovers a predictor's panic into its own error type);
// the pool counts such a run, and a run that panicked, in Stats.Panicked.
var ErrPanic = errors.New("shadowpool: panic")

// A Pool runs shadow calls in the background, at most MaxInFlight at once,
// without ever making the submitter wait. It keeps up to MaxInFlight worker
// goroutines, started on demand and stopped by Close.
//
// A Pool is safe for concurrent use. Its zero value is not usable; call
// New. Every pool must be closed with Close to stop its workers.
type Pool[T any] struct {
	run       func(context.Context, T) error
	max       int64
	timeout   time.Duration
	causeKey  any
	tasks     chan job[T]   // capacity max, never full (inFlight <= max); closed by drain
	allDone   chan struct{} // closed when tasks is closed and no worker is left
	closing   atomic.Bool   // Close was called: intake has stopped
	cancelled atomic.Bool   // Close gave up waiting; calls start cancelled
	drainOnce sync.Once

	mu      sync.Mutex
	live    atomic.Int64 // workers started and not exited; changed under mu
	drained bool         // guarded by mu; tasks is closed
	slots   []*slot      // guarded by mu

	// inFlight counts accepted tasks not yet finished (queued for an
	// instant, or running). It is the admission counter: TrySubmit
	// increments it with a compare-and-swap that never passes max.
	inFlight atomic.Int64

	submitted, dropped, completed atomic.Int64
	errs, timedOut, panicked      atomic.Int64
}

// job is what travels from TrySubmit to a worker. It is sent by value: the
// send does not allocate.
type job[T any] struct {
	parent context.Context
	info   shadow.Info
	task   T
}

// New returns a Pool that calls run for each submitted task. run is called
// on a pool worker with a context that carries the submitter's values but
// not its cancellation, has the pool's Timeout as deadline, and is marked as
// a shadow call (see shadow.FromContext). run should honour the context; a
// run that ignores it keeps its worker busy, and its place counted in
// flight, until it returns.
//
// New returns an error naming the field if cfg has a negative field or a
// MaxInFlight above 2^20 (the caller prefixes it with the config's name).
// It panics if run is nil. It starts no goroutine.
func New[T any](cfg shadow.Config, run func(ctx context.Context, task T) error) (*Pool[T], error) {
	switch {
	case run == nil:
		panic("shadowpool: nil run func")
	case cfg.MaxInFlight < 0 || cfg.MaxInFlight > 1<<20:
		return nil, fmt.Errorf("MaxInFlight is %d, want 0 to 1048576", cfg.MaxInFlight)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("Timeout is %v, want >= 0", cfg.Timeout)
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = shadow.DefaultMaxInFlight
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = shadow.DefaultTimeout
	}
	return &Pool[T]{
		run:      run,
		max:      int64(cfg.MaxInFlight),
		timeout:  cfg.Timeout,
		causeKey: probeCauseKey(),
		tasks:    make(chan job[T], cfg.MaxInFlight),
		allDone:  make(chan struct{}),
	}, nil
}

// TrySubmit hands task to a worker and returns true, or returns false at
// once, counting a drop, when MaxInFlight calls are already in flight or
// the pool is closed. It never blocks and never runs task on the caller's
// goroutine; it starts a worker when none is idle and fewer than
// MaxInFlight exist.
//
// The call's context keeps ctx's values (trace spans survive) but not its
// cancellation or deadline; it is marked with info (see
// shadow.FromContext). A nil ctx means context.Background().
//
// task is used on another goroutine after TrySubmit returns: the caller must
// not mutate anything task shares (slices, maps, pointed-to structs) from
// then on. TrySubmit does not allocate (except the first time it starts
// each worker); the call itself allocates its context (one allocation),
// plus its Done channel if run asks for it.
func (p *Pool[T]) TrySubmit(ctx context.Context, info shadow.Info, task T) bool {
	if p.closing.Load() || !p.admit() {
		p.dropped.Add(1)
		return false
	}
	if p.closing.Load() {
		// Close started after admit: back out, so that Close, which saw
		// or will see this admission, can finish.
		p.release()
		p.dropped.Add(1)
		return false
	}
	if ctx == nil {
		ctx = context.Background()
	}
	p.tasks <- job[T]{parent: ctx, info: info, task: task} // never blocks: len <= inFlight <= max = cap
	p.submitted.Add(1)
	if len(p.tasks) > 0 && p.live.Load() < p.max {
		// No worker was waiting (a waiting one takes the job at once,
		// leaving the buffer empty): start one.
		p.spawn()
	}
	return true
}

// admit takes one of the max in-flight places, or reports false if none is
// free. It never lets inFlight pass max, even for an instant.
func (p *Pool[T]) admit() bool {
	for {
		n := p.inFlight.Load()
		if n >= p.max {
			return false
		}
		if p.inFlight.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release gives back an in-flight place. The release that empties a
// closing pool lets the workers go.
func (p *Pool[T]) release() {
	if p.inFlight.Add(-1) == 0 && p.closing.Load() {
		p.drain()
	}
}

// drain closes tasks (once), so idle workers exit. It runs only when the
// pool is closing and nothing is in flight: no admission is held, and every
// later one backs out before sending, so nobody can send on tasks again.
func (p *Pool[T]) drain() {
	p.drainOnce.Do(func() {
		p.mu.Lock()
		close(p.tasks)
		p.drained = true
		if p.live.Load() == 0 {
			close(p.allDone)
		}
		p.mu.Unlock()
	})
}

// spawn starts a worker unless max are running or the pool has drained.
func (p *Pool[T]) spawn() {
	p.mu.Lock()
	if p.drained || p.live.Load() >= p.max {
		p.mu.Unlock()
		return
	}
	p.live.Add(1)
	s := new(slot)
	p.slots = append(p.slots, s)
	p.mu.Unlock()
	go p.work(s)
}

// work is a worker's loop: take jobs until the pool has drained. A plain
// receive, not a select, keeps the channel's lock short under contention.
func (p *Pool[T]) work(s *slot) {
	defer p.exit(s)
	for j := range p.tasks {
		p.call(s, j)
	}
}

// exit unregisters a worker; the last one out after draining closes
// allDone.
func (p *Pool[T]) exit(s *slot) {
	s.stop()
	p.mu.Lock()
	if p.live.Add(-1) == 0 && p.drained {
		close(p.allDone)
	}
	p.mu.Unlock()
}

// call runs one job on slot s and classifies its outcome.
func (p *Pool[T]) call(s *slot, j job[T]) {
	start := time.Now()
	c := &callCtx{
		parent:   j.parent,
		info:     j.info,
		deadline: start.Add(p.timeout),
		slot:     s,
		causeKey: p.causeKey,
	}
	s.begin(c)
	if p.cancelled.Load() {
		c.cancel(context.Canceled)
	}
	err := p.protect(c, j.task)
	late := !time.Now().Before(c.deadline)
	s.end(c)
	switch {
	case err != nil && errors.Is(err, ErrPanic):
		p.panicked.Add(1)
	case late || (err != nil && errors.Is(err, context.DeadlineExceeded)):
		p.timedOut.Add(1)
	case err != nil:
		p.errs.Add(1)
	}
	p.completed.Add(1)
	p.release()
}

// protect calls run, turning a panic into ErrPanic: a panic in the code
// run calls after the predictor (sinks, telemetry) is counted, and the
// worker lives on.
func (p *Pool[T]) protect(ctx context.Context, task T) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = ErrPanic
		}
	}()
	return p.run(ctx, task)
}

// Stats returns the pool's counters. It is safe for concurrent use and
// does not allocate.
func (p *Pool[T]) Stats() shadow.Stats {
	return shadow.Stats{
		Submitted: p.submitted.Load(),
		Dropped:   p.dropped.Load(),
		Completed: p.completed.Load(),
		Errors:    p.errs.Load(),
		TimedOut:  p.timedOut.Load(),
		Panicked:  p.panicked.Load(),
		InFlight:  p.inFlight.Load(),
	}
}

// MaxInFlight returns the pool's bound on concurrent calls.
func (p *Pool[T]) MaxInFlight() int { return int(p.max) }

// Timeout returns the pool's per-call timeout.
func (p *Pool[T]) Timeout() time.Duration { return p.timeout }

// Close stops intake (later TrySubmit calls return false and count as
// dropped) and waits for the calls in flight to finish. If they do before
// ctx ends, every worker has exited and Close returns nil. Otherwise Close
// cancels the contexts of the calls still running (and of any that start
// after) and returns ctx.Err(); workers exit as soon as their calls return,
// and a later Close can wait for them again.
//
// Close is safe for concurrent use and may be called more than once.
func (p *Pool[T]) Close(ctx context.Context) error {
	if !p.closing.Swap(true) && p.inFlight.Load() == 0 {
		p.drain()
	}
	select {
	case <-p.allDone:
		return nil
	default:
	}
	select {
	case <-p.allDone:
		return nil
	case <-ctx.Done():
	}
	p.cancelled.Store(true)
	p.mu.Lock()
	slots := p.slots // workers only append; the slice header is a snapshot
	p.mu.Unlock()
	for _, s := range slots {
		s.interrupt()
	}
	return ctx.Err()
}
