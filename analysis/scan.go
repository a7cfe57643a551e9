package analysis

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"time"
	"unicode/utf8"

	"github.com/varroute/varroute/exposure"
)

// fields are the parts of an exposure line the analysis uses. The byte
// slices point into the line or, after a fallback, into fresh strings.
type fields struct {
	time                int64 // Unix nanoseconds, clamped; math.MinInt64 for no time
	plan, variant, unit []byte
}

// Errors of exposure lines, as exposure.Read words them.
var (
	errNotObject = errors.New("not a JSON object")
	errNoVariant = errors.New(`missing "variant"`)
)

// parseLine parses a non-blank exposure line as exposure.Read does
// (encoding/json into an exposure.Exposure, which must have a variant).
// Lines as exposure.Writer writes them — a flat object of string values
// without escapes — take a fast path that allocates nothing; any other
// line goes through encoding/json, so the result and the errors are
// encoding/json's in every case.
func parseLine(b []byte, f *fields) error {
	if b[0] != '{' {
		return errNotObject
	}
	if scan(b, f) {
		if len(f.variant) == 0 {
			return errNoVariant
		}
		return nil
	}
	var e exposure.Exposure
	if err := json.Unmarshal(b, &e); err != nil {
		return err
	}
	if e.Variant == "" {
		return errNoVariant
	}
	*f = fields{time: unixNano(e.Time), plan: []byte(e.Plan), variant: []byte(e.Variant), unit: []byte(e.Unit)}
	return nil
}

// The range of times a Unix nanosecond count holds.
var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

// unixNano returns t in Unix nanoseconds, math.MinInt64 for the zero Time
// (an exposure without a time comes first), clamped to the int64 range.
func unixNano(t time.Time) int64 {
	switch {
	case t.IsZero():
		return math.MinInt64
	case t.Before(minTime):
		return math.MinInt64 + 1
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// scan is the fast path: it reports false for anything but a flat JSON
// object of the exposure's lower-case field names with string values free
// of escapes, control characters and invalid UTF-8, and of other fields
// with such strings, numbers or literals — lines that encoding/json would
// decode to exactly what scan finds — and for a time that does not parse
// (to leave the error to encoding/json).
func scan(b []byte, f *fields) bool {
	*f = fields{time: math.MinInt64}
	i := skipSpace(b, 1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		key, j, ok := scanString(b, i)
		if !ok {
			return false
		}
		j = skipSpace(b, j)
		if j >= len(b) || b[j] != ':' {
			return false
		}
		j = skipSpace(b, j+1)
		var val []byte
		var k int
		switch string(key) {
		case "time", "plan", "variant", "unit", "rule", "served", "reason":
			if val, k, ok = scanString(b, j); !ok {
				return false
			}
		default:
			// A field Exposure does not have, such as one a later
			// version writes, is skipped if its value is a string, a
			// number or a literal, and if encoding/json would not match
			// its name to a field (it ignores case).
			if !plainKey(key) {
				return false
			}
			if k = skipScalar(b, j); k < 0 {
				return false
			}
		}
		switch string(key) {
		case "time":
			var t time.Time
			if t.UnmarshalText(val) != nil {
				return false
			}
			f.time = unixNano(t)
		case "plan":
			f.plan = val
		case "variant":
			f.variant = val
		case "unit":
			f.unit = val
		}
		k = skipSpace(b, k)
		if k >= len(b) {
			return false
		}
		switch b[k] {
		case ',':
			i = skipSpace(b, k+1)
		case '}':
			return skipSpace(b, k+1) == len(b)
		default:
			return false
		}
	}
}

// exposureKeys are the json names of Exposure's fields.
var exposureKeys = []string{"time", "plan", "rule", "variant", "served", "reason", "unit"}

// plainKey reports whether key is ASCII and matches no field of Exposure,
// even ignoring case as encoding/json does.
func plainKey(key []byte) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, k := range exposureKeys {
		if bytes.EqualFold(key, []byte(k)) {
			return false
		}
	}
	return true
}

// skipScalar returns the index after the JSON string (without escapes),
// number, true, false or null at b[i], or -1.
func skipScalar(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		if _, next, ok := scanString(b, i); ok {
			return next
		}
		return -1
	case c == '-' || c >= '0' && c <= '9':
		return skipNumber(b, i)
	}
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(b[i:], []byte(lit)) {
			return i + len(lit)
		}
	}
	return -1
}

// skipNumber returns the index after the JSON number at b[i], or -1.
func skipNumber(b []byte, i int) int {
	digits := func(i int) int {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

// scanString scans a JSON string at b[i] without escapes and returns its
// contents and the index after its closing quote.
func scanString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	end := bytes.IndexByte(b[i+1:], '"')
	if end < 0 {
		return nil, 0, false
	}
	s = b[i+1 : i+1+end]
	for _, c := range s {
		if c < 0x20 || c == '\\' {
			return nil, 0, false
		}
	}
	if !utf8.Valid(s) {
		return nil, 0, false
	}
	return s, i + 2 + end, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
