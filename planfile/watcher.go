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

// planner is the optional interface of a target that reports the plan it
// serves, as *router.Router does: it lets a Watcher skip a file whose plan
// is already serving, and log the plan it replaces.
type planner interface {
	Plan() strategy.Plan
}

// Options configures a Watcher. The zero value polls every second, reads
// files up to DefaultMaxSize, logs to slog.Default() and calls no callback.
type Options struct {
	// Interval is the time between two polls. Zero means DefaultInterval.
	Interval time.Duration
	// MaxSize is the largest file, in bytes, that is read; a larger one is
	// refused with ErrTooLarge. Zero means DefaultMaxSize. A plan larger
	// than strategy.MaxPlanSize is refused by strategy.ParsePlan whatever
	// MaxSize says.
	MaxSize int64
	// Logger receives an Info record for every plan applied and an Error
	// record for every file refused. Nil means slog.Default().
	Logger *slog.Logger
	// OnChange, if not nil, is called after every plan applied.
	OnChange func(Change)
	// OnError, if not nil, is called with the error of every file refused
	// (see Watcher.Check). A file is refused (and logged, and reported)
	// once, not at every poll while it stays the same.
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

// A Watcher polls a plan file and applies every valid change to a
// strategy.Target: a *router.Router, several of them (strategy.Targets), or
// a strategy.TargetFunc. The target's SetPlan must apply a plan atomically
// or not at all, and return an error (ideally a *strategy.Error naming the
// field) when it refuses one.
//
// A Watcher is safe for concurrent use. Create one with NewWatcher; the
// zero value is not usable. Start polls in the background until Close;
// Check polls once, synchronously. See the package documentation for how
// changes are detected and how a plan file should be written.
type Watcher struct {
	path   string
	target strategy.Target
	opts   Options

	mu      sync.Mutex // serializes checks; guards the fields below
	checked bool
	last    state
	lastErr error
	retry   bool          // the target refused the last content for an unknown variant
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

// Close stops the polling goroutine: it cancels it, lets a check in
// progress finish, and waits for the goroutine to return or for ctx to end,
// returning ctx's error in that case. Close can then be called again, to
// wait again and finish the job; once the goroutine has returned, Close
// returns nil. Close without Start returns nil. After Close, Start does
// nothing; Check still polls when called.
func (w *Watcher) Close(ctx context.Context) error {
	w.life.Lock()
	w.closed = true
	cancel, done := w.cancel, w.done
	w.life.Unlock()
	if cancel == nil {
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

// Check polls the file once, synchronously: if its content changed since
// the last check, it is parsed, validated and applied to the target.
//
// Check returns nil if the plan is applied, was already serving, or the
// file was changing while it was read (it is read again at the next check).
// Otherwise it returns why the file's current content is refused — again,
// without logging or reporting it again, while the content stays the same:
//
//   - an *fs.PathError when the file cannot be read: missing, not a regular
//     file (ErrNotRegular; a FIFO is never opened for reading), or over
//     Options.MaxSize (ErrTooLarge);
//   - a *strategy.Error with File set when the plan does not parse or
//     validate, or when the target refuses it with a *strategy.Error, such
//     as a router's for a variant it does not know (matching
//     strategy.ErrUnknownVariant); its line and column locate the field;
//   - the target's own error, wrapped, when it fails for another reason.
//
// A plan refused by the target for naming a variant it does not know is
// retried at every check, even while the file stays the same, so that a
// plan file may name a variant before the service registers it (with
// router.Router.AddVariant): the first check after registration applies
// it. A retry that fails again is reported only if its error differs.
// Other refusals are retried only when the content changes.
//
// Checks are serialized; the target's SetPlan is called with the Watcher's
// lock held, the callbacks without it.
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
	retrying := w.checked && st == w.last
	if retrying && !w.retry {
		return nil, w.lastErr, false
	}
	prevErr := w.lastErr
	w.checked, w.last, w.lastErr, w.retry = true, st, nil, false
	version := "sha256:" + hex.EncodeToString(st.sum[:6])

	old, hasOld := w.applied, w.hasPlan
	if pl, ok := w.target.(planner); ok {
		old, hasOld = pl.Plan(), true
	}
	refuse := func(err error) (*Change, error, bool) {
		w.lastErr = err
		w.retry = errors.Is(err, strategy.ErrUnknownVariant)
		if retrying && prevErr != nil && err.Error() == prevErr.Error() {
			log.Debug("planfile: plan still refused; will retry", slog.String("path", w.path), slog.Any("error", err))
			return nil, err, false
		}
		attrs := []any{slog.String("path", w.path), slog.Any("error", err)}
		var se *strategy.Error
		if errors.As(err, &se) {
			attrs = append(attrs, slog.String("field", se.Path), slog.Int("line", se.Line), slog.Int("column", se.Column))
		}
		if hasOld {
			attrs = append(attrs, slog.String("serving", old.Name))
		}
		if w.retry {
			attrs = append(attrs, slog.Bool("retrying", true))
		}
		log.Error("planfile: plan refused; the old plan keeps serving", attrs...)
		return nil, err, true
	}
	if rerr != nil {
		return refuse(rerr)
	}
	p, err := strategy.ParsePlan(data)
	if err != nil {
		return refuse(inFile(w.path, err))
	}
	if hasOld && samePlan(old, p) {
		log.Debug("planfile: plan unchanged", slog.String("path", w.path), slog.String("plan", p.Name), slog.String("version", version))
		w.applied, w.hasPlan = p, true
		return nil, nil, false
	}
	if err := w.target.SetPlan(p); err != nil {
		return refuse(locate(w.path, data, err))
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
