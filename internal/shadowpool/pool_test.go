package shadowpool_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/varroute/varroute/internal/shadowpool"
	"github.com/varroute/varroute/shadow"
)

func closePool[T any](t testing.TB, p *shadowpool.Pool[T]) {
	t.Helper()
	require.NoError(t, p.Close(context.Background()))
}

func TestNewConfig(t *testing.T) {
	run := func(context.Context, int) error { return nil }
	tests := []struct {
		name    string
		cfg     shadow.Config
		wantErr string
		wantMax int
		wantTO  time.Duration
	}{
		{name: "zero means defaults", wantMax: shadow.DefaultMaxInFlight, wantTO: shadow.DefaultTimeout},
		{name: "explicit", cfg: shadow.Config{MaxInFlight: 3, Timeout: time.Millisecond}, wantMax: 3, wantTO: time.Millisecond},
		{name: "negative max", cfg: shadow.Config{MaxInFlight: -1}, wantErr: "^MaxInFlight is -1, want 0 to 1048576$"},
		{name: "huge max", cfg: shadow.Config{MaxInFlight: 1 << 21}, wantErr: "^MaxInFlight is 2097152"},
		{name: "negative timeout", cfg: shadow.Config{Timeout: -time.Second}, wantErr: "^Timeout is -1s, want >= 0$"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := shadowpool.New(tc.cfg, run)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Regexp(t, tc.wantErr, err.Error())
				return
			}
			require.NoError(t, err)
			defer closePool(t, p)
			assert.Equal(t, tc.wantMax, p.MaxInFlight())
			assert.Equal(t, tc.wantTO, p.Timeout())
		})
	}
}

func TestNewNilRunPanics(t *testing.T) {
	assert.Panics(t, func() { _, _ = shadowpool.New[int](shadow.Config{}, nil) })
}

type traceKey struct{}

// TestPoolContext checks the call's context: detached from the submitter's
// cancellation and deadline, values kept, marked, own deadline, cancelled
// when the call returns.
func TestPoolContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type seen struct {
			info       shadow.Info
			marked     bool
			trace      any
			err, cause error
			deadline   time.Duration
			kept       context.Context
		}
		got := make(chan seen, 1)
		p, err := shadowpool.New(shadow.Config{Timeout: 250 * time.Millisecond}, func(ctx context.Context, _ int) error {
			var s seen
			s.info, s.marked = shadow.FromContext(ctx)
			s.trace = ctx.Value(traceKey{})
			s.err, s.cause = ctx.Err(), context.Cause(ctx)
			d, _ := ctx.Deadline()
			s.deadline = time.Until(d)
			s.kept = ctx
			got <- s
			return nil
		})
		require.NoError(t, err)
		defer closePool(t, p)

		parent, cancel := context.WithCancelCause(context.WithValue(context.Background(), traceKey{}, "span-1"))
		parent, cancelT := context.WithTimeout(parent, time.Millisecond)
		defer cancelT()
		cancel(errors.New("request finished")) // the request is over before the shadow runs

		info := shadow.Info{Primary: "v1", Shadow: "v2"}
		require.True(t, p.TrySubmit(parent, info, 1))
		s := <-got
		assert.True(t, s.marked)
		assert.Equal(t, info, s.info)
		assert.Equal(t, "span-1", s.trace)
		assert.NoError(t, s.err, "parent's cancellation must not reach the shadow")
		assert.NoError(t, s.cause, "parent's cause must not reach the shadow")
		assert.Equal(t, 250*time.Millisecond, s.deadline)

		synctest.Wait() // the call has ended
		select {
		case <-s.kept.Done():
		default:
			t.Fatal("a context kept after the call must be done")
		}
		assert.ErrorIs(t, s.kept.Err(), context.Canceled)
		assert.False(t, shadow.IsShadow(parent))
	})
}

// TestPoolDeadline checks that Done closes at the deadline, that
// derived contexts follow it, and that Cause reports DeadlineExceeded.
func TestPoolDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type res struct {
			waited     time.Duration
			err, cause error
			childErr   error
		}
		got := make(chan res, 1)
		p, err := shadowpool.New(shadow.Config{Timeout: time.Second}, func(ctx context.Context, _ int) error {
			start := time.Now()
			child, cancel := context.WithCancel(ctx)
			defer cancel()
			<-child.Done()
			got <- res{time.Since(start), ctx.Err(), context.Cause(ctx), child.Err()}
			return ctx.Err()
		})
		require.NoError(t, err)
		defer closePool(t, p)
		parent, cancel := context.WithCancelCause(context.Background())
		require.True(t, p.TrySubmit(parent, shadow.Info{}, 0))
		cancel(errors.New("request finished"))
		r := <-got
		assert.Equal(t, time.Second, r.waited)
		assert.ErrorIs(t, r.err, context.DeadlineExceeded)
		assert.ErrorIs(t, r.cause, context.DeadlineExceeded)
		assert.ErrorIs(t, r.childErr, context.DeadlineExceeded)
		synctest.Wait()
		assert.Equal(t, int64(1), p.Stats().TimedOut)
	})
}

// TestPoolFaults submits calls that fail in each way and checks that each
// is counted in its class and none reaches the submitter.
func TestPoolFaults(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name string
		run  func(ctx context.Context) error
		want shadow.Stats
	}{
		{
			name: "success",
			run:  func(context.Context) error { return nil },
			want: shadow.Stats{Submitted: 1, Completed: 1},
		},
		{
			name: "error",
			run:  func(context.Context) error { return errBoom },
			want: shadow.Stats{Submitted: 1, Completed: 1, Errors: 1},
		},
		{
			name: "panic",
			run:  func(context.Context) error { panic("model exploded") },
			want: shadow.Stats{Submitted: 1, Completed: 1, Panicked: 1},
		},
		{
			name: "panic with nil-like value",
			run:  func(context.Context) error { panic(errBoom) },
			want: shadow.Stats{Submitted: 1, Completed: 1, Panicked: 1},
		},
		{
			name: "returned ErrPanic",
			run:  func(context.Context) error { return fmt.Errorf("recovered: %w", shadowpool.ErrPanic) },
			want: shadow.Stats{Submitted: 1, Completed: 1, Panicked: 1},
		},
		{
			name: "hang honouring ctx",
			run: func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			},
			want: shadow.Stats{Submitted: 1, Completed: 1, TimedOut: 1},
		},
		{
			name: "hang ignoring ctx, returns nil late",
			run: func(ctx context.Context) error {
				<-time.After(3 * time.Second)
				return nil
			},
			want: shadow.Stats{Submitted: 1, Completed: 1, TimedOut: 1},
		},
		{
			name: "polls Err without Done",
			run: func(ctx context.Context) error {
				for ctx.Err() == nil {
					<-time.After(100 * time.Millisecond)
				}
				return ctx.Err()
			},
			want: shadow.Stats{Submitted: 1, Completed: 1, TimedOut: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p, err := shadowpool.New(shadow.Config{Timeout: time.Second},
					func(ctx context.Context, _ struct{}) error { return tc.run(ctx) })
				require.NoError(t, err)
				require.NotPanics(t, func() {
					require.True(t, p.TrySubmit(t.Context(), shadow.Info{}, struct{}{}))
				})
				synctest.Wait()
				closePool(t, p)
				assert.Equal(t, tc.want, p.Stats())
			})
		})
	}
}

// TestPoolOverload runs a shadow much slower than the arrival rate: many
// submitters against a small pool whose calls block until released.
func TestPoolOverload(t *testing.T) {
	const (
		max        = 8
		submitters = 4
		perWorker  = 5000
	)
	var cur, peak atomic.Int64
	release := make(chan struct{})
	p, err := shadowpool.New(shadow.Config{MaxInFlight: max, Timeout: time.Minute}, func(ctx context.Context, _ int) error {
		n := cur.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		<-release
		cur.Add(-1)
		return nil
	})
	require.NoError(t, err)

	var attempts, accepted atomic.Int64
	submit := func(i int) bool {
		attempts.Add(1)
		ok := p.TrySubmit(context.Background(), shadow.Info{}, i)
		if ok {
			accepted.Add(1)
		}
		return ok
	}
	var wg sync.WaitGroup
	for range submitters {
		wg.Go(func() {
			for i := range perWorker {
				submit(i)
				assert.LessOrEqual(t, p.Stats().InFlight, int64(max))
			}
		})
	}
	wg.Wait()

	// The pool is saturated: every further submission is a drop, and drops
	// neither allocate nor grow the heap.
	for p.Stats().InFlight < max {
		submit(0)
		runtime.Gosched()
	}
	allocs := testing.AllocsPerRun(1000, func() { submit(0) })
	assert.Zero(t, allocs, "a dropped submission must not allocate")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 200_000 {
		assert.False(t, submit(i))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	assert.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(1<<20), "heap grew under drops")
	assert.Less(t, after.Mallocs-before.Mallocs, uint64(1000), "drops allocated")

	close(release)
	require.NoError(t, p.Close(context.Background()))
	s := p.Stats()
	assert.LessOrEqual(t, peak.Load(), int64(max))
	assert.Equal(t, int64(max), peak.Load(), "the pool should have filled")
	assert.Equal(t, accepted.Load(), s.Submitted, "submitted counts exactly the accepted tasks")
	assert.Equal(t, attempts.Load(), s.Submitted+s.Dropped, "every attempt is submitted or dropped")
	assert.Equal(t, s.Submitted, s.Completed, "submitted = completed + in flight (0)")
	assert.Zero(t, s.InFlight)
	assert.Zero(t, s.Errors+s.TimedOut+s.Panicked)
	assert.Positive(t, s.Dropped)
	assert.False(t, p.TrySubmit(context.Background(), shadow.Info{}, 0), "closed pool accepts nothing")
	assert.Equal(t, s.Dropped+1, p.Stats().Dropped)
	goleak.VerifyNone(t)
}

func TestPoolClose(t *testing.T) {
	tests := []struct {
		name string
		// run is the shadow; release unblocks the ones that ignore ctx.
		run          func(ctx context.Context, release <-chan struct{}) error
		closeAfter   time.Duration // Close's ctx timeout; 0 = no timeout
		wantCloseErr error
		wantErrs     int64 // Stats.Errors once everything has ended
	}{
		{
			name: "finishes before close deadline",
			run: func(ctx context.Context, _ <-chan struct{}) error {
				<-time.After(500 * time.Millisecond)
				return nil
			},
			closeAfter: time.Second,
		},
		{
			name: "no deadline waits",
			run: func(ctx context.Context, _ <-chan struct{}) error {
				<-time.After(30 * time.Second)
				return nil
			},
		},
		{
			name: "hang honouring ctx is cancelled",
			run: func(ctx context.Context, _ <-chan struct{}) error {
				<-ctx.Done()
				return ctx.Err()
			},
			closeAfter:   10 * time.Millisecond,
			wantCloseErr: context.DeadlineExceeded,
			wantErrs:     1,
		},
		{
			name: "hang polling Err is cancelled",
			run: func(ctx context.Context, _ <-chan struct{}) error {
				for ctx.Err() == nil {
					<-time.After(time.Millisecond)
				}
				return ctx.Err()
			},
			closeAfter:   10 * time.Millisecond,
			wantCloseErr: context.DeadlineExceeded,
			wantErrs:     1,
		},
		{
			name: "hang ignoring ctx",
			run: func(ctx context.Context, release <-chan struct{}) error {
				<-release
				return nil
			},
			closeAfter:   10 * time.Millisecond,
			wantCloseErr: context.DeadlineExceeded,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				p, err := shadowpool.New(shadow.Config{MaxInFlight: 2, Timeout: time.Hour}, func(ctx context.Context, _ int) error {
					return tc.run(ctx, release)
				})
				require.NoError(t, err)
				require.True(t, p.TrySubmit(t.Context(), shadow.Info{}, 1))
				require.True(t, p.TrySubmit(t.Context(), shadow.Info{}, 2))
				synctest.Wait()
				assert.Equal(t, int64(2), p.Stats().InFlight)

				ctx := context.Background()
				if tc.closeAfter > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.closeAfter)
					defer cancel()
				}
				err = p.Close(ctx)
				if tc.wantCloseErr != nil {
					require.ErrorIs(t, err, tc.wantCloseErr)
				} else {
					require.NoError(t, err)
					assert.Zero(t, p.Stats().InFlight)
				}
				assert.False(t, p.TrySubmit(t.Context(), shadow.Info{}, 3))
				close(release)
				require.NoError(t, p.Close(context.Background()), "a second Close waits for the rest")
				s := p.Stats()
				assert.Equal(t, shadow.Stats{Submitted: 2, Dropped: 1, Completed: 2, Errors: tc.wantErrs * 2}, s)
			})
		})
	}
}

func TestPoolCloseIdle(t *testing.T) {
	p, err := shadowpool.New(shadow.Config{}, func(context.Context, int) error { return nil })
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, p.Close(ctx), "an idle pool closes even with a done ctx")
	require.NoError(t, p.Close(ctx), "Close is idempotent")
}

// TestPoolBoundExact checks that the pool accepts exactly MaxInFlight
// calls, drops the next, and accepts again as soon as one finishes.
func TestPoolBoundExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const max = 4
		release := make(chan struct{})
		p, err := shadowpool.New(shadow.Config{MaxInFlight: max}, func(ctx context.Context, _ int) error {
			<-release
			return nil
		})
		require.NoError(t, err)
		for i := range max {
			require.True(t, p.TrySubmit(t.Context(), shadow.Info{}, i), "submission %d", i)
		}
		assert.False(t, p.TrySubmit(t.Context(), shadow.Info{}, max), "over the bound")
		synctest.Wait()
		assert.Equal(t, int64(max), p.Stats().InFlight)

		release <- struct{}{} // one call finishes
		synctest.Wait()
		assert.Equal(t, int64(max-1), p.Stats().InFlight)
		assert.True(t, p.TrySubmit(t.Context(), shadow.Info{}, 0), "a place is free again")
		assert.False(t, p.TrySubmit(t.Context(), shadow.Info{}, 0))

		close(release)
		closePool(t, p)
		assert.Equal(t, shadow.Stats{Submitted: max + 1, Dropped: 2, Completed: max + 1}, p.Stats())
	})
}

// TestPoolCloseRacesSubmit closes the pool while submitters are busy: no
// accepted task may be lost, and no goroutine may stay behind.
func TestPoolCloseRacesSubmit(t *testing.T) {
	for round := range 20 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			var ran atomic.Int64
			p, err := shadowpool.New(shadow.Config{MaxInFlight: 3}, func(ctx context.Context, _ int) error {
				ran.Add(1)
				runtime.Gosched()
				return nil
			})
			require.NoError(t, err)
			var accepted atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range 4 {
				wg.Go(func() {
					<-start
					for i := range 2000 {
						if p.TrySubmit(context.Background(), shadow.Info{}, i) {
							accepted.Add(1)
						}
					}
				})
			}
			close(start)
			runtime.Gosched()
			require.NoError(t, p.Close(context.Background()))
			wg.Wait()
			s := p.Stats()
			assert.Equal(t, accepted.Load(), s.Submitted)
			assert.Equal(t, s.Submitted, s.Completed)
			assert.Equal(t, s.Submitted, ran.Load())
			assert.Equal(t, int64(8000), s.Submitted+s.Dropped)
			assert.Zero(t, s.InFlight)
			goleak.VerifyNone(t)
		})
	}
}

// TestPoolAllocs holds a shadow dispatch (submit and run, counted on all
// goroutines) to its budget: one allocation, the call's context.
func TestPoolAllocs(t *testing.T) {
	done := make(chan struct{})
	p, err := shadowpool.New(shadow.Config{MaxInFlight: 1}, func(ctx context.Context, task []float64) error {
		_, _ = shadow.FromContext(ctx)
		_ = ctx.Value(traceKey{})
		done <- struct{}{}
		return nil
	})
	require.NoError(t, err)
	defer closePool(t, p)
	ctx := context.WithValue(context.Background(), traceKey{}, "span")
	info, task := shadow.Info{Primary: "v1", Shadow: "v2"}, []float64{1, 2}
	submit := func() {
		for !p.TrySubmit(ctx, info, task) {
			runtime.Gosched() // the previous call is still releasing its place
		}
		<-done
	}
	submit() // start the worker
	n := testing.AllocsPerRun(1000, submit)
	assert.LessOrEqual(t, n, 1.0)
}
