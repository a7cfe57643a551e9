// Abanalysis is the analysis job of an A/B test, written with package
// analysis: it joins the exposure log that a varroute router wrote (through
// exposure.Writer) with an outcomes table and decides whether the treatment
// won, with CUPED on the pre-period revenue.
//
//	go run ./examples/abanalysis
//
// It reads the sample data set in testdata/ (written by go run
// ./examples/abanalysis/gen: 15,000 users, treatment truly converts at 12%
// against 10%). The command varroute analyze does the same with flags, a
// progress bar and an HTML report:
//
//	go run ./cmd/varroute analyze -exposures examples/abanalysis/testdata/exposures.jsonl \
//	    -outcomes examples/abanalysis/testdata/outcomes.csv -covariate pre_revenue -html report.html
package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/varroute/varroute/analysis"
)

func main() {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "testdata")

	units := analysis.NewUnits("checkout-2026")
	if err := read(filepath.Join(dir, "exposures.jsonl"), units.ReadExposures); err != nil {
		log.Fatal(err)
	}
	if err := read(filepath.Join(dir, "outcomes.csv"), units.ReadOutcomes); err != nil {
		log.Fatal(err)
	}
	sums, err := units.Summaries(analysis.SummaryOptions{Period: time.Hour, Covariate: "pre_revenue"})
	if err != nil {
		log.Fatal(err)
	}
	report, err := analysis.Analyze(sums, analysis.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if err := report.WriteText(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// read opens the file at path and hands it to readFrom.
func read(path string, readFrom func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := readFrom(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
