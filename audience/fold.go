package audience

import (
	"unicode"
	"unicode/utf8"
)

// canonFold returns the smallest rune of r's simple case-folding orbit, so
// that two runes are equal under strings.EqualFold exactly when their
// canonFold values are equal.
func canonFold(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

func foldEqual(a, b rune) bool { return a == b || canonFold(a) == canonFold(b) }

// foldHash hashes s so that strings equal under strings.EqualFold hash
// alike (FNV-1a over canonFold runes).
func foldHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for _, r := range s {
		c := uint32(canonFold(r))
		for range 4 {
			h ^= uint64(c & 0xff)
			h *= 1099511628211
			c >>= 8
		}
	}
	return h
}

// hasPrefixFold reports whether s starts with prefix, ignoring case.
func hasPrefixFold(s, prefix string) bool {
	_, ok := foldPrefixLen(s, prefix)
	return ok
}

// foldPrefixLen matches prefix against the start of s rune by rune.
func foldPrefixLen(s, prefix string) (int, bool) {
	i := 0
	for _, pr := range prefix {
		if i >= len(s) {
			return 0, false
		}
		sr, w := utf8.DecodeRuneInString(s[i:])
		if !foldEqual(sr, pr) {
			return 0, false
		}
		i += w
	}
	return i, true
}

// hasSuffixFold reports whether s ends with suffix, ignoring case.
func hasSuffixFold(s, suffix string) bool {
	for len(suffix) > 0 {
		if len(s) == 0 {
			return false
		}
		pr, pw := utf8.DecodeLastRuneInString(suffix)
		sr, sw := utf8.DecodeLastRuneInString(s)
		if !foldEqual(sr, pr) {
			return false
		}
		suffix, s = suffix[:len(suffix)-pw], s[:len(s)-sw]
	}
	return true
}

// containsFold reports whether s contains sub, ignoring case.
func containsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	for i := 0; i < len(s); {
		if hasPrefixFold(s[i:], sub) {
			return true
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return false
}
