package planfile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/planfile"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// samePlan reports whether a and b are the same plan, comparing their JSON
// forms (in which a nil and an empty slice or map are alike).
func samePlan(a, b strategy.Plan) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// numVariants is the number of echo variants of the test routers.
const numVariants = 10

// newEchoRouter returns a router whose variants v0 ... v9 answer their own
// name, serving plan, and closes it when the test ends.
func newEchoRouter(t testing.TB, plan strategy.Plan) *router.Router[string, string] {
	t.Helper()
	vs := map[string]router.Predictor[string, string]{}
	for i := range numVariants {
		name := "v" + strconv.Itoa(i)
		vs[name] = router.PredictorFunc[string, string](func(context.Context, string) (string, error) { return name, nil })
	}
	r, err := router.New(router.Config[string, string]{Variants: vs, Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return r
}

// Plan version k is named "p-k"; units with location=ca go to variant
// caVariant(k), all others to defaultVariant(k). A request that saw a mix of
// two versions would report a plan name and a variant that disagree.
func caVariant(k int) string      { return "v" + strconv.Itoa((k+5)%numVariants) }
func defaultVariant(k int) string { return "v" + strconv.Itoa(k%numVariants) }

// planText is the YAML of plan version k. The weight-0 arm comes first, so a
// file cut before its last line is invalid rather than a different plan.
func planText(k int) string {
	return fmt.Sprintf(`name: p-%d
audiences:
  - name: ca
    conditions: {key: location, op: equals, value: ca}
rules:
  - {name: ca, audience: ca, split: [{variant: %s, weight: 100}]}
default:
  - {variant: v%d, weight: 0}
  - {variant: %s, weight: 100}
`, k, caVariant(k), (k+1)%numVariants, defaultVariant(k))
}

// badText is the YAML of a bad version written at step i, of one of several
// kinds. Each must be refused.
func badText(i int) (kind, text string) {
	switch i % 5 {
	case 0:
		return "weights", fmt.Sprintf("name: bad-%d\ndefault:\n  - {variant: v1, weight: 60}\n  - {variant: v2, weight: 30}\n", i)
	case 1:
		return "unknown variant", fmt.Sprintf("name: bad-%d\ndefault:\n  - {variant: v1, weight: 50}\n  - {variant: v-missing, weight: 50}\n", i)
	case 2:
		full := planText(i)
		return "truncated mid-line", full[:len(full)/2]
	case 3:
		full := planText(i)
		return "truncated last line", full[:strings.LastIndex(strings.TrimSuffix(full, "\n"), "\n")+1]
	default:
		return "empty", ""
	}
}

// writeAtomic replaces the file at path by writing a temporary file and
// renaming it, the recommended way.
func writeAtomic(t testing.TB, path, data string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestRewrite100UnderLoad rewrites a plan file 100 times while goroutines
// route requests through a router the Watcher drives. Every fourth write is a
// bad version. It checks that every request saw exactly one plan version
// (its plan name, rule, assigned and served variants and the answer all
// agree), that no goroutine ever saw an older version after a newer one,
// that no bad version ever served, and that after each bad write the router
// still serves the last good plan.
func TestRewrite100UnderLoad(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "plan.yaml", planText(0))
	initial, err := planfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := newEchoRouter(t, initial)

	var changes, refusals atomic.Int64
	w, err := planfile.NewWatcher(path, r, planfile.Options{
		Logger:   slog.New(slog.DiscardHandler),
		OnChange: func(planfile.Change) { changes.Add(1) },
		OnError:  func(error) { refusals.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Check(); err != nil {
		t.Fatalf("first Check: %v", err)
	}
	if n := changes.Load(); n != 0 {
		t.Fatalf("first Check of the serving plan made %d changes, want 0", n)
	}

	const workers = 4
	var (
		served    atomic.Int64
		failures  atomic.Int64
		firstFail sync.Once
		failMsg   string
		versions  [workers]map[int]bool
		stop      = make(chan struct{})
		wg        sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		failures.Add(1)
		firstFail.Do(func() { failMsg = fmt.Sprintf(format, args...) })
	}
	ctx := t.Context()
	for g := range workers {
		versions[g] = map[int]bool{}
		wg.Go(func() {
			last := -1
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				loc := "ny"
				if i%3 == 0 {
					loc = "ca"
				}
				key := "user-" + strconv.Itoa(g) + "-" + strconv.Itoa(i%1000)
				if i%7 == 0 {
					key = "" // anonymous units take the majority variant
				}
				u := router.Unit{Key: key, Attrs: audience.Attributes{audience.String("location", loc)}}
				out, o, err := r.Serve(ctx, u, "x")
				served.Add(1)
				if err != nil {
					fail("Serve: %v", err)
					continue
				}
				d := o.Decision
				k, err := strconv.Atoi(strings.TrimPrefix(d.Plan, "p-"))
				if err != nil || !strings.HasPrefix(d.Plan, "p-") {
					fail("request served by plan %q, not a good version", d.Plan)
					continue
				}
				want, wantRule := defaultVariant(k), ""
				if loc == "ca" {
					want, wantRule = caVariant(k), "ca"
				}
				if d.Variant != want || o.Served != want || out != want || d.Rule != wantRule {
					fail("plan %s, location %s: variant %s, served %s, answer %s, rule %q; want %s, rule %q",
						d.Plan, loc, d.Variant, o.Served, out, d.Rule, want, wantRule)
				}
				if k < last {
					fail("goroutine %d saw plan p-%d after p-%d", g, k, last)
				}
				last = k
				versions[g][k] = true
			}
		})
	}

	// waitServed waits, without sleeping, until the workers served n more
	// requests, so each version is under load before the next write.
	waitServed := func(n int64) {
		target := served.Load() + n
		for served.Load() < target && failures.Load() == 0 {
			select {
			case <-ctx.Done():
				return
			default:
			}
			runtime.Gosched()
		}
	}

	lastGood, good, bad := initial, 0, 0
	for i := 1; i <= 100; i++ {
		if i%4 == 0 {
			kind, text := badText(i)
			if i%8 == 0 {
				writeAtomic(t, path, text)
			} else {
				writeFile(t, dir, "plan.yaml", text)
			}
			err := w.Check()
			if err == nil {
				t.Fatalf("write %d (bad, %s): Check accepted it", i, kind)
			}
			var pe *strategy.Error
			if !errors.As(err, &pe) || !errors.Is(err, strategy.ErrInvalidPlan) || pe.File != path {
				t.Fatalf("write %d (bad, %s): Check error %v is not a *strategy.Error of the file matching ErrInvalidPlan", i, kind, err)
			}
			if got := r.Plan(); !samePlan(got, lastGood) {
				t.Fatalf("write %d (bad, %s): router serves plan %q, want the last good %q", i, kind, got.Name, lastGood.Name)
			}
			bad++
		} else {
			text := planText(i)
			if i%2 == 0 {
				writeAtomic(t, path, text)
			} else {
				writeFile(t, dir, "plan.yaml", text)
			}
			if err := w.Check(); err != nil {
				t.Fatalf("write %d (good): Check: %v", i, err)
			}
			want, err := strategy.ParsePlan([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Plan(); !samePlan(got, want) {
				t.Fatalf("write %d (good): router serves plan %q, want %q", i, got.Name, want.Name)
			}
			lastGood = want
			good++
		}
		waitServed(50)
	}
	close(stop)
	wg.Wait()

	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d requests inconsistent; first: %s", n, served.Load(), failMsg)
	}
	if got := changes.Load(); got != int64(good) {
		t.Errorf("OnChange called %d times, want %d (one per good write)", got, good)
	}
	if got := refusals.Load(); got != int64(bad) {
		t.Errorf("OnError called %d times, want %d (one per bad write)", got, bad)
	}
	seen := map[int]bool{}
	for g := range workers {
		for k := range versions[g] {
			seen[k] = true
		}
	}
	t.Logf("%d requests, %d good and %d bad writes, %d plan versions seen by requests", served.Load(), good, bad, len(seen))
	if len(seen) < good/2 {
		t.Errorf("requests saw %d plan versions of %d: the load did not overlap the rewrites", len(seen), good+1)
	}
}

// TestCheck runs a Watcher through a sequence of file states, checking what
// each Check returns and reports.
func TestCheck(t *testing.T) {
	past := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	type step struct {
		name    string
		do      func(t *testing.T, path string)
		wantErr error // nil means Check returns nil
		changes int   // OnChange calls expected by then, cumulated
		errors  int   // OnError calls expected by then, cumulated
		serving string
	}
	write := func(k int) func(*testing.T, string) {
		return func(t *testing.T, path string) { writeAtomic(t, path, planText(k)) }
	}
	steps := []step{
		{name: "initial plan is already serving", do: func(*testing.T, string) {}, serving: "p-0"},
		{name: "new version", do: write(1), changes: 1, serving: "p-1"},
		{name: "unchanged", do: func(*testing.T, string) {}, changes: 1, serving: "p-1"},
		{name: "touch only", do: func(t *testing.T, path string) {
			if err := os.Chtimes(path, time.Now(), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}, changes: 1, serving: "p-1"},
		{name: "comment only", do: func(t *testing.T, path string) { writeAtomic(t, path, "# same plan\n"+planText(1)) }, changes: 1, serving: "p-1"},
		{name: "same size and mtime", do: func(t *testing.T, path string) {
			writeAtomic(t, path, planText(2))
			if err := os.Chtimes(path, past, past); err != nil {
				t.Fatal(err)
			}
		}, changes: 2, serving: "p-2"},
		{name: "same size and mtime again", do: func(t *testing.T, path string) {
			writeFile(t, filepath.Dir(path), filepath.Base(path), planText(3)) // same length as p-2
			if err := os.Chtimes(path, past, past); err != nil {
				t.Fatal(err)
			}
		}, changes: 3, serving: "p-3"},
		{name: "bad weights", do: func(t *testing.T, path string) { _, s := badText(0); writeAtomic(t, path, s) }, wantErr: strategy.ErrInvalidPlan, changes: 3, errors: 1, serving: "p-3"},
		{name: "bad again is reported once", do: func(*testing.T, string) {}, wantErr: strategy.ErrInvalidPlan, changes: 3, errors: 1, serving: "p-3"},
		{name: "unknown variant", do: func(t *testing.T, path string) { _, s := badText(1); writeAtomic(t, path, s) }, wantErr: strategy.ErrUnknownVariant, changes: 3, errors: 2, serving: "p-3"},
		{name: "removed", do: func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, wantErr: fs.ErrNotExist, changes: 3, errors: 3, serving: "p-3"},
		{name: "restored", do: write(3), changes: 3, errors: 3, serving: "p-3"},
		{name: "json", do: func(t *testing.T, path string) {
			writeAtomic(t, path, `{"name": "p-json", "default": [{"variant": "v1", "weight": 100}]}`)
		}, changes: 4, errors: 3, serving: "p-json"},
	}

	path := writeFile(t, t.TempDir(), "plan.yaml", planText(0))
	initial, err := planfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := newEchoRouter(t, initial)
	var changes, errs int
	w, err := planfile.NewWatcher(path, r, planfile.Options{
		Logger:   slog.New(slog.DiscardHandler),
		OnChange: func(planfile.Change) { changes++ },
		OnError:  func(error) { errs++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.do(t, path)
			err := w.Check()
			switch {
			case s.wantErr == nil && err != nil:
				t.Fatalf("Check: %v", err)
			case s.wantErr != nil && !errors.Is(err, s.wantErr):
				t.Fatalf("Check error %v, want one matching %v", err, s.wantErr)
			}
			if changes != s.changes || errs != s.errors {
				t.Fatalf("OnChange %d and OnError %d times, want %d and %d", changes, errs, s.changes, s.errors)
			}
			if got := r.Plan().Name; got != s.serving {
				t.Fatalf("serving %q, want %q", got, s.serving)
			}
		})
	}
}

// TestCheckLogs checks the records logged for an applied plan and a refused
// one: the refusal names the field, line and column, and the plan serving.
func TestCheckLogs(t *testing.T) {
	path := writeFile(t, t.TempDir(), "plan.yaml", planText(0))
	var buf bytes.Buffer
	r := newEchoRouter(t, strategy.BigBang("v0"))
	w, err := planfile.NewWatcher(path, r, planfile.Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Check(); err != nil {
		t.Fatal(err)
	}
	applied := buf.String()
	for _, want := range []string{`level=INFO`, `msg="planfile: plan applied"`, "plan=p-0", `default="v1=0,v0=100"`, "rules=1", "old_plan=bigbang", `old_default="v0=100"`, "version=sha256:"} {
		if !strings.Contains(applied, want) {
			t.Errorf("applied log %q lacks %q", applied, want)
		}
	}
	buf.Reset()
	writeAtomic(t, path, "name: bad\ndefault:\n  - {variant: v1, weight: 50}\n  - {variant: v-missing, weight: 50}\n")
	err = w.Check()
	if want := path + ":4:15: default[1].variant: unknown variant \"v-missing\""; err == nil || err.Error() != want {
		t.Errorf("Check error %v, want the position and field %q", err, want)
	}
	refused := buf.String()
	for _, want := range []string{`level=ERROR`, `refused`, "field=default[1].variant", "line=4", "column=15", "serving=p-0", "v-missing"} {
		if !strings.Contains(refused, want) {
			t.Errorf("refusal log %q lacks %q", refused, want)
		}
	}
}

// TestTargetWithoutPlan checks a Target that cannot report its plan: the
// first Check applies the file, later ones only changes.
func TestTargetWithoutPlan(t *testing.T) {
	path := writeFile(t, t.TempDir(), "plan.yaml", planText(0))
	var got []string
	var olds []string
	w, err := planfile.NewWatcher(path, strategy.TargetFunc(func(p strategy.Plan) error {
		got = append(got, p.Name)
		return nil
	}), planfile.Options{
		Logger:   slog.New(slog.DiscardHandler),
		OnChange: func(c planfile.Change) { olds = append(olds, c.Old.Name) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := w.Check(); err != nil {
			t.Fatal(err)
		}
	}
	writeAtomic(t, path, "# comment\n"+planText(0))
	if err := w.Check(); err != nil {
		t.Fatal(err)
	}
	writeAtomic(t, path, planText(1))
	if err := w.Check(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"p-0", "p-1"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("SetPlan calls %v, want %v", got, want)
	}
	if want := []string{"", "p-0"}; fmt.Sprint(olds) != fmt.Sprint(want) {
		t.Fatalf("Change.Old %q, want %q", olds, want)
	}
}

// TestStartPolls checks the polling goroutine itself, with a short interval,
// synchronized through the callbacks; goleak checks that Close stops it.
func TestStartPolls(t *testing.T) {
	path := writeFile(t, t.TempDir(), "plan.yaml", planText(0))
	initial, err := planfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := newEchoRouter(t, initial)
	changes := make(chan planfile.Change, 10)
	refusals := make(chan error, 10)
	w, err := planfile.NewWatcher(path, r, planfile.Options{
		Interval: 5 * time.Millisecond,
		Logger:   slog.New(slog.DiscardHandler),
		OnChange: func(c planfile.Change) { changes <- c },
		OnError:  func(err error) { refusals <- err },
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Start()
	w.Start() // no effect
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()

	writeAtomic(t, path, planText(1))
	select {
	case c := <-changes:
		if c.Old.Name != "p-0" || c.New.Name != "p-1" || c.Path != path {
			t.Fatalf("change %s -> %s of %s, want p-0 -> p-1 of %s", c.Old.Name, c.New.Name, c.Path, path)
		}
	case err := <-refusals:
		t.Fatalf("refused: %v", err)
	case <-timeout.C:
		t.Fatal("no change reported")
	}
	writeAtomic(t, path, "name: x\n")
	select {
	case c := <-changes:
		t.Fatalf("bad file applied: %+v", c)
	case err := <-refusals:
		if !errors.Is(err, strategy.ErrInvalidPlan) {
			t.Fatalf("refusal %v, want ErrInvalidPlan", err)
		}
	case <-timeout.C:
		t.Fatal("no refusal reported")
	}
	if got := r.Plan().Name; got != "p-1" {
		t.Fatalf("serving %q, want p-1", got)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	w.Start() // after Close: no effect, and goleak would see a goroutine
}

func TestNewWatcherErrors(t *testing.T) {
	target := strategy.TargetFunc(func(strategy.Plan) error { return nil })
	tests := []struct {
		name   string
		path   string
		target strategy.Target
		opts   planfile.Options
	}{
		{"empty path", "", target, planfile.Options{}},
		{"nil target", "p.yaml", nil, planfile.Options{}},
		{"negative interval", "p.yaml", target, planfile.Options{Interval: -1}},
		{"negative max size", "p.yaml", target, planfile.Options{MaxSize: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := planfile.NewWatcher(tc.path, tc.target, tc.opts); err == nil || !strings.HasPrefix(err.Error(), "planfile: ") {
				t.Fatalf("NewWatcher error %v, want a planfile error", err)
			}
		})
	}
}

// TestRetryUnknownVariant follows the README's path "load the model with
// AddVariant, then canary it" in the order a rollout may take: the plan
// file names v-new before the service registers it. The refusal is reported
// once, the file is retried at every check although it does not change, and
// the first check after AddVariant applies it. Other refusals are not
// retried.
func TestRetryUnknownVariant(t *testing.T) {
	const canary = "name: canary/v-new\ndefault:\n  - {variant: v1, weight: 90}\n  - {variant: v-new, weight: 10}\n"
	path := writeFile(t, t.TempDir(), "plan.yaml", canary)
	r := newEchoRouter(t, strategy.BigBang("v1"))
	var applied []string
	var refused []error
	w, err := planfile.NewWatcher(path, r, planfile.Options{
		Logger:   slog.New(slog.DiscardHandler),
		OnChange: func(c planfile.Change) { applied = append(applied, c.New.Name) },
		OnError:  func(err error) { refused = append(refused, err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		err := w.Check()
		var se *strategy.Error
		if !errors.Is(err, strategy.ErrUnknownVariant) || !errors.As(err, &se) || se.File != path || se.Line != 4 {
			t.Fatalf("check %d: %v, want an unknown variant at %s:4", i, err, path)
		}
	}
	if len(refused) != 1 || len(applied) != 0 {
		t.Fatalf("before AddVariant: %d refusals reported, %d changes; want 1 and 0", len(refused), len(applied))
	}
	if err := r.AddVariant("v-new", router.PredictorFunc[string, string](func(context.Context, string) (string, error) { return "v-new", nil })); err != nil {
		t.Fatal(err)
	}
	if err := w.Check(); err != nil {
		t.Fatalf("check after AddVariant: %v", err)
	}
	if got := r.Plan().Name; got != "canary/v-new" || len(applied) != 1 || len(refused) != 1 {
		t.Fatalf("after AddVariant: serving %q, %d changes, %d refusals; want canary/v-new, 1, 1", got, len(applied), len(refused))
	}

	// A refusal for another reason is not retried while the file stays.
	var calls int
	w2, err := planfile.NewWatcher(path, strategy.TargetFunc(func(strategy.Plan) error {
		calls++
		return errors.New("target: busy")
	}), planfile.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := w2.Check(); err == nil || !strings.Contains(err.Error(), "target: busy") || errors.Is(err, strategy.ErrInvalidPlan) {
			t.Fatalf("Check: %v, want the target's error, not an invalid plan", err)
		}
	}
	if calls != 1 {
		t.Fatalf("SetPlan called %d times for an unchanged file, want 1", calls)
	}
}

// TestConfigMapSymlinks swaps a plan the way a Kubernetes ConfigMap volume
// does: plan.yaml -> ..data/plan.yaml, ..data -> ..<timestamp>, and an
// update renames a new ..data link over the old one atomically.
func TestConfigMapSymlinks(t *testing.T) {
	dir := t.TempDir()
	version := func(k int) string {
		ts := fmt.Sprintf("..2026_01_02_03_04_%02d.%09d", k, k)
		if err := os.Mkdir(filepath.Join(dir, ts), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, ts), "plan.yaml", planText(k))
		return ts
	}
	swap := func(ts string) {
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(ts, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	old := version(0)
	swap(old)
	path := filepath.Join(dir, "plan.yaml")
	if err := os.Symlink(filepath.Join("..data", "plan.yaml"), path); err != nil {
		t.Fatal(err)
	}
	initial, err := planfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := newEchoRouter(t, initial)
	w, err := planfile.NewWatcher(path, r, planfile.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= 3; k++ {
		ts := version(k)
		swap(ts)
		if err := os.RemoveAll(filepath.Join(dir, old)); err != nil { // as the kubelet does
			t.Fatal(err)
		}
		old = ts
		if err := w.Check(); err != nil {
			t.Fatalf("swap %d: %v", k, err)
		}
		if got, want := r.Plan().Name, fmt.Sprintf("p-%d", k); got != want {
			t.Fatalf("swap %d: serving %q, want %q", k, got, want)
		}
	}
}

// TestNotRegularFile puts a directory at the watched path: it is refused
// with an *fs.PathError naming the path, and the old plan keeps serving.
func TestNotRegularFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.yaml")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	r := newEchoRouter(t, strategy.BigBang("v1"))
	w, err := planfile.NewWatcher(path, r, planfile.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Check()
	var pe *fs.PathError
	if !errors.Is(err, planfile.ErrNotRegular) || !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("Check: %v, want an *fs.PathError for %s matching ErrNotRegular", err, path)
	}
	if got := r.Plan().Name; got != "bigbang" {
		t.Fatalf("serving %q, want bigbang", got)
	}
}

// TestCloseAgain checks the Close convention: a Close whose context ends
// while a check is in progress returns the context's error, and a later
// Close waits again and finishes the job (goleak checks the goroutine).
func TestCloseAgain(t *testing.T) {
	path := writeFile(t, t.TempDir(), "plan.yaml", planText(0))
	entered := make(chan struct{})
	release := make(chan struct{})
	w, err := planfile.NewWatcher(path, strategy.TargetFunc(func(strategy.Plan) error {
		close(entered)
		<-release // a slow target: the check in progress outlives the first Close
		return nil
	}), planfile.Options{Interval: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w.Start()
	<-entered
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := w.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close with an ended context: %v, want context.Canceled", err)
	}
	close(release)
	if err := w.Close(t.Context()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatalf("third Close: %v", err)
	}
}

func TestCloseWithoutStart(t *testing.T) {
	w, err := planfile.NewWatcher("p.yaml", strategy.TargetFunc(func(strategy.Plan) error { return nil }), planfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	w.Start() // after Close: no effect
}
