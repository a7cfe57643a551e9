package exposure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero fields of WriterOptions.
const (
	// DefaultQueueSize is the queue's capacity when WriterOptions.QueueSize
	// is zero.
	DefaultQueueSize = 4096
	// DefaultBatchSize is the number of lines per write when
	// WriterOptions.BatchSize is zero.
	DefaultBatchSize = 512
	// DefaultFlushInterval is the period of the background flush when
	// WriterOptions.FlushInterval is zero.
	DefaultFlushInterval = time.Second
	// DefaultDedupEntries is the size of the de-duplication table when
	// WriterOptions.Dedup is set and WriterOptions.DedupEntries is zero.
	DefaultDedupEntries = 1 << 16
)

// maxBatchBytes bounds the bytes held in a batch: a batch is written when
// it reaches BatchSize lines or this many bytes, whichever comes first.
const maxBatchBytes = 64 << 10

// ErrConfig is wrapped by every error NewWriter returns for bad options.
var ErrConfig = errors.New("exposure: invalid writer options")

// ErrClosed is returned by Flush on a Writer that has been closed.
var ErrClosed = errors.New("exposure: writer closed")

// WriterOptions configures a Writer. The zero value is valid: a queue of
// DefaultQueueSize exposures, batches of DefaultBatchSize lines, a flush
// every second, exposures dropped (and counted) when the queue is full, and
// no de-duplication.
type WriterOptions struct {
	// QueueSize is the capacity of the queue between Log and the
	// background writer, in exposures (about 120 bytes each plus the
	// strings they point to). Zero means DefaultQueueSize. Negative is an
	// error.
	QueueSize int
	// BatchSize is the most lines the background writer hands to the
	// underlying io.Writer in one Write (a batch also ends at 64 KiB).
	// Zero means DefaultBatchSize. Negative is an error.
	BatchSize int
	// FlushInterval is how often the background writer writes a partial
	// batch, so that lines never wait long in memory at low traffic.
	// Zero means DefaultFlushInterval; negative means never (lines are
	// written when a batch fills, on Flush and on Close).
	FlushInterval time.Duration
	// Block makes Log wait for room when the queue is full, for users who
	// must lose nothing. A blocked Log still gives up, counting a drop,
	// when its ctx ends or when Close gives up waiting (its ctx ended).
	// False (the default) means Log never waits: an exposure that finds
	// the queue full is dropped and counted.
	Block bool
	// Dedup, when positive, drops an exposure whose (plan, variant, unit)
	// was written less than Dedup earlier (by Exposure.Time), counting it
	// in Stats.Deduplicated. A line that a failed or short write did not
	// write whole does not count as written, so the next exposure of its
	// key is written (one repeated within the same batch is still
	// skipped). Zero means every exposure is written.
	// Negative is an error. See DedupEntries for the memory bound.
	Dedup time.Duration
	// DedupEntries bounds the de-duplication table: it remembers at most
	// this many (plan, variant, unit) keys (rounded up to a power of two,
	// at least 4), in 16 bytes each, whatever the traffic. A key evicted by
	// newer ones is forgotten early, so its next exposure is written again
	// (a duplicate line, never a lost one). Zero means DefaultDedupEntries
	// (1 MiB). Negative is an error. Ignored when Dedup is zero.
	DedupEntries int
	// Now supplies the time used for exposures whose Time is zero, which
	// de-duplication needs. Nil means time.Now.
	Now func() time.Time
}

// Stats are a Writer's counters. Each is exact; a Stats value is read field
// by field, so while exposures flow the fields may be from slightly
// different instants. Once Close has returned (nil or not) and the
// background goroutine has exited:
//
//	Logged = Dropped + Deduplicated + Written + Failed + Oversized
//
// Written and Failed count what the underlying io.Writer reported: an
// exposure is Written once the bytes of its line up to its closing brace
// are among those Write reported as written; a writer that panics or
// reports a byte count outside [0, len(p)] leaves its batch counted Failed.
type Stats struct {
	// Logged counts calls to Log, including those that were dropped.
	Logged int64 `json:"logged"`
	// Written counts exposures whose line the underlying writer accepted
	// whole: each one reads back with Read.
	Written int64 `json:"written"`
	// Dropped counts exposures refused by Log: the queue was full (drop
	// mode), the Writer was closed, or a blocked Log gave up.
	Dropped int64 `json:"dropped"`
	// Deduplicated counts exposures skipped as repeats (WriterOptions.Dedup).
	Deduplicated int64 `json:"deduplicated"`
	// Failed counts exposures whose line the underlying writer did not
	// accept whole: the write of their batch failed or was short. After a
	// short write, a line that was cut is left in the output and ended with
	// a newline before anything else is written, so it reads back as one
	// bad line (a *LineError from Read) and never spoils another line.
	Failed int64 `json:"failed"`
	// Oversized counts exposures never written because their line would be
	// longer than MaxLineBytes, the longest line Read accepts.
	Oversized int64 `json:"oversized"`
	// Errors counts failed writes and flushes of the underlying writer.
	Errors int64 `json:"errors"`
}

// A Writer is a Logger that writes exposures as JSON lines (one object per
// line, the fields of Exposure under their json names) to an io.Writer,
// in batches, from a background goroutine. Log only copies the exposure
// into a bounded queue; encoding and writing happen in the background.
//
// Every line it writes reads back with Read: an exposure whose line would
// exceed MaxLineBytes is not written (Stats.Oversized). If a Write is short
// (a full disk), the exposures whose lines were written whole count as
// Written and the rest of the batch as Failed; the cut line stays where it
// is (the Writer cannot take bytes back from an io.Writer) and the Writer
// writes a newline before its next line, or on Close, so the cut line
// reads back as one bad line and the lines after it are intact.
//
// A Writer is safe for concurrent use. Its zero value is not usable; call
// NewWriter. Every Writer must be closed with Close, which writes what is
// queued and stops its goroutine. If the underlying writer also has a
// Flush() error method (a *bufio.Writer, say), it is called after each
// batch that Flush, Close or the periodic flush writes.
type Writer struct {
	out     io.Writer
	flusher interface{ Flush() error }
	block   bool
	now     func() time.Time

	queue   chan Exposure // closed once closing is set and no Log is sending
	flushes chan chan error
	done    chan struct{} // closed when the background goroutine has exited
	abort   chan struct{} // closed when a Close gives up: blocked Logs drop

	closing   atomic.Bool
	senders   atomic.Int64 // Log calls between enter and leave
	closeOnce sync.Once
	abortOnce sync.Once

	logged, written, dropped, deduped, failed, oversized, errs atomic.Int64
	lastErr                                                    atomic.Pointer[error]

	// Owned by the background goroutine.
	batchSize int
	interval  time.Duration
	buf       []byte // "\n", then the batch's lines; the "\n" ends a cut line
	lines     int64
	dirty     bool // the output may end inside a line: write buf[0] first
	dedup     *dedupTable
	keys      []dedupEntry // with dedup: the batch's keys, line by line
	pending   error        // first write error not yet reported by Flush or Close
	closeErr  error        // what Close returns; set before done is closed
}

// NewWriter returns a Writer that writes exposures to out and starts its
// background goroutine. It returns an error wrapping ErrConfig if out is
// nil or an option is negative.
func NewWriter(out io.Writer, opts WriterOptions) (*Writer, error) {
	switch {
	case out == nil:
		return nil, fmt.Errorf("%w: nil io.Writer", ErrConfig)
	case opts.QueueSize < 0:
		return nil, fmt.Errorf("%w: QueueSize %d is negative", ErrConfig, opts.QueueSize)
	case opts.BatchSize < 0:
		return nil, fmt.Errorf("%w: BatchSize %d is negative", ErrConfig, opts.BatchSize)
	case opts.Dedup < 0:
		return nil, fmt.Errorf("%w: Dedup %v is negative", ErrConfig, opts.Dedup)
	case opts.DedupEntries < 0:
		return nil, fmt.Errorf("%w: DedupEntries %d is negative", ErrConfig, opts.DedupEntries)
	case opts.DedupEntries > 1<<30:
		return nil, fmt.Errorf("%w: DedupEntries %d is above 2^30", ErrConfig, opts.DedupEntries)
	}
	if opts.QueueSize == 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &Writer{
		out:       out,
		block:     opts.Block,
		now:       opts.Now,
		queue:     make(chan Exposure, opts.QueueSize),
		flushes:   make(chan chan error),
		done:      make(chan struct{}),
		abort:     make(chan struct{}),
		batchSize: opts.BatchSize,
		interval:  opts.FlushInterval,
		buf:       newBuf(),
	}
	if f, ok := out.(interface{ Flush() error }); ok {
		w.flusher = f
	}
	if opts.Dedup > 0 {
		entries := opts.DedupEntries
		if entries == 0 {
			entries = DefaultDedupEntries
		}
		w.dedup = newDedupTable(entries, opts.Dedup)
	}
	go w.run()
	return w, nil
}

// Log queues e for writing. In drop mode (the default) it never waits: if
// the queue is full, e is dropped and counted in Stats.Dropped. With
// WriterOptions.Block it waits for room until ctx ends (then drops). After
// Close, every exposure is dropped. Log does not allocate while the queue
// has room; e's strings are used after Log returns, so they must not be
// mutated (Go strings never are, unless built with package unsafe).
func (w *Writer) Log(ctx context.Context, e Exposure) {
	w.logged.Add(1)
	if !w.enter() {
		w.dropped.Add(1)
		return
	}
	select {
	case w.queue <- e:
	default:
		if !w.block || !w.wait(ctx, e) {
			w.dropped.Add(1)
		}
	}
	w.leave()
}

// wait sends e on the queue, waiting for room until ctx ends or a Close
// gives up. It reports whether e was queued.
func (w *Writer) wait(ctx context.Context, e Exposure) bool {
	var ctxDone <-chan struct{}
	if ctx != nil {
		ctxDone = ctx.Done()
	}
	select {
	case w.queue <- e:
		return true
	case <-ctxDone:
		return false
	case <-w.abort:
		return false
	}
}

// enter registers a sender, or reports false if the Writer is closing.
// With leave it guarantees that nobody sends on queue after it is closed:
// Close closes the queue only when closing is set and no sender is
// registered, and a sender that registers after closing was set backs out.
func (w *Writer) enter() bool {
	if w.closing.Load() {
		return false
	}
	w.senders.Add(1)
	if w.closing.Load() {
		w.leave()
		return false
	}
	return true
}

// leave unregisters a sender; the last one out of a closing Writer closes
// the queue.
func (w *Writer) leave() {
	if w.senders.Add(-1) == 0 && w.closing.Load() {
		w.closeQueue()
	}
}

func (w *Writer) closeQueue() { w.closeOnce.Do(func() { close(w.queue) }) }

// Flush waits until every exposure that Log queued before Flush was called
// has been written (or de-duplicated, or lost to a write error), and the
// underlying writer has been flushed if it can be. It returns the first
// write error since the previous Flush, wrapped, or an error wrapping
// ctx.Err() if ctx ends first (the flush still completes in the
// background), or ErrClosed after Close. Flush is safe for concurrent use.
func (w *Writer) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case w.flushes <- reply:
	case <-w.done:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("exposure: flush: %w", ctx.Err())
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("exposure: flush: %w", ctx.Err())
	}
}

// Close stops intake (later Log calls count as dropped), writes every
// queued exposure, flushes the underlying writer if it can, and stops the
// background goroutine. It returns the first write error not yet reported
// by Flush, wrapped, or nil. If ctx ends first, Close makes blocked Log
// calls give up and returns an error wrapping ctx.Err(); the goroutine
// still writes what was queued and exits once the underlying writer
// returns, and calling Close again (with a ctx that has not ended) waits
// for that and returns what a Close that had waited would have. Close
// ends a line cut by a short write (see Writer) and does not close the
// underlying writer. It is safe for
// concurrent use and may be called more than once; once the goroutine has
// exited, every call returns the same result.
func (w *Writer) Close(ctx context.Context) error {
	if !w.closing.Swap(true) && w.senders.Load() == 0 {
		w.closeQueue()
	}
	select {
	case <-w.done:
		return w.closeErr
	default:
	}
	select {
	case <-w.done:
		return w.closeErr
	case <-ctx.Done():
		w.abortOnce.Do(func() { close(w.abort) })
		return fmt.Errorf("exposure: close: %w", ctx.Err())
	}
}

// Stats returns the Writer's counters. It is safe for concurrent use and
// does not allocate.
func (w *Writer) Stats() Stats {
	return Stats{
		Logged:       w.logged.Load(),
		Written:      w.written.Load(),
		Dropped:      w.dropped.Load(),
		Deduplicated: w.deduped.Load(),
		Failed:       w.failed.Load(),
		Oversized:    w.oversized.Load(),
		Errors:       w.errs.Load(),
	}
}

// Err returns the most recent error of the underlying writer, wrapped, or
// nil if none has occurred. It is safe for concurrent use.
func (w *Writer) Err() error {
	if p := w.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// run is the background goroutine: it encodes queued exposures into the
// batch, writes full batches, writes partial ones on each tick, answers
// Flush, and, when the queue is closed, writes the rest and exits.
func (w *Writer) run() {
	defer close(w.done)
	var tick <-chan time.Time
	if w.interval > 0 {
		t := time.NewTicker(w.interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case e, ok := <-w.queue:
			if !ok {
				w.finish()
				return
			}
			w.add(e)
		case <-tick:
			w.writeBatch(true)
		case reply := <-w.flushes:
			open := w.drain(len(w.queue))
			w.writeBatch(true)
			reply <- w.takePending()
			if !open {
				w.finish()
				return
			}
		}
	}
}

// drain takes up to n queued exposures, reporting false if it found the
// queue closed.
func (w *Writer) drain(n int) bool {
	for range n {
		e, ok := <-w.queue
		if !ok {
			return false
		}
		w.add(e)
	}
	return true
}

// finish writes the last batch, ends a cut line, and records what Close
// returns.
func (w *Writer) finish() {
	if w.lines > 0 {
		w.writeLines()
	}
	w.endLine()
	w.writeBatch(true)
	w.closeErr = w.takePending()
}

// newBuf returns an empty batch buffer: the "\n" that ends a cut line, and
// room for lines.
func newBuf() []byte { return append(make([]byte, 0, 4096), '\n') }

// maxSafeRaw is the most bytes of strings an Exposure can hold and still
// be sure to encode within MaxLineBytes: escaping turns a byte into at most
// 6 (\u00XX, or \ufffd for a byte of invalid UTF-8), and the keys,
// punctuation and time take less than 256 bytes.
const maxSafeRaw = (MaxLineBytes - 256) / 6

// add encodes e into the batch unless it is a repeat or its line would be
// too long, and writes the batch when it is full.
func (w *Writer) add(e Exposure) {
	start := len(w.buf)
	encoded := false
	if n := len(e.Plan) + len(e.Rule) + len(e.Variant) + len(e.Served) + len(e.Reason) + len(e.Unit); n > maxSafeRaw {
		// Encode before de-duplicating, so that a line never written is
		// never remembered as written.
		if n > MaxLineBytes {
			w.oversized.Add(1)
			return
		}
		w.buf = appendExposure(w.buf, &e)
		if len(w.buf)-start > MaxLineBytes {
			w.buf = w.buf[:start]
			w.oversized.Add(1)
			w.shrink()
			return
		}
		encoded = true
	}
	if w.dedup != nil {
		t := e.Time
		if t.IsZero() {
			t = w.now()
		}
		repeat, h := w.dedup.check(e.Plan, e.Variant, e.Unit, t.UnixNano())
		if repeat {
			w.buf = w.buf[:start]
			w.deduped.Add(1)
			return
		}
		w.keys = append(w.keys, dedupEntry{hash: h, at: t.UnixNano()})
	}
	if !encoded {
		w.buf = appendExposure(w.buf, &e)
	}
	w.buf = append(w.buf, '\n')
	w.lines++
	if w.lines >= int64(w.batchSize) || len(w.buf) >= maxBatchBytes {
		w.writeBatch(false)
	}
}

// shrink drops an empty batch buffer that a huge line grew.
func (w *Writer) shrink() {
	if w.lines == 0 && cap(w.buf) > 4*maxBatchBytes {
		w.buf = newBuf()
	}
}

// writeBatch writes the batch to the underlying writer, then flushes that
// if flush is set and it can be flushed.
func (w *Writer) writeBatch(flush bool) {
	if w.lines > 0 {
		w.writeLines()
	}
	if flush && w.flusher != nil {
		if err := w.protect(w.flusher.Flush); err != nil {
			w.fail(fmt.Errorf("exposure: flush: %w", err))
		}
	}
}

// writeLines writes the batch's lines, preceded by a newline if the output
// may end inside a cut line, and counts each line written whole or failed.
func (w *Writer) writeLines() {
	p := w.buf[1:]
	if w.dirty {
		p = w.buf
	}
	n, err := w.write(p)
	switch {
	case err == nil || n == len(p):
		w.written.Add(w.lines)
		w.dirty = false
	case n < 0: // unknown: count nothing written, end whatever was cut
		w.failed.Add(w.lines)
		w.forget(0)
		w.dirty = true
	default:
		// Lines written whole: those whose newline was written, and the one
		// whose newline was the first byte left out (its object is
		// complete; the newline written before the next line ends it).
		whole := int64(0)
		lines := w.buf[1:]
		if m := n - (len(p) - len(lines)); m > 0 {
			whole = int64(bytes.Count(lines[:m], lineEnd))
			if lines[m] == '\n' {
				whole++
			}
		}
		if n > 0 {
			w.dirty = p[n-1] != '\n'
		}
		w.written.Add(whole)
		w.failed.Add(w.lines - whole)
		w.forget(int(whole))
	}
	if err != nil {
		w.fail(fmt.Errorf("exposure: write: %w", err))
	}
	w.lines = 0
	w.buf = w.buf[:1]
	w.keys = w.keys[:0]
	w.shrink()
}

// forget makes de-duplication forget the keys of the batch's lines from
// the (whole)th on, which were not written: their next exposures are
// written, not skipped as repeats.
func (w *Writer) forget(whole int) {
	if w.dedup == nil {
		return
	}
	for _, k := range w.keys[whole:] {
		w.dedup.forget(k.hash, k.at)
	}
}

// endLine writes a newline if the output may end inside a cut line, so
// that whoever appends to it next starts on a line of its own.
func (w *Writer) endLine() {
	if !w.dirty {
		return
	}
	n, err := w.write(w.buf[:1])
	if n == 1 {
		w.dirty = false
	}
	if err != nil {
		w.fail(fmt.Errorf("exposure: write: %w", err))
	}
}

var lineEnd = []byte{'\n'}

// write writes p and returns the number of bytes written, or -1 if that is
// unknown (the writer panicked, or reported a count outside [0, len(p)]),
// turning short writes and panics into errors.
func (w *Writer) write(p []byte) (n int, err error) {
	n = -1
	err = w.protect(func() error {
		m, err := w.out.Write(p)
		switch {
		case m < 0 || m > len(p):
			if err == nil {
				err = fmt.Errorf("invalid count %d of %d bytes written", m, len(p))
			}
			return err
		case err == nil && m < len(p):
			err = io.ErrShortWrite
		}
		n = m
		return err
	})
	return n, err
}

// protect calls f, turning a panic into an error: a faulty writer must not
// crash the service from a goroutine it does not own.
func (w *Writer) protect(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return f()
}

// fail records a write error.
func (w *Writer) fail(err error) {
	w.errs.Add(1)
	w.lastErr.Store(&err)
	if w.pending == nil {
		w.pending = err
	}
}

// takePending returns the first unreported error and forgets it.
func (w *Writer) takePending() error {
	err := w.pending
	w.pending = nil
	return err
}
