package planfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/varroute/varroute/strategy"
)

// DefaultInterval is the polling interval when Options.Interval is zero.
const DefaultInterval = time.Second

// A Watcher applies plans to a strategy.Target: a *router.Router, several
// of them (strategy.Targets), or a strategy.TargetFunc. SetPlan must apply
// a plan atomically or not at all, and return an error (ideally a
// *strategy.Error naming the field) when it refuses one. A target that also
// has a method Plan() strategy.Plan (as *router.Router does) lets the
// Watcher skip a file whose plan equals the one serving, and log the plan
// it replaces.

// planner is the optional interface of a target that reports its plan.
type planner interface {
	Plan() strategy.Plan
}

// Options configures a Watcher. The zero value polls every second, reads
// files up to DefaultMaxSize, logs to slog.Default() and calls no callback.
type Options struct {
	// Interval is the time between two polls. Zero means DefaultInterval.
	Interval time.Duration
	// MaxSize is the largest file, in bytes, that is read; a larger one is
	// refused with ErrTooLarge. Zero means DefaultMaxSize.
	MaxSize int64
	// Logger receives an Info record for every plan applied and an Error
	// record for every file refused. Nil means slog.Default().
	Logger *slog.Logger
	// OnChange, if not nil, is called after every plan applied.
	OnChange func(Change)
	// OnError, if not nil, is called with the *Error of every file
	// refused. A file is refused (and logged, and reported) once, not at
	// every poll while it stays the same.
	OnError func(error)
}

// A Change is a plan applied by a Watcher.
type Change struct {
	// Path is the plan file.
	Path string
	// Old is the plan that served before: the target's (if it has a Plan
	// method) or the one this Watcher applied last; the zero Plan if neither
	// is known.
	Old strategy.Plan
	// New is the plan applied.
	New strategy.Plan
	// Version identifies the file's content: "sha256:" and the first 12
	// hex digits of its SHA-256.
	Version string
}

// A Watcher polls a plan file and applies every valid change to a Target.
// It is safe for concurrent use. Create one with NewWatcher; the zero value
// is not usable. Start polls in the background until Close; Check polls once,
// synchronously. See the package documentation for how changes are detected
// and how a plan file should be written.
type Watcher struct {
	path   string
	target strategy.Target
	opts   Options

	mu      sync.Mutex // serializes checks; guards the fields below
	checked bool
	last    state
	lastErr error
	applied strategy.Plan // the last plan this Watcher applied
	hasPlan bool

	life    sync.Mutex // guards the fields below
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// state is what a poll saw: the content's hash or the read error's text.
type state struct {
	sum     [sha256.Size]byte
	readErr string
}

// NewWatcher returns a Watcher of the plan file at path that applies changes
// to target. It does not read the file: call Check to apply it at once, or
// Start. It returns an error if path is empty, target is nil or an option is
// negative.
func NewWatcher(path string, target strategy.Target, opts Options) (*Watcher, error) {
	switch {
	case path == "":
		return nil, errors.New("planfile: empty path")
	case target == nil:
		return nil, errors.New("planfile: nil target")
	case opts.Interval < 0:
		return nil, fmt.Errorf("planfile: negative interval %v", opts.Interval)
	case opts.MaxSize < 0:
		return nil, fmt.Errorf("planfile: negative max size %d", opts.MaxSize)
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Watcher{path: path, target: target, opts: opts}, nil
}

// Watch polls the plan file at path every opts.Interval, applying every valid
// change to target, until ctx is done; it checks the file once at once.
// It returns nil when ctx ends, or an error if the arguments are invalid
// (see NewWatcher). Refused files are logged and reported to opts.OnError,
// never returned.
func Watch(ctx context.Context, path string, target strategy.Target, opts Options) error {
	w, err := NewWatcher(path, target, opts)
	if err != nil {
		return err
	}
	w.run(ctx)
	return nil
}

// Start checks the file once and then every Options.Interval, on a goroutine
// of its own, until Close. Calling Start again, or after Close, does nothing.
func (w *Watcher) Start() {
	w.life.Lock()
	defer w.life.Unlock()
	if w.started || w.closed {
		return
	}
	w.started = true
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan struct{})
	go func() {
		defer close(w.done)
		w.run(ctx)
	}()
}

// Close stops the polling goroutine and waits for it to return or for ctx to
// end, returning ctx's error in that case. A check in progress finishes
// first. Calling Close again, or without Start, returns nil.
func (w *Watcher) Close(ctx context.Context) error {
	w.life.Lock()
	first := !w.closed
	w.closed = true
	cancel, done := w.cancel, w.done
	w.life.Unlock()
	if !first || cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *Watcher) run(ctx context.Context) {
	t := time.NewTicker(w.opts.Interval)
	defer t.Stop()
	for {
		_ = w.Check() // refusals are logged and reported by Check
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Check polls the file once, synchronously: if its content changed since the
// last check, it is parsed, validated and applied to the target. Check returns
// the *Error that refused the file's current content (again, without logging
// it again, while the content stays the same), or nil if the plan is applied,
// was already serving, or the file was changing while it was read (it is read
// again at the next check). Checks are serialized; the target's SetPlan is
// called with the Watcher's lock held, the callbacks without it.
func (w *Watcher) Check() error {
	w.mu.Lock()
	change, err, report := w.check()
	w.mu.Unlock()
	if report && err != nil && w.opts.OnError != nil {
		w.opts.OnError(err)
	}
	if report && change != nil && w.opts.OnChange != nil {
		w.opts.OnChange(*change)
	}
	return err
}

// check does the work of Check with w.mu held. report says whether the
// outcome is new (to be reported to the callbacks).
func (w *Watcher) check() (change *Change, err error, report bool) {
	log := w.opts.Logger
	data, rerr := readFile(w.path, w.opts.MaxSize)
	if errors.Is(rerr, errUnsettled) {
		log.Debug("planfile: file changed while read; will read it again", slog.String("path", w.path))
		return nil, nil, false
	}
	var st state
	if rerr != nil {
		st.readErr = rerr.Error()
	} else {
		st.sum = sha256.Sum256(data)
	}
	if w.checked && st == w.last {
		return nil, w.lastErr, false
	}
	w.checked, w.last, w.lastErr = true, st, nil
	version := "sha256:" + hex.EncodeToString(st.sum[:6])

	old, hasOld := w.applied, w.hasPlan
	if pl, ok := w.target.(planner); ok {
		old, hasOld = pl.Plan(), true
	}
	refuse := func(err error) (*Change, error, bool) {
		e := &Error{Path: w.path, Err: err}
		w.lastErr = e
		attrs := []any{slog.String("path", w.path), slog.Any("error", e)}
		var se *strategy.Error
		if errors.As(err, &se) {
			attrs = append(attrs, slog.String("field", se.Path), slog.Int("line", se.Line), slog.Int("column", se.Column))
		}
		if hasOld {
			attrs = append(attrs, slog.String("serving", old.Name))
		}
		log.Error("planfile: plan refused; the old plan keeps serving", attrs...)
		return nil, e, true
	}
	if rerr != nil {
		return refuse(rerr)
	}
	p, err := strategy.ParsePlan(data)
	if err != nil {
		return refuse(err)
	}
	if hasOld && samePlan(old, p) {
		log.Debug("planfile: plan unchanged", slog.String("path", w.path), slog.String("plan", p.Name), slog.String("version", version))
		w.applied, w.hasPlan = p, true
		return nil, nil, false
	}
	if err := w.target.SetPlan(p); err != nil {
		return refuse(locate(data, err))
	}
	w.applied, w.hasPlan = p, true
	log.Info("planfile: plan applied",
		slog.String("path", w.path),
		slog.String("version", version),
		slog.String("plan", p.Name),
		slog.String("default", Summary(p.Default)),
		slog.Int("rules", len(p.Rules)),
		slog.String("old_plan", old.Name),
		slog.String("old_default", Summary(old.Default)),
		slog.Int("old_rules", len(old.Rules)),
	)
	return &Change{Path: w.path, Old: old, New: p, Version: version}, nil, true
}

// samePlan reports whether a and b are the same plan. It compares their JSON
// forms, in which a nil and an empty slice or map are alike.
func samePlan(a, b strategy.Plan) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// Summary formats a split for logs, as "v1=90,v2=10".
func Summary(s strategy.Split) string {
	var b strings.Builder
	for i, a := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(a.Variant)
		b.WriteByte('=')
		b.WriteString(strconv.FormatFloat(a.Weight, 'g', -1, 64))
	}
	return b.String()
}
