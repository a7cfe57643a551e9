package shadowpool

import (
	"context"
	"sync"
	"time"

	"github.com/varroute/varroute/internal/shadowctx"
	"github.com/varroute/varroute/shadow"
)

// callCtx is the context of one pool call, built in one allocation. It
//   - keeps the submitter's values (trace spans, baggage) by delegating Value
//     to parent, as context.WithoutCancel does, except for the shadow marker
//     key (answered with its own Info, so marking the call costs no
//     allocation of its own) and the key context.Cause uses to find a
//     parent's cause;
//   - ignores parent's cancellation and deadline;
//   - has its own deadline, the pool's Timeout after the call started;
//   - is cancelled when the call ends, when the deadline passes, or when
//     Pool.Close gives up waiting.
//
// Its Done channel is made only when somebody asks for it, and only then is
// the worker's reusable timer armed, so a predictor that never selects on
// Done costs no channel and no timer.
type callCtx struct {
	parent    context.Context
	info      shadow.Info
	deadline  time.Time
	slot      *slot
	causeKey  any // the key context.Cause looks up; see probeCauseKey
	mu        sync.Mutex
	done      chan struct{} // guarded by mu; nil until Done is called
	err       error         // guarded by mu; nil until cancelled
	closedErr bool          // guarded by mu; done has been closed
}

var _ context.Context = (*callCtx)(nil)

func (c *callCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *callCtx) Done() <-chan struct{} {
	c.mu.Lock()
	arm := false
	if c.done == nil {
		c.done = make(chan struct{})
		c.expireLocked(time.Now())
		if c.err != nil {
			close(c.done)
			c.closedErr = true
		} else {
			arm = true
		}
	}
	d := c.done
	c.mu.Unlock()
	if arm {
		c.slot.arm(c)
	}
	return d
}

func (c *callCtx) Err() error {
	c.mu.Lock()
	if c.err == nil {
		c.expireLocked(time.Now())
	}
	err := c.err
	c.mu.Unlock()
	return err
}

// expireLocked records DeadlineExceeded if now is past the deadline, so that
// Err is right even when no timer was armed. c.mu must be held.
func (c *callCtx) expireLocked(now time.Time) {
	if c.err == nil && !now.Before(c.deadline) {
		c.err = context.DeadlineExceeded
		if c.done != nil && !c.closedErr {
			close(c.done)
			c.closedErr = true
		}
	}
}

// cancel records err (if none is recorded yet) and closes Done.
func (c *callCtx) cancel(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	if c.done != nil && !c.closedErr {
		close(c.done)
		c.closedErr = true
	}
	c.mu.Unlock()
}

func (c *callCtx) Value(key any) any {
	switch key {
	case shadowctx.Key{}:
		return &c.info
	case c.causeKey:
		// Hide the parent's cancellation cause, as context.WithoutCancel
		// does: this context is not cancelled when the parent is.
		return nil
	}
	return c.parent.Value(key)
}

func (c *callCtx) String() string { return "shadowpool.callCtx" }

// probeCauseKey returns the key context.Cause passes to Value to find the
// nearest cancelCtx. callCtx answers nil for it, so context.Cause of a shadow
// call reports the call's own error, never the request's cancellation cause.
// If a future Go stops using Value there, the probe returns nil and nothing
// is hidden (nothing needs to be).
func probeCauseKey() any {
	p := &keyProbe{Context: context.Background()}
	_ = context.Cause(p)
	return p.key
}

type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Err() error            { return context.Canceled }
func (p *keyProbe) Value(key any) any     { p.key = key; return nil }
func (p *keyProbe) Done() <-chan struct{} { return nil }

// slot is the non-generic part of a worker: the call it is running and the
// reusable timer that closes that call's Done channel at its deadline.
type slot struct {
	mu    sync.Mutex
	cur   *callCtx    // guarded by mu; nil between calls
	timer *time.Timer // guarded by mu; made on first arm, reused
	armed bool        // guarded by mu
}

// arm starts the slot's timer for c's deadline if c is still the running call.
func (s *slot) arm(c *callCtx) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != c {
		return // the call ended; ending it cancelled c
	}
	d := time.Until(c.deadline)
	if s.timer == nil {
		s.timer = time.AfterFunc(d, s.fire)
	} else {
		s.timer.Reset(d)
	}
	s.armed = true
}

// fire runs on the timer's goroutine. A stale fire (the call it was armed
// for has ended and another started) sees a deadline in the future and does
// nothing.
func (s *slot) fire() {
	s.mu.Lock()
	c := s.cur
	s.mu.Unlock()
	if c == nil {
		return
	}
	c.mu.Lock()
	c.expireLocked(time.Now())
	c.mu.Unlock()
}

// begin makes c the running call.
func (s *slot) begin(c *callCtx) {
	s.mu.Lock()
	s.cur = c
	s.mu.Unlock()
}

// end clears the running call, stops the timer and cancels c, so anything
// still holding c (a goroutine the predictor left behind) sees it done.
func (s *slot) end(c *callCtx) {
	s.mu.Lock()
	s.cur = nil
	if s.armed {
		s.timer.Stop()
		s.armed = false
	}
	s.mu.Unlock()
	c.cancel(context.Canceled)
}

// interrupt cancels the running call, if any.
func (s *slot) interrupt() {
	s.mu.Lock()
	c := s.cur
	s.mu.Unlock()
	if c != nil {
		c.cancel(context.Canceled)
	}
}

// stop releases the timer when the worker exits.
func (s *slot) stop() {
	s.mu.Lock()
	if s.timer != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
}
