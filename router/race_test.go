//go:build race

package router

// raceEnabled: the race detector makes allocation counts meaningless.
const raceEnabled = true
