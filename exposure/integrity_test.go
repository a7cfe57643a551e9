package exposure_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/varroute/varroute/exposure"
)

// A cut decides how many bytes of p a diskWriter accepts.
type cut func(p []byte) int

// at accepts the first n bytes.
func at(n int) cut { return func(p []byte) int { return min(n, len(p)) } }

// whole accepts everything.
func whole(p []byte) int { return len(p) }

// afterLine accepts the bytes up to and including the newline of the k-th
// line of p (0: none), plus delta bytes. A leading newline (the one that
// ends a cut line) is not a line.
func afterLine(k, delta int) cut {
	return func(p []byte) int {
		i := 0
		if len(p) > 0 && p[0] == '\n' {
			i = 1
		}
		for range k {
			i += bytes.IndexByte(p[i:], '\n') + 1
		}
		return i + delta
	}
}

// allBut accepts all but the last n bytes.
func allBut(n int) cut { return func(p []byte) int { return len(p) - n } }

// diskWriter is an io.Writer on a filling disk: each Write takes the next
// cut, writes the bytes it accepts and, if that is not all of p, returns
// ENOSPC, as os.File does. Once the cuts are used up, writes succeed.
type diskWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cuts   []cut
	writes int
}

func (d *diskWriter) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes++
	c := whole
	if len(d.cuts) > 0 {
		c, d.cuts = d.cuts[0], d.cuts[1:]
	}
	n := c(p)
	d.buf.Write(p[:n])
	if n < len(p) {
		return n, syscall.ENOSPC
	}
	return n, nil
}

func (d *diskWriter) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.buf.String()
}

// readBack reads out, returning the units of the good lines and the number
// of bad ones. Any error that is not a *LineError fails the test.
func readBack(t *testing.T, out string) (units []string, bad int) {
	t.Helper()
	for e, err := range exposure.Read(strings.NewReader(out)) {
		if err != nil {
			var le *exposure.LineError
			require.ErrorAs(t, err, &le)
			bad++
			continue
		}
		units = append(units, e.Unit)
	}
	return units, bad
}

// TestShortWrites: a batch of three lines meets a filling disk, then a
// batch of two follows and the Writer is closed. Every exposure counted
// written reads back, a cut line reads back as one bad line, and no other
// line is spoilt.
func TestShortWrites(t *testing.T) {
	tests := []struct {
		name  string
		cuts  []cut // for the first batch's write, the second's, Close's newline
		units []string
		bad   int
		stats exposure.Stats
		// closeErr: Close reports an error (the second batch or the
		// final newline failed).
		closeErr bool
	}{
		{"nothing written", []cut{at(0)},
			[]string{"u-0-3", "u-0-4"}, 0, exposure.Stats{Written: 2, Failed: 3, Errors: 1}, false},
		{"first line cut", []cut{at(10)},
			[]string{"u-0-3", "u-0-4"}, 1, exposure.Stats{Written: 2, Failed: 3, Errors: 1}, false},
		{"first line whole", []cut{afterLine(1, 0)},
			[]string{"u-0-0", "u-0-3", "u-0-4"}, 0, exposure.Stats{Written: 3, Failed: 2, Errors: 1}, false},
		{"first line but its newline", []cut{afterLine(1, -1)},
			[]string{"u-0-0", "u-0-3", "u-0-4"}, 0, exposure.Stats{Written: 3, Failed: 2, Errors: 1}, false},
		{"second line cut", []cut{afterLine(1, 5)},
			[]string{"u-0-0", "u-0-3", "u-0-4"}, 1, exposure.Stats{Written: 3, Failed: 2, Errors: 1}, false},
		{"last newline missing", []cut{allBut(1)},
			[]string{"u-0-0", "u-0-1", "u-0-2", "u-0-3", "u-0-4"}, 0, exposure.Stats{Written: 5, Errors: 1}, false},
		{"cut, then only the newline", []cut{at(10), at(1)},
			nil, 1, exposure.Stats{Failed: 5, Errors: 2}, true},
		{"cut, then not even the newline", []cut{at(10), at(0)},
			nil, 1, exposure.Stats{Failed: 5, Errors: 2}, true},
		{"cut twice", []cut{afterLine(1, 5), afterLine(1, 3)},
			[]string{"u-0-0", "u-0-3"}, 2, exposure.Stats{Written: 2, Failed: 3, Errors: 2}, true},
		{"cut, then the last newline missing", []cut{afterLine(2, 5), allBut(1)},
			[]string{"u-0-0", "u-0-1", "u-0-3", "u-0-4"}, 1, exposure.Stats{Written: 4, Failed: 1, Errors: 2}, true},
		{"the disk stays full", []cut{afterLine(1, 5), at(0), at(0)},
			[]string{"u-0-0"}, 1, exposure.Stats{Written: 1, Failed: 4, Errors: 3}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := &diskWriter{cuts: tc.cuts}
			w := newWriter(t, out, exposure.WriterOptions{BatchSize: 100, FlushInterval: -1})
			for i := range 3 {
				w.Log(t.Context(), expo(0, i))
			}
			assert.ErrorIs(t, w.Flush(t.Context()), syscall.ENOSPC)
			for i := 3; i < 5; i++ {
				w.Log(t.Context(), expo(0, i))
			}
			err := w.Close(t.Context())
			if tc.closeErr {
				assert.ErrorIs(t, err, syscall.ENOSPC)
			} else {
				assert.NoError(t, err)
			}
			units, bad := readBack(t, out.String())
			assert.Equal(t, tc.units, units)
			assert.Equal(t, tc.bad, bad, "bad lines in %q", out.String())
			tc.stats.Logged = 5
			assert.Equal(t, tc.stats, w.Stats())
			assert.Equal(t, int64(len(units)), w.Stats().Written, "every exposure counted written reads back")
		})
	}
}

// TestShortWriteEndsLineOnClose: a cut line is ended on Close, so that
// whatever is appended to the file next starts on a line of its own.
func TestShortWriteEndsLineOnClose(t *testing.T) {
	out := &diskWriter{cuts: []cut{at(10)}}
	w := newWriter(t, out, exposure.WriterOptions{FlushInterval: -1})
	w.Log(t.Context(), expo(0, 0))
	assert.ErrorIs(t, w.Close(t.Context()), syscall.ENOSPC)
	assert.Equal(t, 11, len(out.String()))
	assert.True(t, strings.HasSuffix(out.String(), "\n"), "%q", out.String())
	assert.Equal(t, exposure.Stats{Logged: 1, Failed: 1, Errors: 1}, w.Stats())
	// Another Writer appending to the same output loses nothing.
	w2 := newWriter(t, out, exposure.WriterOptions{})
	w2.Log(t.Context(), expo(0, 1))
	require.NoError(t, w2.Close(t.Context()))
	units, bad := readBack(t, out.String())
	assert.Equal(t, []string{"u-0-1"}, units)
	assert.Equal(t, 1, bad)
}

// lyingWriter reports a byte count outside [0, len(p)] or panics after
// writing part of p: how much was written is unknown.
type lyingWriter struct {
	n     int // the count reported; -1 panics
	calls int
	syncBuffer
}

func (l *lyingWriter) Write(p []byte) (int, error) {
	l.calls++
	if l.calls > 1 {
		return l.syncBuffer.Write(p)
	}
	_, _ = l.syncBuffer.Write(p[:5])
	if l.n < 0 {
		panic("disk on fire")
	}
	return l.n, nil
}

// TestUnknownCount: when the writer does not say how much it wrote, its
// batch counts as failed and the next line starts on a line of its own.
func TestUnknownCount(t *testing.T) {
	tests := []struct {
		name string
		n    int
	}{
		{"negative count", -2},
		{"panic", -1},
		{"count above len(p)", 1 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := &lyingWriter{n: tc.n}
			w := newWriter(t, out, exposure.WriterOptions{FlushInterval: -1})
			w.Log(t.Context(), expo(0, 0))
			assert.Error(t, w.Flush(t.Context()))
			w.Log(t.Context(), expo(0, 1))
			require.NoError(t, w.Close(t.Context()))
			units, bad := readBack(t, out.String())
			assert.Equal(t, []string{"u-0-1"}, units)
			assert.Equal(t, 1, bad)
			assert.Equal(t, exposure.Stats{Logged: 2, Written: 1, Failed: 1, Errors: 1}, w.Stats())
		})
	}
}

// lineLen returns the length of e's line, its newline excluded: what
// encoding/json gives with HTML escaping off, as the Writer writes.
func lineLen(t testing.TB, e exposure.Exposure) int {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(e))
	return b.Len() - 1
}

// sized returns an exposure for unit i whose line is n bytes long, padded
// in its Rule with pad (a string of one byte, which may encode to more).
func sized(t testing.TB, i, n int, pad string) exposure.Exposure {
	e := expo(0, i)
	e.Rule = pad
	per := lineLen(t, e) - lineLen(t, expo(0, i)) - len(`,"rule":""`)
	e.Rule = ""
	base := lineLen(t, e) + len(`,"rule":""`)
	e.Rule = strings.Repeat(pad, (n-base)/per)
	for lineLen(t, e) < n {
		e.Rule += "x"
	}
	require.Equal(t, n, lineLen(t, e))
	return e
}

// TestOversized: the Writer writes a line of MaxLineBytes, which Read
// accepts, and counts a longer one in Oversized without writing it, nor
// remembering it for de-duplication.
func TestOversized(t *testing.T) {
	const max = exposure.MaxLineBytes
	tests := []struct {
		name string
		e    exposure.Exposure
		ok   bool
	}{
		{"MaxLineBytes", sized(t, 1, max, "x"), true},
		{"MaxLineBytes escaped", sized(t, 1, max-2, "\x01"), true},
		{"one byte more", sized(t, 1, max+1, "x"), false},
		{"escaping makes it too long", sized(t, 1, max+5, "\x01"), false},
		{"far too long", exposure.Exposure{Time: t0, Plan: "p", Variant: "a", Unit: "u-0-1", Rule: strings.Repeat("x", 3*max)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, dedup := range []time.Duration{0, time.Hour} {
				var out syncBuffer
				w := newWriter(t, &out, exposure.WriterOptions{Block: true, Dedup: dedup})
				w.Log(t.Context(), expo(0, 0))
				w.Log(t.Context(), tc.e)
				short := tc.e
				short.Rule = "r"
				w.Log(t.Context(), short) // the same key: a repeat only if tc.e was written
				w.Log(t.Context(), expo(0, 2))
				require.NoError(t, w.Close(t.Context()))

				want := exposure.Stats{Logged: 4, Written: 3}
				wantUnits := []string{"u-0-0", "u-0-1", "u-0-2"}
				switch {
				case tc.ok && dedup > 0:
					want.Deduplicated = 1
				case tc.ok:
					want.Written = 4
					wantUnits = []string{"u-0-0", "u-0-1", "u-0-1", "u-0-2"}
				default:
					want.Oversized = 1
				}
				assert.Equal(t, want, w.Stats())
				units, bad := readBack(t, out.String())
				assert.Zero(t, bad)
				assert.Equal(t, wantUnits, units)
			}
		})
	}
}

// TestCloseAgain: a Close whose ctx ends while the underlying writer is
// stuck returns ctx's error, and so does every Close until the writer
// returns; the next Close then finishes the job: what was queued is
// written and the goroutine exits (goleak checks).
func TestCloseAgain(t *testing.T) {
	tests := []struct {
		name    string
		fail    bool
		wantErr error
	}{
		{"writer recovers", false, nil},
		{"writer fails", true, errBoom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				gate := newGate()
				out := &failGate{gateWriter: gate, fail: tc.fail}
				w := newWriter(t, out, exposure.WriterOptions{BatchSize: 1, FlushInterval: -1})
				for i := range 3 {
					w.Log(t.Context(), expo(0, i))
				}
				<-gate.entered // expo(0, 0) is stuck in Write

				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				assert.ErrorIs(t, w.Close(ctx), context.DeadlineExceeded)
				assert.ErrorIs(t, w.Close(ctx), context.DeadlineExceeded, "the writer is still stuck")
				cancelled, cancel2 := context.WithCancel(t.Context())
				cancel2()
				assert.ErrorIs(t, w.Close(cancelled), context.Canceled)
				w.Log(t.Context(), expo(0, 3)) // after Close: dropped
				assert.ErrorIs(t, w.Flush(ctx), context.DeadlineExceeded)

				close(gate.release)
				err := w.Close(t.Context())
				if tc.wantErr != nil {
					assert.ErrorIs(t, err, tc.wantErr)
					assert.Equal(t, exposure.Stats{Logged: 4, Dropped: 1, Failed: 3, Errors: 3}, w.Stats())
				} else {
					assert.NoError(t, err)
					assert.Equal(t, exposure.Stats{Logged: 4, Dropped: 1, Written: 3}, w.Stats())
					assert.Equal(t, []string{"u-0-0", "u-0-1", "u-0-2"}, units(readAll(t, gate.String())))
				}
				assert.Equal(t, err, w.Close(ctx), "once finished, Close returns the same, whatever its ctx")
				assert.ErrorIs(t, w.Flush(t.Context()), exposure.ErrClosed)
			})
		})
	}
}

// failGate is a gateWriter that, if fail is set, fails every write once
// released, writing nothing.
type failGate struct {
	*gateWriter
	fail bool
}

func (f *failGate) Write(p []byte) (int, error) {
	if f.fail {
		f.once.Do(func() { close(f.entered) })
		<-f.release
		return 0, errBoom
	}
	return f.gateWriter.Write(p)
}

// TestDedupForgetsFailedLines: an exposure whose line was not written is
// not remembered for de-duplication: its repeat, after the disk recovers,
// is written rather than skipped.
func TestDedupForgetsFailedLines(t *testing.T) {
	tests := []struct {
		name  string
		cut   cut
		units []string // read back
		stats exposure.Stats
	}{
		{"nothing written", at(0), []string{"u-0-0", "u-0-1", "u-0-2"},
			exposure.Stats{Written: 3, Deduplicated: 0, Failed: 3, Errors: 1}},
		{"first line written", afterLine(1, 0), []string{"u-0-0", "u-0-1", "u-0-2"},
			exposure.Stats{Written: 3, Deduplicated: 1, Failed: 2, Errors: 1}},
		{"two lines written", afterLine(2, 3), []string{"u-0-0", "u-0-1", "u-0-2"},
			exposure.Stats{Written: 3, Deduplicated: 2, Failed: 1, Errors: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := &diskWriter{cuts: []cut{tc.cut}}
			w := newWriter(t, out, exposure.WriterOptions{Dedup: time.Hour, FlushInterval: -1})
			for i := range 3 {
				w.Log(t.Context(), expo(0, i))
			}
			assert.ErrorIs(t, w.Flush(t.Context()), syscall.ENOSPC)
			for i := range 3 { // the same exposures again, a second later
				e := expo(0, i)
				e.Time = e.Time.Add(time.Second)
				w.Log(t.Context(), e)
			}
			require.NoError(t, w.Close(t.Context()))
			units, _ := readBack(t, out.String())
			assert.Equal(t, tc.units, units)
			tc.stats.Logged = 6
			assert.Equal(t, tc.stats, w.Stats())
		})
	}
}
