//go:build !race

package exposure_test

const raceEnabled = false
