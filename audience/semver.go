package audience

// A version is a parsed semantic version. pre is the pre-release part
// without its "-", or "" for a release; build metadata is dropped.
type version struct {
	major, minor, patch uint64
	pre                 string
}

// parseVersion parses a semantic version such as "1.10.0", "v2.3",
// "2.0.0-rc.1+build.5" without allocating. An optional "v" or "V" may lead;
// minor and patch may be left out and then count as 0. Numbers may not
// overflow uint64; pre-release and build identifiers must be non-empty and
// made of ASCII letters, digits and "-".
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
		if i == start {
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
		if !validIdents(v.pre) {
			return version{}, false
		}
	}
	if i < len(s) && s[i] == '+' {
		if !validIdents(s[i+1:]) {
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
// non-empty identifiers of [0-9A-Za-z-].
func validIdents(s string) bool {
	if s == "" {
		return false
	}
	prevDot := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if prevDot {
				return false
			}
			prevDot = true
			continue
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
		default:
			return false
		}
		prevDot = false
	}
	return !prevDot
}

// compareVersions orders a and b by semantic versioning 2.0.0 precedence:
// major, minor and patch numerically; then a pre-release sorts before the
// release; pre-release identifiers compare one by one, numeric ones
// numerically and below alphanumeric ones, which compare in ASCII order;
// a longer list of equal leading identifiers sorts after a shorter one.
func compareVersions(a, b version) int {
	if c := cmp3(a.major, b.major); c != 0 {
		return c
	}
	if c := cmp3(a.minor, b.minor); c != 0 {
		return c
	}
	if c := cmp3(a.patch, b.patch); c != 0 {
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
	for x != "" && y != "" {
		var xi, yi string
		xi, x = cutDot(x)
		yi, y = cutDot(y)
		if c := compareIdent(xi, yi); c != 0 {
			return c
		}
	}
	switch {
	case x == "" && y == "":
		return 0
	case x == "":
		return -1
	}
	return 1
}

func cutDot(s string) (head, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func isNumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func compareIdent(a, b string) int {
	an, bn := isNumeric(a), isNumeric(b)
	switch {
	case an && bn:
		// Compare numbers of any length without parsing: drop leading
		// zeros, then the longer is larger, then compare digits.
		a, b = trimZeros(a), trimZeros(b)
		if c := cmp3(int64(len(a)), int64(len(b))); c != 0 {
			return c
		}
	case an:
		return -1
	case bn:
		return 1
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}
