//go:build unix

package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/varroute/varroute/analysis"
)

// TestSummariesSQL loads the sample exposure log and outcomes into SQLite,
// runs the README's SQL (testdata/summaries.sql), and checks that the
// report from its output equals the report from the raw data: every number
// to 1e-9, the same verdict, the same text.
func TestSummariesSQL(t *testing.T) {
	bin := needTool(t, "sqlite3", "sqlite3")
	dir := t.TempDir()
	db := filepath.Join(dir, "experiment.db")
	exposures, err := filepath.Abs(sampleExposures)
	if err != nil {
		t.Fatal(err)
	}
	outcomes, err := filepath.Abs(sampleOutcomes)
	if err != nil {
		t.Fatal(err)
	}
	sqlite := func(script string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(args, db)...)
		cmd.Stdin = strings.NewReader(script)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil || errb.Len() > 0 {
			t.Fatalf("sqlite3: %v\n%s", err, errb.String())
		}
		return out.String()
	}
	// Load: each JSON line into one text column (ASCII mode with a unit
	// separator, which JSON never holds raw), then the fields out of it;
	// the outcomes CSV as it is.
	sqlite(`CREATE TABLE raw(line TEXT);
.mode ascii
.separator "\037" "\n"
.import '` + exposures + `' raw
CREATE TABLE exposures AS SELECT
  json_extract(line, '$.time') AS time, json_extract(line, '$.plan') AS plan,
  json_extract(line, '$.variant') AS variant, json_extract(line, '$.unit') AS unit
FROM raw WHERE trim(line) <> '';
CREATE TABLE outcomes(unit TEXT, metric TEXT, value REAL);
.import --csv --skip 1 '` + outcomes + `' outcomes
`)
	if n := strings.TrimSpace(sqlite("SELECT count(*) FROM exposures;")); n != "16624" {
		t.Fatalf("%s exposures loaded, want 16624", n)
	}
	query, err := os.ReadFile("testdata/summaries.sql")
	if err != nil {
		t.Fatal(err)
	}
	csvOut := sqlite(string(query), "-csv", "-header")
	sqlSums := filepath.Join(dir, "sql-summaries.csv")
	if err := os.WriteFile(sqlSums, []byte(csvOut), 0o644); err != nil {
		t.Fatal(err)
	}

	// The direct path and the SQL path, through the library.
	fromSQL, err := analysis.ReadSummaries(strings.NewReader(csvOut))
	if err != nil {
		t.Fatal(err)
	}
	if fromSQL.Covariate != "pre_revenue" {
		t.Errorf("covariate %q", fromSQL.Covariate)
	}
	u := analysis.NewUnits("checkout-2026")
	for _, in := range []struct {
		path string
		read func(*os.File) error
	}{
		{exposures, func(f *os.File) error { return u.ReadExposures(f) }},
		{outcomes, func(f *os.File) error { return u.ReadOutcomes(f) }},
	} {
		f, err := os.Open(in.path)
		if err != nil {
			t.Fatal(err)
		}
		err = in.read(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	direct, err := u.Summaries(analysis.SummaryOptions{Period: time.Hour, Covariate: "pre_revenue"})
	if err != nil {
		t.Fatal(err)
	}
	if len(direct.Rows) != len(fromSQL.Rows) {
		t.Fatalf("%d rows from SQL, %d direct", len(fromSQL.Rows), len(direct.Rows))
	}
	for i, d := range direct.Rows {
		s := fromSQL.Rows[i]
		if !d.Period.Equal(s.Period) || d.Variant != s.Variant || d.Metric != s.Metric || d.Units != s.Units || d.Positive != s.Positive {
			t.Fatalf("row %d: SQL %+v, direct %+v", i, s, d)
		}
		for _, x := range [][2]float64{{d.Sum, s.Sum}, {d.SumSq, s.SumSq}, {d.CovSum, s.CovSum}, {d.CovSumSq, s.CovSumSq}, {d.CovCross, s.CovCross}} {
			if math.Abs(x[0]-x[1]) > 1e-9*max(1, math.Abs(x[0])) {
				t.Fatalf("row %d: SQL %+v, direct %+v", i, s, d)
			}
		}
	}
	a, err := analysis.Analyze(direct, analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fromSQL.Plan = direct.Plan
	b, err := analysis.Analyze(fromSQL, analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	near := func(what string, x, y float64) {
		t.Helper()
		if math.IsNaN(x) != math.IsNaN(y) || math.Abs(x-y) > 1e-9*max(1, math.Abs(x)) {
			t.Errorf("%s: direct %.17g, SQL %.17g", what, x, y)
		}
	}
	near("SRM p", a.SRM.PValue, b.SRM.PValue)
	if len(a.Metrics) != 2 || len(b.Metrics) != 2 {
		t.Fatalf("metrics: %d direct, %d SQL", len(a.Metrics), len(b.Metrics))
	}
	for i, m := range a.Metrics {
		n := b.Metrics[i]
		near(m.Name+" theta", m.Theta, n.Theta)
		for j, arm := range m.Arms {
			near(m.Name+" "+arm.Variant+" value", arm.Value, n.Arms[j].Value)
			near(m.Name+" "+arm.Variant+" CI lo", arm.CI.Lo, n.Arms[j].CI.Lo)
			near(m.Name+" "+arm.Variant+" CI hi", arm.CI.Hi, n.Arms[j].CI.Hi)
		}
		for j, c := range m.Comparisons {
			d := n.Comparisons[j]
			what := m.Name + " " + c.Variant
			near(what+" effect", c.Result.Effect, d.Result.Effect)
			near(what+" CI lo", c.Result.CI.Lo, d.Result.CI.Lo)
			near(what+" CI hi", c.Result.CI.Hi, d.Result.CI.Hi)
			near(what+" p", c.Result.PValue, d.Result.PValue)
			near(what+" adjusted p", c.AdjustedP, d.AdjustedP)
			near(what+" P(better)", c.ProbabilityToBeat, d.ProbabilityToBeat)
			near(what+" sequential p", c.SequentialP, d.SequentialP)
			for k, p := range c.Series {
				near(what+" series effect", p.Effect, d.Series[k].Effect)
				near(what+" series sequential p", p.SequentialP, d.Series[k].SequentialP)
			}
		}
	}
	if a.Verdict() != b.Verdict() {
		t.Errorf("verdict: direct %q, SQL %q", a.Verdict(), b.Verdict())
	}
	if !strings.Contains(a.Verdict(), "treatment wins on converted") {
		t.Errorf("verdict %q: the sample's true effect is not found", a.Verdict())
	}

	// The command prints the same report both ways.
	rd := runCmd("analyze", "-exposures", sampleExposures, "-outcomes", sampleOutcomes, "-covariate", "pre_revenue")
	rs := runCmd("analyze", "-summaries", sqlSums, "-plan", "checkout-2026")
	report := func(out string) string { return out[strings.Index(out, "\nplan "):] }
	if rd.code != 0 || rs.code != 0 || report(rd.stdout) != report(rs.stdout) {
		t.Errorf("direct (status %d):\n%s\nSQL (status %d):\n%s%s", rd.code, rd.stdout, rs.code, rs.stdout, rs.stderr)
	}
}
