package exposure_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/varroute/varroute/exposure"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// expo returns a distinct exposure for writer g, sequence number i.
func expo(g, i int) exposure.Exposure {
	v := "control"
	if (g+i)%2 == 1 {
		v = "treatment"
	}
	return exposure.Exposure{
		Time:    t0.Add(time.Duration(i) * time.Millisecond),
		Plan:    "checkout",
		Variant: v,
		Reason:  "default",
		Unit:    fmt.Sprintf("u-%d-%d", g, i),
	}
}

// syncBuffer is an io.Writer with a Flush method, safe for concurrent use.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	writes  int
	flushes int
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes++
	return b.buf.Write(p)
}

func (b *syncBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushes++
	return nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) counts() (writes, flushes int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writes, b.flushes
}

// gateWriter blocks every Write until release is closed; entered is closed
// when the first Write starts.
type gateWriter struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
	syncBuffer
}

func newGate() *gateWriter {
	return &gateWriter{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.release
	return g.syncBuffer.Write(p)
}

// readAll parses out, failing the test on any error.
func readAll(t *testing.T, out string) []exposure.Exposure {
	t.Helper()
	var es []exposure.Exposure
	for e, err := range exposure.Read(bytes.NewReader([]byte(out))) {
		require.NoError(t, err)
		es = append(es, e)
	}
	return es
}

// units returns the sorted unit keys of es.
func units(es []exposure.Exposure) []string {
	us := make([]string, len(es))
	for i, e := range es {
		us[i] = e.Unit
	}
	slices.Sort(us)
	return us
}

func newWriter(t *testing.T, out io.Writer, opts exposure.WriterOptions) *exposure.Writer {
	t.Helper()
	w, err := exposure.NewWriter(out, opts)
	require.NoError(t, err)
	return w
}

func TestNewWriterOptions(t *testing.T) {
	tests := []struct {
		name string
		out  io.Writer
		opts exposure.WriterOptions
		ok   bool
	}{
		{"zero", io.Discard, exposure.WriterOptions{}, true},
		{"all set", io.Discard, exposure.WriterOptions{QueueSize: 1, BatchSize: 1, FlushInterval: -1, Block: true, Dedup: time.Hour, DedupEntries: 3}, true},
		{"nil writer", nil, exposure.WriterOptions{}, false},
		{"negative queue", io.Discard, exposure.WriterOptions{QueueSize: -1}, false},
		{"negative batch", io.Discard, exposure.WriterOptions{BatchSize: -1}, false},
		{"negative dedup", io.Discard, exposure.WriterOptions{Dedup: -time.Second}, false},
		{"negative dedup entries", io.Discard, exposure.WriterOptions{DedupEntries: -1}, false},
		{"huge dedup entries", io.Discard, exposure.WriterOptions{DedupEntries: 1<<30 + 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := exposure.NewWriter(tc.out, tc.opts)
			if !tc.ok {
				require.ErrorIs(t, err, exposure.ErrConfig)
				assert.Nil(t, w)
				return
			}
			require.NoError(t, err)
			require.NoError(t, w.Close(t.Context()))
		})
	}
}

// TestBlockingLosesNothing: 8 writers push through a one-slot queue; every
// exposure must come out exactly once.
func TestBlockingLosesNothing(t *testing.T) {
	const writers, each = 8, 3000
	tests := []struct {
		name string
		opts exposure.WriterOptions
	}{
		{"queue 1 batch 1", exposure.WriterOptions{QueueSize: 1, BatchSize: 1, Block: true}},
		{"queue 1 batch 7", exposure.WriterOptions{QueueSize: 1, BatchSize: 7, Block: true}},
		{"queue 16 batch 100", exposure.WriterOptions{QueueSize: 16, BatchSize: 100, Block: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			w := newWriter(t, &out, tc.opts)
			var wg sync.WaitGroup
			var want []string
			for g := range writers {
				for i := range each {
					want = append(want, expo(g, i).Unit)
				}
				wg.Go(func() {
					for i := range each {
						w.Log(t.Context(), expo(g, i))
					}
				})
			}
			wg.Wait()
			require.NoError(t, w.Close(t.Context()))
			slices.Sort(want)
			got := units(readAll(t, out.String()))
			if !slices.Equal(want, got) {
				t.Errorf("wrote %d distinct of %d lines; want %d", len(slices.Compact(slices.Clone(got))), len(got), len(want))
			}
			assert.Equal(t, exposure.Stats{Logged: writers * each, Written: writers * each}, w.Stats())
		})
	}
}

// TestDropCountsExactly: with the background writer stuck in Write, exactly
// QueueSize exposures fit in the queue and every other one is dropped.
func TestDropCountsExactly(t *testing.T) {
	const queue = 8
	tests := []struct {
		name          string
		writers, each int
	}{
		{"one writer", 1, 100},
		{"eight writers", 8, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gate := newGate()
			w := newWriter(t, gate, exposure.WriterOptions{QueueSize: queue, BatchSize: 1, FlushInterval: -1})
			first := exposure.Exposure{Time: t0, Plan: "p", Variant: "a", Reason: "default", Unit: "first"}
			w.Log(t.Context(), first)
			<-gate.entered // the goroutine holds first and is stuck writing it

			var mu sync.Mutex
			logged := map[string]bool{first.Unit: true}
			var wg sync.WaitGroup
			for g := range tc.writers {
				wg.Go(func() {
					for i := range tc.each {
						e := expo(g, i)
						w.Log(t.Context(), e)
						mu.Lock()
						logged[e.Unit] = true
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			total := int64(1 + tc.writers*tc.each)
			assert.Equal(t, exposure.Stats{Logged: total, Dropped: total - 1 - queue}, w.Stats())

			close(gate.release)
			require.NoError(t, w.Close(t.Context()))
			got := units(readAll(t, gate.String()))
			assert.Equal(t, 1+queue, len(got))
			assert.Equal(t, 1+queue, len(slices.Compact(slices.Clone(got))), "duplicate lines")
			for _, u := range got {
				assert.True(t, logged[u], "unit %q was never logged", u)
			}
			s := w.Stats()
			assert.Equal(t, s.Logged, s.Written+s.Dropped)
			assert.Equal(t, exposure.Stats{Logged: total, Written: 1 + queue, Dropped: total - 1 - queue}, s)
		})
	}
}

// TestDropModeAccounting: without a stuck writer, whatever is not dropped
// is written, once.
func TestDropModeAccounting(t *testing.T) {
	var out syncBuffer
	w := newWriter(t, &out, exposure.WriterOptions{QueueSize: 4, BatchSize: 3})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				w.Log(t.Context(), expo(g, i))
			}
		})
	}
	wg.Wait()
	require.NoError(t, w.Close(t.Context()))
	s := w.Stats()
	got := units(readAll(t, out.String()))
	assert.Equal(t, int64(8*2000), s.Logged)
	assert.Equal(t, s.Logged, s.Written+s.Dropped)
	assert.Equal(t, s.Written, int64(len(got)))
	assert.Equal(t, len(got), len(slices.Compact(slices.Clone(got))), "duplicate lines")
}

func TestLogAfterClose(t *testing.T) {
	var out syncBuffer
	w := newWriter(t, &out, exposure.WriterOptions{Block: true})
	w.Log(t.Context(), expo(0, 0))
	require.NoError(t, w.Close(t.Context()))
	require.NoError(t, w.Close(t.Context()), "Close is idempotent")
	w.Log(t.Context(), expo(0, 1))
	assert.Equal(t, exposure.Stats{Logged: 2, Written: 1, Dropped: 1}, w.Stats())
	assert.ErrorIs(t, w.Flush(t.Context()), exposure.ErrClosed)
	assert.Len(t, readAll(t, out.String()), 1)
}

func TestFlush(t *testing.T) {
	var out syncBuffer
	w := newWriter(t, &out, exposure.WriterOptions{BatchSize: 1000, FlushInterval: -1})
	for i := range 10 {
		w.Log(t.Context(), expo(0, i))
	}
	require.NoError(t, w.Flush(t.Context()))
	assert.Len(t, readAll(t, out.String()), 10, "Flush writes what was logged before it")
	writes, flushes := out.counts()
	assert.Equal(t, 1, writes, "one batch")
	assert.Equal(t, 1, flushes, "the underlying writer is flushed")

	require.NoError(t, w.Flush(t.Context()))
	writes, flushes = out.counts()
	assert.Equal(t, 1, writes, "nothing new to write")
	assert.Equal(t, 2, flushes)

	w.Log(t.Context(), expo(0, 10))
	require.NoError(t, w.Close(t.Context()))
	assert.Len(t, readAll(t, out.String()), 11, "Close writes the rest")
	assert.Equal(t, exposure.Stats{Logged: 11, Written: 11}, w.Stats())
}

func TestBatchSize(t *testing.T) {
	var out syncBuffer
	w := newWriter(t, &out, exposure.WriterOptions{BatchSize: 4, FlushInterval: -1})
	for i := range 10 {
		w.Log(t.Context(), expo(0, i))
	}
	require.NoError(t, w.Close(t.Context()))
	writes, _ := out.counts()
	assert.Equal(t, 3, writes, "4 + 4 + 2 lines")
}

func TestFlushInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out syncBuffer
		w := newWriter(t, &out, exposure.WriterOptions{FlushInterval: time.Second})
		for i := range 3 {
			w.Log(t.Context(), expo(0, i))
		}
		synctest.Wait()
		assert.Empty(t, out.String(), "a partial batch waits for the tick")
		time.Sleep(time.Second) // fake time: advances the bubble's clock
		synctest.Wait()
		assert.Len(t, readAll(t, out.String()), 3)
		_, flushes := out.counts()
		assert.Equal(t, 1, flushes)
		require.NoError(t, w.Close(t.Context()))
	})
}

func TestFlushContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := newGate()
		w := newWriter(t, gate, exposure.WriterOptions{BatchSize: 1})
		w.Log(t.Context(), expo(0, 0))
		<-gate.entered
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		assert.ErrorIs(t, w.Flush(ctx), context.DeadlineExceeded)
		close(gate.release)
		require.NoError(t, w.Close(t.Context()))
		assert.Equal(t, exposure.Stats{Logged: 1, Written: 1}, w.Stats())
	})
}

// TestBlockingGivesUp: a blocked Log drops when its ctx ends or when Close
// gives up; a later Close still drains and stops the goroutine.
func TestBlockingGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := newGate()
		w := newWriter(t, gate, exposure.WriterOptions{QueueSize: 1, BatchSize: 1, Block: true})
		w.Log(t.Context(), expo(0, 0))
		<-gate.entered                 // expo(0, 0) is stuck in Write
		w.Log(t.Context(), expo(0, 1)) // fills the queue

		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		w.Log(ctx, expo(0, 2)) // would block: gives up at once
		assert.Equal(t, int64(1), w.Stats().Dropped)

		blocked := make(chan struct{})
		go func() {
			defer close(blocked)
			w.Log(t.Context(), expo(0, 3))
		}()
		synctest.Wait() // the Log is durably blocked on the full queue
		closeCtx, cancelClose := context.WithTimeout(t.Context(), time.Second)
		defer cancelClose()
		assert.ErrorIs(t, w.Close(closeCtx), context.DeadlineExceeded)
		<-blocked
		assert.Equal(t, int64(2), w.Stats().Dropped)

		close(gate.release)
		require.NoError(t, w.Close(t.Context()))
		assert.Equal(t, exposure.Stats{Logged: 4, Written: 2, Dropped: 2}, w.Stats())
		assert.Equal(t, []string{"u-0-0", "u-0-1"}, units(readAll(t, gate.String())))
	})
}

// flakyWriter fails while fail is set, in the way mode says.
type flakyWriter struct {
	fail atomic.Bool
	mode string
	syncBuffer
}

var errBoom = errors.New("boom")

func (f *flakyWriter) Write(p []byte) (int, error) {
	if f.fail.Load() {
		switch f.mode {
		case "short":
			return len(p) / 2, nil
		case "panic":
			panic("disk on fire")
		default:
			return 0, errBoom
		}
	}
	return f.syncBuffer.Write(p)
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		mode string
		want error
		text string
	}{
		{"error", errBoom, "exposure: write: boom"},
		{"short", io.ErrShortWrite, "exposure: write: short write"},
		{"panic", nil, "exposure: write: panic: disk on fire"},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			out := &flakyWriter{mode: tc.mode}
			w := newWriter(t, out, exposure.WriterOptions{BatchSize: 1, FlushInterval: -1})
			out.fail.Store(true)
			w.Log(t.Context(), expo(0, 0))
			w.Log(t.Context(), expo(0, 1))
			err := w.Flush(t.Context())
			require.Error(t, err)
			assert.Equal(t, tc.text, err.Error(), "Flush reports the first error")
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
				assert.ErrorIs(t, w.Err(), tc.want)
			}
			assert.Equal(t, exposure.Stats{Logged: 2, Failed: 2, Errors: 2}, w.Stats())
			assert.NoError(t, w.Flush(t.Context()), "an error is reported once")

			out.fail.Store(false)
			w.Log(t.Context(), expo(0, 2))
			require.NoError(t, w.Close(t.Context()))
			assert.Equal(t, []string{"u-0-2"}, units(readAll(t, out.String())), "the writer recovers")
			assert.Equal(t, exposure.Stats{Logged: 3, Written: 1, Failed: 2, Errors: 2}, w.Stats())
			assert.Error(t, w.Err(), "Err keeps the last error")
		})
	}
}

func TestCloseReportsError(t *testing.T) {
	out := &flakyWriter{}
	out.fail.Store(true)
	w := newWriter(t, out, exposure.WriterOptions{})
	w.Log(t.Context(), expo(0, 0))
	err := w.Close(t.Context())
	assert.ErrorIs(t, err, errBoom)
	assert.Equal(t, err, w.Close(t.Context()), "a second Close returns the same")
}

func TestDedup(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	e := func(s int, plan, variant, unit string) exposure.Exposure {
		return exposure.Exposure{Time: at(s), Plan: plan, Variant: variant, Reason: "default", Unit: unit}
	}
	tests := []struct {
		name  string
		in    []exposure.Exposure
		write []bool
	}{
		{"repeat within window", []exposure.Exposure{e(0, "p", "a", "u"), e(30, "p", "a", "u"), e(59, "p", "a", "u")}, []bool{true, false, false}},
		{"repeat after window", []exposure.Exposure{e(0, "p", "a", "u"), e(60, "p", "a", "u"), e(90, "p", "a", "u"), e(121, "p", "a", "u")}, []bool{true, true, false, true}},
		{"other unit", []exposure.Exposure{e(0, "p", "a", "u"), e(1, "p", "a", "v")}, []bool{true, true}},
		{"other variant", []exposure.Exposure{e(0, "p", "a", "u"), e(1, "p", "b", "u")}, []bool{true, true}},
		{"other plan", []exposure.Exposure{e(0, "p", "a", "u"), e(1, "q", "a", "u")}, []bool{true, true}},
		{"no ambiguity", []exposure.Exposure{e(0, "pa", "b", "u"), e(1, "p", "ab", "u")}, []bool{true, true}},
		{"clock skew", []exposure.Exposure{e(10, "p", "a", "u"), e(9, "p", "a", "u")}, []bool{true, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			w := newWriter(t, &out, exposure.WriterOptions{Dedup: time.Minute})
			var want []exposure.Exposure
			for i, e := range tc.in {
				w.Log(t.Context(), e)
				if tc.write[i] {
					want = append(want, e)
				}
			}
			require.NoError(t, w.Close(t.Context()))
			got := readAll(t, out.String())
			require.Len(t, got, len(want))
			for i := range got {
				assert.True(t, want[i].Time.Equal(got[i].Time))
				assert.Equal(t, want[i].Unit, got[i].Unit)
				assert.Equal(t, want[i].Variant, got[i].Variant)
			}
			n := int64(len(tc.in))
			assert.Equal(t, exposure.Stats{Logged: n, Written: int64(len(want)), Deduplicated: n - int64(len(want))}, w.Stats())
		})
	}
}

// TestDedupBounded: with a table far smaller than the number of units,
// no first exposure is lost, and repeats of recent units are still caught.
func TestDedupBounded(t *testing.T) {
	var out syncBuffer
	w := newWriter(t, &out, exposure.WriterOptions{Dedup: time.Hour, DedupEntries: 64, Block: true})
	const n = 10000
	for i := range n {
		w.Log(t.Context(), expo(0, i))
		w.Log(t.Context(), expo(0, i)) // an immediate repeat: always caught
	}
	require.NoError(t, w.Close(t.Context()))
	got := units(readAll(t, out.String()))
	assert.Equal(t, n, len(got))
	assert.Equal(t, n, len(slices.Compact(got)), "every unit once")
	assert.Equal(t, exposure.Stats{Logged: 2 * n, Written: n, Deduplicated: n}, w.Stats())
}

func TestDedupZeroTimeUsesClock(t *testing.T) {
	now := t0
	var out syncBuffer
	w := newWriter(t, &out, exposure.WriterOptions{Dedup: time.Minute, Now: func() time.Time { return now }})
	e := exposure.Exposure{Plan: "p", Variant: "a", Unit: "u"}
	w.Log(t.Context(), e)
	w.Log(t.Context(), e)
	require.NoError(t, w.Flush(t.Context()))
	now = now.Add(time.Hour) // the goroutine is idle: Flush returned
	w.Log(t.Context(), e)
	require.NoError(t, w.Close(t.Context()))
	assert.Equal(t, exposure.Stats{Logged: 3, Written: 2, Deduplicated: 1}, w.Stats())
}

func TestLogAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	tests := []struct {
		name string
		opts exposure.WriterOptions
	}{
		{"drop", exposure.WriterOptions{}},
		{"block", exposure.WriterOptions{Block: true}},
		{"dedup", exposure.WriterOptions{Dedup: time.Minute}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWriter(t, io.Discard, tc.opts)
			defer func() { require.NoError(t, w.Close(t.Context())) }()
			e := expo(0, 1)
			ctx := t.Context()
			for range 5000 { // grow the batch buffer to its steady size
				w.Log(ctx, e)
			}
			require.NoError(t, w.Flush(ctx))
			// AllocsPerRun counts the background goroutine too: encoding
			// and writing must not allocate either.
			n := testing.AllocsPerRun(2000, func() { w.Log(ctx, e) })
			assert.Zero(t, n)
		})
	}
}
