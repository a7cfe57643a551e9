package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The sample data set of examples/abanalysis.
const (
	sampleExposures = "../../examples/abanalysis/testdata/exposures.jsonl"
	sampleOutcomes  = "../../examples/abanalysis/testdata/outcomes.csv"
)

// result is what one run of the command printed.
type result struct {
	stdout, stderr string
	code           int
}

func runCmd(args ...string) result {
	var out, errb bytes.Buffer
	code := run(args, env{stdout: &out, stderr: &errb})
	return result{out.String(), errb.String(), code}
}

// transcript formats a run as the golden files hold it.
func (r result) transcript(args []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ varroute %s\n%s", strings.Join(args, " "), r.stdout)
	if r.stderr != "" {
		fmt.Fprintf(&b, "--- stderr\n%s", r.stderr)
	}
	fmt.Fprintf(&b, "--- exit status %d\n", r.code)
	return b.String()
}

// golden compares got with testdata/golden/name.txt, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestGolden(t *testing.T) {
	tmp := t.TempDir()
	sums := filepath.Join(tmp, "summaries.csv")
	plans := "testdata/plans/"
	tests := []struct {
		name string
		args []string
	}{
		{"usage", nil},
		{"unknown-command", []string{"deploy"}},
		{"lint-help", []string{"lint", "-h"}},
		{"preview-help", []string{"preview", "--help"}},
		{"explain-help", []string{"explain", "-h"}},
		{"analyze-help", []string{"analyze", "-h"}},
		{"lint-clean", []string{"lint", plans + "checkout.yaml", plans + "checkout-next.yaml", plans + "ab.yaml", plans + "audiences-qwak.yaml"}},
		{"lint-warnings", []string{"lint", plans + "suspicious.yaml"}},
		{"lint-strict", []string{"lint", "-strict", plans + "suspicious.yaml"}},
		{"lint-errors", []string{"lint", plans + "checkout.yaml", plans + "audiences-bad.yaml", "testdata/lint/bad/03-weights-sum.yaml", "testdata/lint/bad/missing.yaml"}},
		{"lint-json", []string{"lint", "--json", "testdata/lint/bad/22-shadow-over-100.yaml", plans + "suspicious.yaml"}},
		{"lint-no-files", []string{"lint"}},
		{"preview-sample", []string{"preview", plans + "checkout.yaml", plans + "checkout-next.yaml"}},
		{"preview-units", []string{"preview", "-units", "testdata/units.jsonl", plans + "checkout.yaml", plans + "checkout-next.yaml", "--max-move", "20"}},
		{"preview-exposures", []string{"preview", plans + "ab.yaml", plans + "ab-next.yaml", "-units", sampleExposures}},
		{"preview-renamed-max-move", []string{"preview", "-max-move", "5", plans + "checkout.yaml", plans + "checkout-renamed.yaml"}},
		{"preview-bad-plan", []string{"preview", plans + "checkout.yaml", "testdata/lint/bad/19-fallback-cycle.yaml"}},
		{"preview-one-plan", []string{"preview", plans + "checkout.yaml"}},
		{"preview-bad-units", []string{"preview", "-units", "testdata/bad-outcomes.csv", plans + "ab.yaml", plans + "ab-next.yaml"}},
		{"explain-california", []string{"explain", "-key", "user-1", "-attr", "location=california", plans + "checkout.yaml"}},
		{"explain-beta", []string{"explain", plans + "checkout.yaml", "--key", "user-2", "--attr", `groups=["staff"]`, "--attr", "location=nevada"}},
		{"explain-ios", []string{"explain", "-key", "user-3", "-attr", "platform=iOS", "-attr", "app_version=3.1.0", plans + "checkout.yaml"}},
		{"explain-default", []string{"explain", "-key", "user-42", plans + "checkout.yaml"}},
		{"explain-mirrored", []string{"explain", "-key", "user-5", "-attr", "location=oregon", plans + "checkout.yaml"}},
		{"explain-no-key", []string{"explain", "-attr", "age=31", plans + "checkout.yaml"}},
		{"explain-bad-attr", []string{"explain", "-attr", "age", plans + "checkout.yaml"}},
		{"analyze", []string{"analyze", "-exposures", sampleExposures, "-outcomes", sampleOutcomes, "-covariate", "pre_revenue", "-save-summaries", sums}},
		{"analyze-summaries", []string{"analyze", "-summaries", sums, "-plan", "checkout-2026"}},
		{"analyze-metrics", []string{"analyze", "-exposures", sampleExposures, "-outcomes", sampleOutcomes, "-metric", "converted:rate", "-metric", "revenue:rank", "-metric", "pre_revenue", "-correction", "bh", "-weights", "control=50,treatment=50", "-period", "24h"}},
		{"analyze-srm", []string{"analyze", "-exposures", sampleExposures, "-outcomes", sampleOutcomes, "-weights", "control=45,treatment=55", "-metric", "converted"}},
		{"analyze-bad-exposures", []string{"analyze", "-exposures", "testdata/bad-exposures.jsonl", "-outcomes", sampleOutcomes}},
		{"analyze-bad-outcomes", []string{"analyze", "-exposures", sampleExposures, "-outcomes", "testdata/bad-outcomes.csv"}},
		{"analyze-rank-summaries", []string{"analyze", "-summaries", sums, "-metric", "revenue:rank"}},
		{"analyze-no-input", []string{"analyze", "-outcomes", sampleOutcomes}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := runCmd(tc.args...).transcript(tc.args)
			golden(t, tc.name, strings.ReplaceAll(got, tmp, "$TMP"))
		})
	}
}

// TestLintBase: -base warns about a plan renamed since a git revision.
func TestLintBase(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	gitRun := func(args ...string) {
		t.Helper()
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	copyFile := func(from, to string) {
		t.Helper()
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitRun("init", "-q")
	plan := filepath.Join(dir, "plan.yaml")
	copyFile("testdata/plans/checkout.yaml", plan)
	gitRun("add", "plan.yaml")
	gitRun("commit", "-q", "-m", "plan")

	tests := []struct {
		name, from, want string
	}{
		{"weights changed, name kept", "testdata/plans/checkout-next.yaml", ""},
		{"renamed", "testdata/plans/checkout-renamed.yaml", `:4:7: name: warning: renamed from "checkout-2026" (at HEAD): the name salts the hash, so every unit is reassigned at random: 30.0% of sampled units change variant, against 15.6% with the old name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			copyFile(tc.from, plan)
			r := runCmd("lint", "-base", "HEAD", plan)
			if r.code != 0 {
				t.Errorf("exit status %d, want 0 (warnings only)", r.code)
			}
			if tc.want == "" && r.stdout != "" || !strings.Contains(r.stdout, tc.want) {
				t.Errorf("output %q, want %q in it", r.stdout, tc.want)
			}
		})
	}
}

// TestProgress: on a terminal, reading a large input draws a bar on
// stderr (with a fake clock: 200 ms per read) and clears it at the end.
func TestProgress(t *testing.T) {
	var now time.Time
	clock := func() time.Time {
		now = now.Add(200 * time.Millisecond)
		return now
	}
	var out, errb bytes.Buffer
	code := run([]string{"analyze", "-exposures", sampleExposures, "-outcomes", sampleOutcomes, "-metric", "converted"},
		env{stdout: &out, stderr: &errb, progress: true, now: clock})
	if code != 0 {
		t.Fatalf("status %d: %s", code, errb.String())
	}
	bar := errb.String()
	for _, want := range []string{"\r" + sampleExposures + " [", "%", "MiB/", "left", "\r\x1b[K"} {
		if !strings.Contains(bar, want) {
			t.Errorf("progress output lacks %q:\n%q", want, bar)
		}
	}
	if !strings.HasSuffix(bar, "\r\x1b[K") {
		t.Errorf("the bar is not cleared at the end: %q", bar[max(0, len(bar)-80):])
	}
	// Without a terminal, nothing on stderr.
	if r := runCmd("analyze", "-exposures", sampleExposures, "-outcomes", sampleOutcomes, "-metric", "converted"); r.stderr != "" {
		t.Errorf("stderr without a terminal: %q", r.stderr)
	}
}
