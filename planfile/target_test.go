package planfile_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/planfile"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// generations returns the names of the generation directories in dir.
func generations(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "..") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestTargetLayout(t *testing.T) {
	audiencePlan := strategy.Canary("v1", "v2", 10)
	audiencePlan.Audiences = []audience.Audience{{Name: "ca", Conditions: audience.Condition{Key: "location", Op: audience.OpEquals, Value: "ca"}}}
	audiencePlan.Rules = []strategy.Rule{{Name: "ca", Audience: "ca", Split: strategy.Split{{Variant: "v1", Weight: 100}}}}
	tests := []struct {
		name string
		file string
		plan strategy.Plan
		want string // a line of the file
	}{
		{"yaml", "", strategy.Canary("v1", "v2", 5), "name: canary/v2"},
		{"json", "plan.json", strategy.Canary("v1", "v2", 5), `"name": "canary/v2"`},
		{"weights with many digits", "", strategy.Canary("v1", "v2", 100.0/3), "name: canary/v2"},
		{"audiences and rules", "", audiencePlan, "value: ca"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "plans") // created by NewTarget
			tg, err := planfile.NewTarget(dir, planfile.TargetOptions{File: tc.file})
			if err != nil {
				t.Fatal(err)
			}
			file := tc.file
			if file == "" {
				file = planfile.DefaultFile
			}
			if tg.Path() != filepath.Join(dir, file) {
				t.Fatalf("Path = %q, want %q", tg.Path(), filepath.Join(dir, file))
			}
			if err := tg.SetPlan(tc.plan); err != nil {
				t.Fatal(err)
			}
			got, err := planfile.Load(tg.Path())
			if err != nil {
				t.Fatal(err)
			}
			if !samePlan(got, tc.plan) || router.Revision(got) != router.Revision(tc.plan) {
				t.Fatalf("Load = %+v, want %+v", got, tc.plan)
			}
			data, err := os.ReadFile(tg.Path())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), tc.want) {
				t.Fatalf("file lacks %q:\n%s", tc.want, data)
			}
			// The Kubernetes ConfigMap layout.
			if link, err := os.Readlink(tg.Path()); err != nil || link != filepath.Join("..data", file) {
				t.Fatalf("plan file link = %q, %v; want ..data/%s", link, err, file)
			}
			gens := generations(t, dir)
			if link, err := os.Readlink(filepath.Join(dir, "..data")); err != nil || len(gens) != 1 || link != gens[0] {
				t.Fatalf("..data -> %q (%v), generations %v", link, err, gens)
			}
		})
	}
}

func TestTargetKeepsTwoGenerations(t *testing.T) {
	dir := t.TempDir()
	tg, err := planfile.NewTarget(dir, planfile.TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A generation left by a writer that stopped half way is pruned too.
	if err := os.Mkdir(filepath.Join(dir, "..2020_01_01_00_00_00.12345"), 0o755); err != nil {
		t.Fatal(err)
	}
	// So is nothing else.
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	var prev string
	for pct := 1.0; pct <= 50; pct += 7 {
		if err := tg.SetPlan(strategy.Canary("v1", "v2", pct)); err != nil {
			t.Fatal(err)
		}
		cur, err := os.Readlink(filepath.Join(dir, "..data"))
		if err != nil {
			t.Fatal(err)
		}
		gens := generations(t, dir)
		if len(gens) > 2 || !contains(gens, cur) || (prev != "" && !contains(gens, prev)) {
			t.Fatalf("after %g%%: generations %v, current %q, previous %q", pct, gens, cur, prev)
		}
		prev = cur
		p, err := planfile.Load(tg.Path())
		if err != nil || p.Default.Weight("v2") != pct {
			t.Fatalf("after %g%%: Load = %v, %v", pct, p.Default, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatalf("an unrelated file was removed: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "..data_tmp")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temporary link left: %v", err)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestTargetRefusals(t *testing.T) {
	dir := t.TempDir()
	tg, err := planfile.NewTarget(dir, planfile.TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	good := strategy.Canary("v1", "v2", 5)
	if err := tg.SetPlan(good); err != nil {
		t.Fatal(err)
	}
	bad := strategy.Canary("v1", "v2", 5)
	bad.Default[0].Weight = 90 // sums to 95
	err = tg.SetPlan(bad)
	var se *strategy.Error
	if !errors.As(err, &se) || !errors.Is(err, strategy.ErrInvalidPlan) {
		t.Fatalf("SetPlan(bad) = %v, want a *strategy.Error", err)
	}
	if p, err := planfile.Load(tg.Path()); err != nil || !samePlan(p, good) {
		t.Fatalf("after a refused plan: Load = %+v, %v; want the good plan", p, err)
	}
	if gens := generations(t, dir); len(gens) != 1 {
		t.Fatalf("a refused plan left generations: %v", gens)
	}

	// A directory that cannot be written.
	ro := filepath.Join(t.TempDir(), "ro")
	tro, err := planfile.NewTarget(ro, planfile.TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(ro, 0o755) })
	if os.Geteuid() != 0 { // root writes anyway
		if err := tro.SetPlan(good); err == nil || !strings.HasPrefix(err.Error(), "planfile: target: ") {
			t.Fatalf("SetPlan in a read-only directory = %v", err)
		}
	}
}

func TestNewTargetErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, dir, file string
	}{
		{"empty directory", "", ""},
		{"file with a separator", dir, "a/plan.yaml"},
		{"file named like a generation", dir, "..data"},
		{"dot", dir, "."},
		{"directory is a file", filepath.Join(dir, "f", "x"), ""},
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := planfile.NewTarget(tc.dir, planfile.TargetOptions{File: tc.file}); err == nil || !strings.HasPrefix(err.Error(), "planfile: target: ") {
				t.Fatalf("NewTarget(%q, %q) = %v", tc.dir, tc.file, err)
			}
		})
	}
}

// TestTargetWatchers publishes a sequence of plans while Watchers of several
// routers follow the file and readers load it without pause: every read is
// one of the published plans whole (never a mix or a truncation), and every
// router ends on the last plan.
func TestTargetWatchers(t *testing.T) {
	dir := t.TempDir()
	tg, err := planfile.NewTarget(dir, planfile.TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan := func(k int) strategy.Plan {
		p, err := strategy.ParsePlan([]byte(planText(k)))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := tg.SetPlan(plan(0)); err != nil {
		t.Fatal(err)
	}
	const replicas, versions = 5, 60
	var watchers []*planfile.Watcher
	var routers []*router.Router[string, string]
	for range replicas {
		r := newEchoRouter(t, plan(0))
		w, err := planfile.NewWatcher(tg.Path(), r, planfile.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		routers, watchers = append(routers, r), append(watchers, w)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var problems []string
	var reads, missing int
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				p, err := planfile.Load(tg.Path())
				mu.Lock()
				reads++
				switch {
				case errors.Is(err, fs.ErrNotExist):
					// The reader resolved a generation two swaps old.
					missing++
				case err != nil:
					problems = append(problems, err.Error())
				default:
					var k int
					if _, serr := fmt.Sscanf(p.Name, "p-%d", &k); serr != nil || !samePlan(p, plan(k)) {
						problems = append(problems, "read a plan that was never published: "+p.Name)
					}
				}
				mu.Unlock()
			}
		})
	}
	for k := 1; k <= versions; k++ {
		if err := tg.SetPlan(plan(k)); err != nil {
			t.Fatal(err)
		}
		for _, w := range watchers {
			if err := w.Check(); err != nil {
				t.Fatalf("version %d: Check: %v", k, err)
			}
		}
	}
	close(stop)
	wg.Wait()
	if len(problems) > 0 {
		t.Fatalf("%d bad reads of %d, first: %s", len(problems), reads, problems[0])
	}
	t.Logf("%d concurrent reads, %d of a removed generation", reads, missing)
	for i, r := range routers {
		if got := r.Plan().Name; got != "p-60" {
			t.Errorf("replica %d serves %s, want p-60", i, got)
		}
		if d := r.Decide(router.Unit{Key: "u"}); d.Variant != defaultVariant(versions) {
			t.Errorf("replica %d decides %s, want %s", i, d.Variant, defaultVariant(versions))
		}
	}
}
