package audience

import (
	"cmp"
	"math"
	"strings"
)

// eval reports whether the condition n holds for attrs. It is a plain
// switch over concrete types, so attrs does not escape.
func (n *node) eval(attrs Attributes) bool {
	switch n.code {
	case opTrue:
		return true
	case opAll:
		for i := range n.kids {
			if !n.kids[i].eval(attrs) {
				return false
			}
		}
		return true
	case opAny:
		for i := range n.kids {
			if n.kids[i].eval(attrs) {
				return true
			}
		}
		return false
	case opNot:
		return !n.kids[0].eval(attrs)
	}
	// The attribute is read in place, never copied: a copy of a Value
	// that was just built field by field is a wide load of narrow stores,
	// which stalls store forwarding.
	var v *Value
	for i := range attrs {
		if attrs[i].Key == n.key {
			v = &attrs[i].Value
			break
		}
	}
	found := v != nil && v.k != KindAny
	if !found || n.code == opExists {
		return found != n.neg
	}
	if v.k == KindStrings {
		for _, s := range v.Strings() {
			e := StringValue(s)
			if n.test(&e) {
				return !n.neg
			}
		}
		return n.neg
	}
	return n.test(v) != n.neg
}

// test applies the positive form of leaf n to a single (non-list) value.
func (n *node) test(v *Value) bool {
	switch n.code {
	case opEquals:
		return equal(v, &n.v)
	case opIn:
		return n.set.has(v)
	}
	if n.code >= opLess && n.code <= opBetween {
		c, ok := compare(v, &n.v)
		if !ok {
			return false
		}
		switch n.code {
		case opLess:
			return c < 0
		case opLessEq:
			return c <= 0
		case opGreater:
			return c > 0
		case opGreaterEq:
			return c >= 0
		}
		if c < 0 {
			return false
		}
		c, ok = compare(v, &n.hi)
		return ok && c <= 0
	}
	switch n.code {
	case opBefore, opAfter, opTimeBetween:
		t, ok := instantValue(v)
		if !ok {
			return false
		}
		c := cmpInstant(t, n.t0)
		switch n.code {
		case opBefore:
			return c < 0
		case opAfter:
			return c > 0
		}
		return c >= 0 && cmpInstant(t, n.t1) <= 0
	case opInCIDR:
		a, ok := ipValue(v)
		return ok && n.cidr.contains(a)
	}
	// Every other operator reads a string.
	if v.k != KindString {
		return false
	}
	s := v.str()
	switch n.code {
	case opEqualsFold:
		return strings.EqualFold(s, n.v.str())
	case opInFold:
		return n.set.hasFold(s)
	case opContains:
		return strings.Contains(s, n.v.str())
	case opContainsFold:
		return n.fold.in(s)
	case opPrefix:
		return strings.HasPrefix(s, n.v.str())
	case opPrefixFold:
		return hasPrefixFold(s, n.v.str())
	case opSuffix:
		return strings.HasSuffix(s, n.v.str())
	case opSuffixFold:
		return hasSuffixFold(s, n.v.str())
	case opRegex:
		return n.re.match(s)
	}
	ver, ok := parseVersion(s)
	if !ok {
		return false
	}
	c := compareVersions(ver, n.ver)
	switch n.code {
	case opSemverEq:
		return c == 0
	case opSemverLess:
		return c < 0
	case opSemverLessEq:
		return c <= 0
	case opSemverGreater:
		return c > 0
	case opSemverGreaterEq:
		return c >= 0
	case opSemverBetween:
		return c >= 0 && compareVersions(ver, n.hiv) <= 0
	}
	return false
}

// equal reports whether attribute a equals operand b: strings and bools by
// value within their kind, numbers by numeric value across kinds. The
// attribute is passed by pointer, as Match reads it, in place.
func equal(a, b *Value) bool {
	switch b.k {
	case KindString:
		return a.k == KindString && a.str() == b.str()
	case KindBool:
		return a.k == KindBool && a.n == b.n
	}
	c, ok := cmpNum(a, b)
	return ok && c == 0
}

// compare orders a against b when both are strings (byte-wise) or both are
// numbers (by value). ok is false for other pairs and for NaN.
func compare(a, b *Value) (c int, ok bool) {
	if b.k == KindString {
		if a.k != KindString {
			return 0, false
		}
		return cmp.Compare(a.str(), b.str()), true
	}
	return cmpNum(a, b)
}

func isNum(k Kind) bool { return k == KindInt64 || k == KindUint64 || k == KindFloat64 }

// cmpNum compares two numeric Values exactly, whatever their kinds.
func cmpNum(a, b *Value) (int, bool) {
	if !isNum(a.k) || !isNum(b.k) {
		return 0, false
	}
	switch a.k {
	case KindInt64:
		i := int64(a.n)
		switch b.k {
		case KindInt64:
			return cmp.Compare(i, int64(b.n)), true
		case KindUint64:
			if i < 0 {
				return -1, true
			}
			return cmp.Compare(uint64(i), b.n), true
		default:
			return cmpIntFloat(i, math.Float64frombits(b.n))
		}
	case KindUint64:
		switch b.k {
		case KindInt64:
			c, ok := cmpNum(b, a)
			return -c, ok
		case KindUint64:
			return cmp.Compare(a.n, b.n), true
		default:
			return cmpUintFloat(a.n, math.Float64frombits(b.n))
		}
	default:
		f := math.Float64frombits(a.n)
		switch b.k {
		case KindInt64:
			c, ok := cmpIntFloat(int64(b.n), f)
			return -c, ok
		case KindUint64:
			c, ok := cmpUintFloat(b.n, f)
			return -c, ok
		default:
			g := math.Float64frombits(b.n)
			if f != f || g != g {
				return 0, false
			}
			return cmp.Compare(f, g), true
		}
	}
}

// cmpIntFloat compares i and f exactly. Rounding i to float64 is monotonic,
// so a strict difference after rounding is the true order; on a tie f is
// integral and converts back exactly (or is 2^63, above every int64).
func cmpIntFloat(i int64, f float64) (int, bool) {
	if f != f {
		return 0, false
	}
	if c := cmp.Compare(float64(i), f); c != 0 {
		return c, true
	}
	if f >= 1<<63 {
		return -1, true
	}
	return cmp.Compare(i, int64(f)), true
}

// cmpUintFloat is cmpIntFloat for uint64.
func cmpUintFloat(u uint64, f float64) (int, bool) {
	if f != f {
		return 0, false
	}
	if c := cmp.Compare(float64(u), f); c != 0 {
		return c, true
	}
	if f >= 1<<64 {
		return -1, true
	}
	return cmp.Compare(u, uint64(f)), true
}

// numKey normalises a number for set membership: which is 0 for an
// integral value that fits int64 (i), 1 for an integral value above
// MaxInt64 that fits uint64 (u), and 2 otherwise (f).
func numKey(v *Value) (i int64, u uint64, f float64, which int) {
	switch v.k {
	case KindInt64:
		return int64(v.n), 0, 0, 0
	case KindUint64:
		if v.n <= math.MaxInt64 {
			return int64(v.n), 0, 0, 0
		}
		return 0, v.n, 0, 1
	}
	f = math.Float64frombits(v.n)
	if f == math.Trunc(f) { // false for NaN and ±Inf stays out of range below
		if f >= -(1<<63) && f < 1<<63 {
			return int64(f), 0, 0, 0
		}
		if f >= 1<<63 && f < 1<<64 {
			return 0, uint64(f), 0, 1
		}
	}
	return 0, 0, f, 2
}

// has reports whether v is in s. Strings, bools and numbers never match
// each other; NaN is in no set.
func (s *valueSet) has(v *Value) bool {
	switch v.k {
	case KindString:
		_, ok := s.strs[v.str()]
		return ok
	case KindBool:
		if v.n == 1 {
			return s.hasTrue
		}
		return s.hasFalse
	case KindInt64, KindUint64, KindFloat64:
		i, u, f, which := numKey(v)
		var ok bool
		switch which {
		case 0:
			_, ok = s.ints[i]
		case 1:
			_, ok = s.uints[u]
		default:
			_, ok = s.floats[f]
		}
		return ok
	}
	return false
}

// hasFold reports whether str equals an element of s, ignoring case.
func (s *valueSet) hasFold(str string) bool {
	if len(s.fold) == 0 {
		return false
	}
	for _, c := range s.fold[foldHash(s.seed, str)] {
		if strings.EqualFold(c, str) {
			return true
		}
	}
	return false
}
