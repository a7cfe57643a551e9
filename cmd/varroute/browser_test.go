//go:build unix

package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needTool returns the path of a command the test needs. Without it the
// test is skipped on a developer's machine, but fails in CI (CI set), whose
// .ci/run installs it.
func needTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found, and CI is set: .ci/run installs it (apt-get install -y %s)", name, debianPackage)
	}
	t.Skipf("%s not found (apt-get install -y %s); CI runs this test", name, debianPackage)
	return ""
}

// chromium runs headless Chromium on the file at page with extra
// arguments, bounded in time, and returns its stdout and stderr. The
// browser runs in its own process group, killed as a whole if it outlasts
// the deadline.
func chromium(t *testing.T, bin, page string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	profile := t.TempDir()
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + profile,
		"--window-size=1200,1600", "--enable-logging=stderr", "--v=0",
	}, args...)
	all = append(all, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	// Headless Chromium can leave helper processes behind: end the group.
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish in time: %v\n%s", ctx.Err(), errb.String())
	}
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	return out.String(), errb.String()
}

// consoleMessages returns the page's console messages and uncaught
// exceptions from Chromium's log. Chromium logs console.error as
// INFO:CONSOLE like console.log, so every console line counts: the report
// has no script, and anything on its console is a problem (a resource that
// failed to load, a blocked inline style).
var consoleLine = regexp.MustCompile(`(?m)^.*(?::CONSOLE|Uncaught).*$`)

func consoleMessages(log string) []string { return consoleLine.FindAllString(log, -1) }

// TestHTMLReportInChromium opens the report of the sample data in headless
// Chromium: no console error, every plot in the rendered page, and a
// screenshot that is not blank and shows the plots' colours.
func TestHTMLReportInChromium(t *testing.T) {
	bin := needTool(t, "chromium", "chromium")
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	r := runCmd("analyze", "-exposures", sampleExposures, "-outcomes", sampleOutcomes, "-covariate", "pre_revenue", "-html", page)
	if r.code != 0 {
		t.Fatalf("analyze: %d\n%s", r.code, r.stderr)
	}

	// The console check must see errors when there are some: a page that
	// logs one and throws proves the log is read.
	bad := filepath.Join(dir, "bad.html")
	if err := os.WriteFile(bad, []byte(`<!DOCTYPE html><title>bad</title><script>console.error("boom"); undefinedFunction();</script>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, log := chromium(t, bin, bad, "--dump-dom"); len(consoleMessages(log)) != 2 {
		t.Fatalf("a page that logs an error and throws shows %q on the console; the check is blind:\n%s", consoleMessages(log), log)
	}

	// One run renders the report, dumps its DOM and takes the screenshot.
	shot := filepath.Join(dir, "shot.png")
	dom, log := chromium(t, bin, page, "--dump-dom", "--screenshot="+shot)
	if msgs := consoleMessages(log); len(msgs) > 0 {
		t.Errorf("console messages:\n%s", strings.Join(msgs, "\n"))
	}
	// One assignment chart, and an effect and a sequential chart for each
	// of the two metrics.
	if n := strings.Count(dom, "<svg"); n != 5 {
		t.Errorf("rendered page has %d charts, want 5", n)
	}
	for _, want := range []string{"Verdict: treatment wins on converted", "cumulative effect", "sequential p-value", "assignment: share of units"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	var nonWhite, red, blue int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if r < 245 || g < 245 || bl < 245 {
				nonWhite++
			}
			if r > 180 && g < 80 && bl < 80 { // the treatment's lines, #d62728
				red++
			}
			if r < 80 && g > 90 && g < 150 && bl > 160 { // the control's, #1f77b4
				blue++
			}
		}
	}
	total := b.Dx() * b.Dy()
	t.Logf("screenshot %dx%d: %.1f%% non-white, %d red and %d blue pixels", b.Dx(), b.Dy(), 100*float64(nonWhite)/float64(total), red, blue)
	if b.Dx() != 1200 || b.Dy() != 1600 {
		t.Errorf("screenshot is %dx%d, want 1200x1600", b.Dx(), b.Dy())
	}
	if nonWhite < total/20 {
		t.Errorf("screenshot nearly blank: %d of %d pixels non-white", nonWhite, total)
	}
	if red < 500 || blue < 100 {
		t.Errorf("the plots' lines are missing: %d red and %d blue pixels", red, blue)
	}
}
