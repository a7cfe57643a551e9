package fielderr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxQuoted is the longest name quoted whole in a message; longer ones are
// cut, so that a megabyte key cannot make a megabyte error.
const maxQuoted = 64

// Quote returns s quoted as strconv.Quote does, cut to its first 64 bytes
// (and "...") when it is longer.
func Quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

// UnknownField returns the problem of a field name that valid does not
// hold: `unknown field "wieght" (did you mean "weight"?)` when a valid name
// is near (see Nearest), else `unknown field "x" (valid: a, b, c)`.
func UnknownField(name string, valid []string) error {
	if near, ok := Nearest(name, valid); ok {
		return fmt.Errorf("unknown field %s (did you mean %q?)", Quote(name), near)
	}
	return fmt.Errorf("unknown field %s (valid: %s)", Quote(name), strings.Join(valid, ", "))
}

// Nearest returns the name in valid nearest to name if it is near enough to
// be a likely misspelling: equal but for case, or within a third of name's
// length in edits (at least 1, at most 3) as counted by Distance. Among
// equally near names the first listed wins. It reports false when none is
// near.
func Nearest(name string, valid []string) (string, bool) {
	for _, v := range valid {
		if strings.EqualFold(name, v) {
			return v, true
		}
	}
	n := utf8.RuneCountInString(name)
	limit := min(max(n/3, 1), 3)
	best, bestDist := "", limit+1
	for _, v := range valid {
		if d := Distance(name, v, bestDist); d < bestDist {
			best, bestDist = v, d
		}
	}
	return best, best != ""
}

// Distance returns the optimal string alignment distance between a and b:
// the fewest insertions, deletions and substitutions of one character, and
// transpositions of two adjacent ones, that turn a into b (so "wieght" is 1
// from "weight"). It stops counting at bound: a result of bound or more
// means "at least bound". Time and memory are O(len(a)*len(b)) at most, and
// O(1) when the lengths differ by bound or more.
func Distance(a, b string, bound int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d >= bound || -d >= bound {
		return bound
	}
	// Three rows of the dynamic programme: i-2, i-1 and i.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		if rowMin >= bound {
			return bound
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(rb)], bound)
}
