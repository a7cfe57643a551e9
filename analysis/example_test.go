package analysis_test

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/varroute/varroute/analysis"
)

func Example() {
	// An exposure log as exposure.Writer writes it, and outcomes in the
	// long shape (unit, metric, value). Unit d did nothing: it counts as 0.
	exposures := strings.NewReader(`{"time":"2026-03-02T10:00:00Z","plan":"checkout","variant":"control","reason":"default","unit":"a"}
{"time":"2026-03-02T10:00:01Z","plan":"checkout","variant":"treatment","reason":"default","unit":"b"}
{"time":"2026-03-02T10:00:02Z","plan":"checkout","variant":"control","reason":"default","unit":"c"}
{"time":"2026-03-02T10:00:03Z","plan":"checkout","variant":"treatment","reason":"default","unit":"d"}
{"time":"2026-03-02T10:00:04Z","plan":"checkout","variant":"control","reason":"default","unit":"e"}
{"time":"2026-03-02T10:00:05Z","plan":"checkout","variant":"treatment","reason":"default","unit":"f"}
`)
	outcomes := strings.NewReader(`unit,metric,value
a,revenue,10
b,revenue,30
c,revenue,12
e,revenue,8
f,revenue,26
`)
	units := analysis.NewUnits("checkout")
	if err := units.ReadExposures(exposures); err != nil {
		log.Fatal(err)
	}
	if err := units.ReadOutcomes(outcomes); err != nil {
		log.Fatal(err)
	}
	sums, err := units.Summaries(analysis.SummaryOptions{})
	if err != nil {
		log.Fatal(err)
	}
	report, err := analysis.Analyze(sums, analysis.Options{})
	if err != nil {
		log.Fatal(err)
	}
	c := report.Metrics[0].Comparisons[0]
	fmt.Printf("%s: %s %.2f vs %s %.2f, effect %+.2f, p=%.3f\n", report.Metrics[0].Name,
		c.Variant, report.Metrics[0].Arms[1].Value, report.Control, report.Metrics[0].Arms[0].Value, c.Result.Effect, c.Result.PValue)
	if err := sums.WriteCSV(os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// revenue: treatment 18.67 vs control 10.00, effect +8.67, p=0.454
	// period,variant,metric,units,positive,sum,sum_sq,covariate,cov_sum,cov_sum_sq,cov_cross
	// ,control,revenue,3,3,30,308,,,,
	// ,treatment,revenue,3,2,56,1576,,,,
}
