package audience

import "cmp"

// A version is a parsed semantic version. pre is the pre-release part
// without its "-", or "" for a release; build metadata is dropped.
type version struct {
	major, minor, patch uint64
	pre                 string
}

// parseVersion parses a semantic version such as "1.10.0", "v2.3",
// "2.0.0-rc.1+build.5" without allocating, strictly as semver 2.0.0 §2, §9
// and §10 say with two exceptions: an optional "v" or "V" may lead, and
// minor and patch may be left out (they count as 0). Major, minor and patch
// are numbers without leading zeros ("01" is refused, "0" is fine) that fit
// uint64; pre-release identifiers are non-empty [0-9A-Za-z-] and, when
// numeric, have no leading zeros either; build identifiers are non-empty
// [0-9A-Za-z-] (leading zeros allowed, as §10 allows them).
func parseVersion(s string) (version, bool) {
	var v version
	if len(s) > 0 && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	var parts [3]uint64
	i, n := 0, 0
	for n < 3 {
		start := i
		var x uint64
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			d := uint64(s[i] - '0')
			if x > (1<<64-1-d)/10 {
				return version{}, false
			}
			x = x*10 + d
			i++
		}
		if i == start || (s[start] == '0' && i-start > 1) {
			return version{}, false
		}
		parts[n] = x
		n++
		if i < len(s) && s[i] == '.' && n < 3 {
			i++
			continue
		}
		break
	}
	v.major, v.minor, v.patch = parts[0], parts[1], parts[2]
	if i < len(s) && s[i] == '-' {
		i++
		start := i
		for i < len(s) && s[i] != '+' {
			i++
		}
		v.pre = s[start:i]
		if !validIdents(v.pre, true) {
			return version{}, false
		}
	}
	if i < len(s) && s[i] == '+' {
		if !validIdents(s[i+1:], false) {
			return version{}, false
		}
		i = len(s)
	}
	if i != len(s) {
		return version{}, false
	}
	return v, true
}

// validIdents reports whether s is a non-empty dot-separated list of
// non-empty identifiers of [0-9A-Za-z-]; with pre, numeric identifiers
// (digits only) may not have leading zeros.
func validIdents(s string, pre bool) bool {
	for {
		id, rest, more := cutDot(s)
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
				return false
			}
		}
		if pre && len(id) > 1 && id[0] == '0' && isNumeric(id) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// compareVersions orders a and b by semantic versioning 2.0.0 precedence
// (§11): major, minor and patch numerically; then a pre-release sorts
// before the release; pre-release identifiers compare one by one, numeric
// ones numerically and below alphanumeric ones, which compare in ASCII
// order; a longer list of equal leading identifiers sorts after a shorter
// one.
func compareVersions(a, b version) int {
	if c := cmp.Compare(a.major, b.major); c != 0 {
		return c
	}
	if c := cmp.Compare(a.minor, b.minor); c != 0 {
		return c
	}
	if c := cmp.Compare(a.patch, b.patch); c != 0 {
		return c
	}
	switch {
	case a.pre == b.pre:
		return 0
	case a.pre == "":
		return 1
	case b.pre == "":
		return -1
	}
	x, y := a.pre, b.pre
	for {
		xi, xr, xmore := cutDot(x)
		yi, yr, ymore := cutDot(y)
		if c := compareIdent(xi, yi); c != 0 {
			return c
		}
		switch {
		case !xmore && !ymore:
			return 0
		case !xmore:
			return -1
		case !ymore:
			return 1
		}
		x, y = xr, yr
	}
}

// cutDot splits s at its first '.'; more reports whether there was one.
func cutDot(s string) (head, rest string, more bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func isNumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// compareIdent orders two pre-release identifiers of a valid version.
// Numeric identifiers have no leading zeros, so the longer one is the
// larger and equal lengths compare digit by digit: numbers of any length
// compare without being parsed.
func compareIdent(a, b string) int {
	an, bn := isNumeric(a), isNumeric(b)
	switch {
	case an && bn:
		if c := cmp.Compare(len(a), len(b)); c != 0 {
			return c
		}
	case an:
		return -1
	case bn:
		return 1
	}
	return cmp.Compare(a, b)
}
