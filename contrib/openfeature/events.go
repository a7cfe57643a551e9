package varfeature

import (
	"context"
	"slices"
	"sync"

	"github.com/open-feature/go-sdk/openfeature"
)

// An emitter sends the provider's events on its channel from a goroutine of
// its own, so that the watchers that report changes never wait for a reader.
// Events wait in a queue; a configuration change queued behind another one
// is merged into it.
type emitter struct {
	out  chan<- openfeature.Event
	kick chan struct{} // buffered: an event was queued
	done chan struct{} // closed by close
	exit chan struct{} // closed when run returns

	mu           sync.Mutex // guards the fields below
	queue        []openfeature.Event
	pendingReady bool // PROVIDER_READY is due once every flag has a plan
}

func newEmitter(out chan<- openfeature.Event) *emitter {
	return &emitter{out: out, kick: make(chan struct{}, 1), done: make(chan struct{}), exit: make(chan struct{})}
}

func (e *emitter) start() { go e.run() }

func (e *emitter) run() {
	defer close(e.exit)
	for {
		e.mu.Lock()
		if len(e.queue) == 0 {
			e.mu.Unlock()
			select {
			case <-e.kick:
				continue
			case <-e.done:
				return
			}
		}
		ev := e.queue[0]
		e.queue = e.queue[1:]
		e.mu.Unlock()
		select {
		case e.out <- ev:
		case <-e.done:
			return
		}
	}
}

// close stops the goroutine and waits for it or for ctx to end. Events not
// yet received are dropped.
func (e *emitter) close(ctx context.Context) error {
	select {
	case <-e.done:
	default:
		close(e.done)
	}
	select {
	case <-e.exit:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// awaitReady makes the emitter send PROVIDER_READY after the first change
// that leaves every flag with a plan.
func (e *emitter) awaitReady() {
	e.mu.Lock()
	e.pendingReady = true
	e.mu.Unlock()
}

// configChanged queues PROVIDER_CONFIGURATION_CHANGED for flag, and
// PROVIDER_READY if it is due and every flag now has a plan (all).
func (e *emitter) configChanged(flag string, all bool) {
	e.mu.Lock()
	if n := len(e.queue); n > 0 && e.queue[n-1].EventType == openfeature.ProviderConfigChange {
		last := &e.queue[n-1]
		if !slices.Contains(last.FlagChanges, flag) {
			last.FlagChanges = append(last.FlagChanges, flag)
		}
	} else {
		e.queue = append(e.queue, openfeature.Event{
			ProviderName: Name,
			EventType:    openfeature.ProviderConfigChange,
			ProviderEventDetails: openfeature.ProviderEventDetails{
				Message:     "varfeature: plans changed",
				FlagChanges: []string{flag},
			},
		})
	}
	if all && e.pendingReady {
		e.pendingReady = false
		e.queue = append(e.queue, openfeature.Event{
			ProviderName: Name,
			EventType:    openfeature.ProviderReady,
			ProviderEventDetails: openfeature.ProviderEventDetails{
				Message: "varfeature: every flag has a plan",
			},
		})
	}
	e.mu.Unlock()
	select {
	case e.kick <- struct{}{}:
	default:
	}
}
