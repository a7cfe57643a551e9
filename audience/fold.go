package audience

import (
	"hash/maphash"
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
	if r < foldTableSize {
		return rune(foldTable[2*r])<<8 | rune(foldTable[2*r+1])
	}
	if r < 0x10a0 || 0x3000 <= r && r < 0xa640 || 0xac00 <= r && r < 0xd800 {
		// The scripts of India and South-East Asia, CJK, kana, Yi and
		// Hangul have no case (TestFoldTable checks every rune).
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
// alike: the seeded hash of package hash/maphash over s with each rune
// replaced by canonFold. The seed is random per set, so that no list of
// operands can be made to collide.
func foldHash(seed maphash.Seed, s string) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	var buf [64]byte
	n := 0
	for _, r := range s {
		if n > len(buf)-utf8.UTFMax {
			h.Write(buf[:n])
			n = 0
		}
		if r < utf8.RuneSelf {
			buf[n] = upperASCII(byte(r))
			n++
			continue
		}
		n += utf8.EncodeRune(buf[n:], canonFold(r))
	}
	h.Write(buf[:n])
	return h.Sum64()
}

// hasPrefixFold reports whether s starts with prefix, ignoring case.
func hasPrefixFold(s, prefix string) bool {
	_, ok := foldPrefixLen(s, prefix)
	return ok
}

// foldPrefixLen matches prefix against the start of s rune by rune, ASCII
// bytes without decoding.
func foldPrefixLen(s, prefix string) (int, bool) {
	i, j := 0, 0
	for j < len(prefix) {
		if i >= len(s) {
			return 0, false
		}
		if a, b := s[i], prefix[j]; a < utf8.RuneSelf && b < utf8.RuneSelf {
			if a != b && upperASCII(a) != upperASCII(b) {
				return 0, false
			}
			i, j = i+1, j+1
			continue
		}
		sr, sw := utf8.DecodeRuneInString(s[i:])
		pr, pw := utf8.DecodeRuneInString(prefix[j:])
		if !foldEqual(sr, pr) {
			return 0, false
		}
		i, j = i+sw, j+pw
	}
	return i, true
}

// hasSuffixFold reports whether s ends with suffix, ignoring case. A last
// byte below utf8.RuneSelf is a whole rune (the last byte of a longer one
// is a continuation byte), so ASCII compares without decoding.
func hasSuffixFold(s, suffix string) bool {
	for len(suffix) > 0 {
		if len(s) == 0 {
			return false
		}
		if a, b := s[len(s)-1], suffix[len(suffix)-1]; a < utf8.RuneSelf && b < utf8.RuneSelf {
			if a != b && upperASCII(a) != upperASCII(b) {
				return false
			}
			suffix, s = suffix[:len(suffix)-1], s[:len(s)-1]
			continue
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

// upperASCII upper-cases an ASCII letter, which is canonFold of an ASCII
// byte.
func upperASCII(b byte) byte {
	if 'a' <= b && b <= 'z' {
		return b - ('a' - 'A')
	}
	return b
}

// A foldPattern is the compiled operand of contains_ci: its runes, each
// replaced by canonFold, with the Knuth-Morris-Pratt failure table, so that
// a search takes one step per rune of the attribute (amortized), whatever
// the operand: a naive search costs len(attribute) × len(operand) when
// both repeat a letter ("aaa…ab" in "aaa…a").
type foldPattern struct {
	runes []rune
	fail  []int32 // fail[i]: length of the longest proper border of runes[:i+1]
}

func newFoldPattern(sub string) *foldPattern {
	p := &foldPattern{}
	for _, r := range sub {
		p.runes = append(p.runes, canonFold(r))
	}
	p.fail = make([]int32, len(p.runes))
	k := int32(0)
	for i := 1; i < len(p.runes); i++ {
		for k > 0 && p.runes[i] != p.runes[k] {
			k = p.fail[k-1]
		}
		if p.runes[i] == p.runes[k] {
			k++
		}
		p.fail[i] = k
	}
	return p
}

// in reports whether s contains the pattern, ignoring case as
// strings.EqualFold does; invalid UTF-8 reads as U+FFFD on both sides.
func (p *foldPattern) in(s string) bool {
	if len(p.runes) == 0 {
		return true
	}
	k := 0
	for _, r := range s {
		c := r
		if r < utf8.RuneSelf {
			c = rune(upperASCII(byte(r)))
		} else {
			c = canonFold(r)
		}
		for k > 0 && c != p.runes[k] {
			k = int(p.fail[k-1])
		}
		if c == p.runes[k] {
			k++
			if k == len(p.runes) {
				return true
			}
		}
	}
	return false
}
