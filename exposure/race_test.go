//go:build race

package exposure_test

// raceEnabled: the race detector's instrumentation allocates, so
// allocation tests skip under it.
const raceEnabled = true
