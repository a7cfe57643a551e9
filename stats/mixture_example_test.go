package stats_test

import (
	"fmt"

	"github.com/varroute/varroute/stats"
)

// An always-valid upper bound on a difference of error rates, read at every
// look: 1.00% vs 1.05% over 40,000 requests each.
func ExampleMixtureRadius() {
	pc, pt := 0.0100, 0.0105
	v := pc*(1-pc)/40000 + pt*(1-pt)/40000
	r := stats.MixtureRadius(v, 0.005*0.005, 0.025)
	fmt.Printf("difference %.2f%%, always-valid bounds [%.2f%%, %.2f%%]\n", 100*(pt-pc), 100*(pt-pc-r), 100*(pt-pc+r))
	// Output: difference 0.05%, always-valid bounds [-0.18%, 0.28%]
}

// How many requests per arm an always-valid bound needs to come within
// 0.25 percentage points of an error rate near 1%.
func ExampleMixtureSampleSize() {
	n, err := stats.MixtureSampleSize(2*0.01*0.99, 0.0025, 0.005*0.005, 0.025)
	if err != nil {
		panic(err)
	}
	fmt.Println(n, "requests per arm")
	// Output: 31508 requests per arm
}

// A sample-ratio check on units, valid at every look: 4,870 of 10,000 units
// on the arm that should get half.
func ExampleSequentialBinomial() {
	r, err := stats.SequentialBinomial(4870, 10000, 0.5)
	if err != nil {
		panic(err)
	}
	fmt.Printf("p=%.3f\n", r.PValue)
	// Output: p=0.366
}
