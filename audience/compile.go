package audience

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// opcode selects what a compiled node does.
type opcode uint8

const (
	opTrue opcode = iota
	opAll
	opAny
	opNot
	opExists
	opEquals
	opEqualsFold
	opIn
	opInFold
	opContains
	opContainsFold
	opPrefix
	opPrefixFold
	opSuffix
	opSuffixFold
	opRegex
	opLess
	opLessEq
	opGreater
	opGreaterEq
	opBetween
	opSemverEq
	opSemverLess
	opSemverLessEq
	opSemverGreater
	opSemverGreaterEq
	opSemverBetween
	opBefore
	opAfter
	opTimeBetween
	opInCIDR
)

// operand says what an operator takes.
type operand uint8

const (
	argNone         operand = iota // no operand
	argScalar                      // string, bool or number
	argString                      // string
	argList                        // list of scalars
	argStringList                  // list of strings
	argRegex                       // RE2 pattern
	argOrdered                     // number or string
	argRange                       // two numbers or two strings, lo <= hi
	argVersion                     // semantic version string
	argVersionRange                // two versions, lo <= hi
	argTime                        // an instant: RFC 3339 string or time.Time
	argTimeRange                   // two instants, lo <= hi
	argPrefixes                    // list of CIDR prefixes or addresses, or one
)

type opSpec struct {
	name Op
	code opcode
	neg  bool
	arg  operand
}

// opTable lists the operators in documentation order. It is never modified.
var opTable = [...]opSpec{
	{OpEquals, opEquals, false, argScalar},
	{OpNotEquals, opEquals, true, argScalar},
	{OpEqualsCI, opEqualsFold, false, argString},
	{OpNotEqualsCI, opEqualsFold, true, argString},
	{OpIn, opIn, false, argList},
	{OpNotIn, opIn, true, argList},
	{OpInCI, opInFold, false, argStringList},
	{OpNotInCI, opInFold, true, argStringList},
	{OpContains, opContains, false, argString},
	{OpNotContains, opContains, true, argString},
	{OpContainsCI, opContainsFold, false, argString},
	{OpNotContainsCI, opContainsFold, true, argString},
	{OpStartsWith, opPrefix, false, argString},
	{OpStartsWithCI, opPrefixFold, false, argString},
	{OpEndsWith, opSuffix, false, argString},
	{OpEndsWithCI, opSuffixFold, false, argString},
	{OpMatches, opRegex, false, argRegex},
	{OpExists, opExists, false, argNone},
	{OpNotExists, opExists, true, argNone},
	{OpLess, opLess, false, argOrdered},
	{OpLessOrEqual, opLessEq, false, argOrdered},
	{OpGreater, opGreater, false, argOrdered},
	{OpGreaterOrEqual, opGreaterEq, false, argOrdered},
	{OpBetween, opBetween, false, argRange},
	{OpSemverEquals, opSemverEq, false, argVersion},
	{OpSemverLess, opSemverLess, false, argVersion},
	{OpSemverLessEq, opSemverLessEq, false, argVersion},
	{OpSemverGreater, opSemverGreater, false, argVersion},
	{OpSemverGreaterEq, opSemverGreaterEq, false, argVersion},
	{OpSemverBetween, opSemverBetween, false, argVersionRange},
	{OpBefore, opBefore, false, argTime},
	{OpAfter, opAfter, false, argTime},
	{OpTimeBetween, opTimeBetween, false, argTimeRange},
	{OpInCIDR, opInCIDR, false, argPrefixes},
	{OpNotInCIDR, opInCIDR, true, argPrefixes},
}

func lookupOp(op Op) (opSpec, bool) {
	for _, s := range opTable {
		if s.name == op {
			return s, true
		}
	}
	return opSpec{}, false
}

func validOps() string {
	var b strings.Builder
	for i, s := range opTable {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(s.name))
	}
	return b.String()
}

// node is one compiled condition. Leaves test the attribute named key;
// compositions evaluate kids.
type node struct {
	code opcode
	neg  bool // negate the leaf's result, including for a missing key
	key  string
	kids []node
	v    Value // operand; lower bound of a range
	hi   Value // upper bound of a range
	ver  version
	hiv  version
	set  *valueSet
	re   *regex
	t0   instant // time operand; lower bound of time_between
	t1   instant // upper bound of time_between
	cidr *prefixSet
	fold *foldPattern // contains_ci
}

// invalid returns an error wrapping ErrInvalid (and any %w arguments)
// whose message is just the formatted text: *Error adds the "audience:"
// prefix, the position and the path.
func invalid(format string, args ...any) error {
	return invalidError{fmt.Errorf(format, args...)}
}

type invalidError struct{ err error }

func (e invalidError) Error() string { return e.err.Error() }
func (e invalidError) Unwrap() []error {
	if inner := errors.Unwrap(e.err); inner != nil {
		return []error{ErrInvalid, inner}
	}
	return []error{ErrInvalid}
}

// compile compiles the condition tree c, found at path, within the limits
// of one audience (MaxConditions, MaxNesting, MaxRegexProgram).
func compile(c *Condition, path string) (node, error) {
	var b budget
	return b.compile(c, path, 1)
}

// budget counts what the limits of one audience bound while it compiles.
type budget struct {
	conditions int // conditions seen
	regexInsts int // instructions of the regular expressions seen
}

func (b *budget) compile(c *Condition, path string, depth int) (node, error) {
	if depth > MaxNesting {
		return node{}, &Error{Path: path, Err: invalid("conditions nest deeper than audience.MaxNesting (%d levels)", MaxNesting)}
	}
	if b.conditions++; b.conditions > MaxConditions {
		return node{}, &Error{Path: path, Err: invalid("the audience has more than audience.MaxConditions (%d) conditions", MaxConditions)}
	}
	leaf := c.Key != "" || c.Op != "" || c.Value != nil || len(c.Values) > 0
	var parts []string
	if len(c.All) > 0 {
		parts = append(parts, "all")
	}
	if len(c.Any) > 0 {
		parts = append(parts, "any")
	}
	if c.Not != nil {
		parts = append(parts, "not")
	}
	if leaf {
		parts = append(parts, "key/op")
	}
	if len(parts) > 1 {
		return node{}, &Error{Path: path, Err: invalid("condition sets %s; use exactly one of all, any, not or key/op", strings.Join(parts, " and "))}
	}
	switch {
	case len(c.All) > 0 || len(c.Any) > 0:
		code, list, field := opAll, c.All, "all"
		if len(c.Any) > 0 {
			code, list, field = opAny, c.Any, "any"
		}
		n := node{code: code, kids: make([]node, len(list))}
		for i := range list {
			kn, err := b.compile(&list[i], path+"."+field+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return node{}, err
			}
			n.kids[i] = kn
		}
		return n, nil
	case c.Not != nil:
		kn, err := b.compile(c.Not, path+".not", depth+1)
		if err != nil {
			return node{}, err
		}
		return node{code: opNot, kids: []node{kn}}, nil
	case !leaf:
		return node{code: opTrue}, nil
	}
	n, field, err := compileLeaf(c)
	if err != nil {
		return node{}, &Error{Path: path + "." + field, Err: err}
	}
	if n.re != nil {
		if b.regexInsts += n.re.insts; b.regexInsts > MaxRegexProgram {
			return node{}, &Error{Path: path + ".value", Err: invalid("the regular expressions of the audience compile to %d instructions together, over audience.MaxRegexProgram (%d)", b.regexInsts, MaxRegexProgram)}
		}
	}
	return n, nil
}

// compileLeaf compiles a key/op condition. On error it also returns the
// field of c at fault: "key", "op", "value", "values" or "values[i]".
func compileLeaf(c *Condition) (node, string, error) {
	if c.Op == "" {
		return node{}, "op", invalid("missing operator (valid: %s)", validOps())
	}
	spec, ok := lookupOp(c.Op)
	if !ok {
		return node{}, "op", invalid("unknown operator %q (valid: %s)", c.Op, validOps())
	}
	if c.Key == "" {
		return node{}, "key", invalid("missing key")
	}
	n := node{code: spec.code, neg: spec.neg, key: c.Key}
	switch spec.arg {
	case argNone:
		if c.Value != nil || len(c.Values) > 0 {
			return node{}, "value", invalid("operator %s takes no operand", c.Op)
		}
		return n, "", nil
	case argList, argStringList:
		items, field, err := listOperand(c, -1)
		if err != nil {
			return node{}, field, err
		}
		n.set = &valueSet{}
		for i, x := range items {
			v, err := scalarOperand(x, c.Op)
			if err == nil && spec.arg == argStringList && v.k != KindString {
				err = invalid("operator %s needs strings, not %s", c.Op, describe(x))
			}
			if err != nil {
				return node{}, field + "[" + strconv.Itoa(i) + "]", err
			}
			if spec.arg == argStringList {
				n.set.addFold(v.str())
			} else {
				n.set.add(v)
			}
		}
		return n, "", nil
	case argPrefixes:
		var items []any
		field, single := "value", false
		if len(c.Values) == 0 && c.Value != nil {
			if _, isList := asList(c.Value); !isList {
				items, single = []any{c.Value}, true
			}
		}
		if !single {
			var err error
			if items, field, err = listOperand(c, -1); err != nil {
				return node{}, field, err
			}
		}
		prefixes := make([]netip.Prefix, len(items))
		for i, x := range items {
			p, err := cidrPrefix(x, c.Op)
			if err != nil {
				if !single {
					field += "[" + strconv.Itoa(i) + "]"
				}
				return node{}, field, err
			}
			prefixes[i] = p
		}
		n.cidr = newPrefixSet(prefixes)
		return n, "", nil
	case argTimeRange:
		items, field, err := listOperand(c, 2)
		if err != nil {
			return node{}, field, err
		}
		for i, x := range items {
			t, err := timeOperand(x, c.Op)
			if err != nil {
				return node{}, field + "[" + strconv.Itoa(i) + "]", err
			}
			if i == 0 {
				n.t0 = t
			} else {
				n.t1 = t
			}
		}
		if cmpInstant(n.t0, n.t1) > 0 {
			return node{}, field, invalid("operator %s: lower bound %v is after upper bound %v", c.Op, items[0], items[1])
		}
		return n, "", nil
	case argRange, argVersionRange:
		items, field, err := listOperand(c, 2)
		if err != nil {
			return node{}, field, err
		}
		var bounds [2]Value
		var vers [2]version
		for i, x := range items {
			f := field + "[" + strconv.Itoa(i) + "]"
			if spec.arg == argRange {
				bounds[i], err = orderedOperand(x, c.Op)
			} else {
				vers[i], err = versionOperand(x, c.Op)
			}
			if err != nil {
				return node{}, f, err
			}
		}
		if spec.arg == argRange {
			cmp, ok := compare(&bounds[0], &bounds[1])
			if !ok {
				return node{}, field, invalid("operator %s needs two numbers or two strings, not %s and %s", c.Op, describe(items[0]), describe(items[1]))
			}
			if cmp > 0 {
				return node{}, field, invalid("operator %s: lower bound %v is above upper bound %v", c.Op, items[0], items[1])
			}
			n.v, n.hi = bounds[0], bounds[1]
		} else {
			if compareVersions(vers[0], vers[1]) > 0 {
				return node{}, field, invalid("operator %s: lower bound %v is above upper bound %v", c.Op, items[0], items[1])
			}
			n.ver, n.hiv = vers[0], vers[1]
		}
		return n, "", nil
	}
	if len(c.Values) > 0 {
		return node{}, "values", invalid("operator %s takes a single value, not values", c.Op)
	}
	if c.Value == nil {
		return node{}, "value", invalid("operator %s needs a value", c.Op)
	}
	var err error
	switch spec.arg {
	case argScalar:
		n.v, err = scalarOperand(c.Value, c.Op)
	case argString:
		n.v, err = stringOperand(c.Value, c.Op)
		if err == nil && spec.code == opContainsFold {
			n.fold = newFoldPattern(n.v.str())
		}
	case argRegex:
		n.v, err = stringOperand(c.Value, c.Op)
		if err == nil {
			n.re, err = compileRegex(n.v.str())
		}
	case argOrdered:
		n.v, err = orderedOperand(c.Value, c.Op)
	case argVersion:
		n.ver, err = versionOperand(c.Value, c.Op)
	case argTime:
		n.t0, err = timeOperand(c.Value, c.Op)
	}
	if err != nil {
		return node{}, "value", err
	}
	return n, "", nil
}

// listOperand returns the list operands of c: Values, or Value when it is a
// list. want is the required length, or -1 for a list of any length, which
// may be empty or absent: encoders drop an empty list tagged omitempty, so
// that a list emptied by a generator reads back as no list at all.
func listOperand(c *Condition, want int) ([]any, string, error) {
	items, field := c.Values, "values"
	if len(items) == 0 {
		field = "value"
		if c.Value == nil {
			if want < 0 {
				return nil, "values", nil
			}
			return nil, "values", invalid("operator %s needs values", c.Op)
		}
		var ok bool
		items, ok = asList(c.Value)
		if !ok {
			return nil, field, invalid("operator %s needs a list, not %s", c.Op, describe(c.Value))
		}
	} else if c.Value != nil {
		return nil, "value", invalid("operator %s takes values, not value", c.Op)
	}
	if want >= 0 && len(items) != want {
		return nil, field, invalid("operator %s needs %d values, got %d", c.Op, want, len(items))
	}
	return items, field, nil
}

// asList returns the elements of a slice or array x.
func asList(x any) ([]any, bool) {
	switch l := x.(type) {
	case []any:
		return l, true
	case []byte: // not a list of numbers by intent
		return nil, false
	}
	rv := reflect.ValueOf(x)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// scalarOperand converts an operand to a string, bool or number Value.
func scalarOperand(x any, op Op) (Value, error) {
	v, ok := toScalar(x)
	if !ok {
		return Value{}, invalid("operator %s needs a string, bool or number, not %s", op, describe(x))
	}
	if v.k == KindFloat64 && math.IsNaN(v.Float64()) {
		return Value{}, invalid("operator %s: NaN never compares equal or ordered", op)
	}
	return v, nil
}

func stringOperand(x any, op Op) (Value, error) {
	v, ok := toScalar(x)
	if !ok || v.k != KindString {
		return Value{}, invalid("operator %s needs a string, not %s", op, describe(x))
	}
	return v, nil
}

func orderedOperand(x any, op Op) (Value, error) {
	v, err := scalarOperand(x, op)
	if err == nil && v.k == KindBool {
		err = invalid("operator %s needs a number or a string, not %s", op, describe(x))
	}
	return v, err
}

func versionOperand(x any, op Op) (version, error) {
	var s string
	switch v, _ := toScalar(x); v.k {
	case KindString:
		s = v.str()
	case KindInt64, KindUint64:
		s = v.String() // a bare major version such as 2
	case KindFloat64:
		return version{}, invalid("operator %s: write the version %v as a quoted string (a YAML number loses digits: 2.10 reads as 2.1)", op, x)
	default:
		return version{}, invalid("operator %s needs a version string, not %s", op, describe(x))
	}
	ver, ok := parseVersion(s)
	if !ok {
		return version{}, invalid("operator %s: %q is not a semantic version", op, s)
	}
	return ver, nil
}

// timeOperand converts the operand of a time operator: a time.Time, or a
// string that parseInstant reads.
func timeOperand(x any, op Op) (instant, error) {
	if t, ok := x.(time.Time); ok {
		return instantOf(t), nil
	}
	v, ok := toScalar(x)
	if !ok || v.k != KindString {
		return instant{}, invalid("operator %s needs a time (an RFC 3339 string or a time.Time), not %s", op, describe(x))
	}
	t, ok := parseInstant(v.str())
	if !ok {
		return instant{}, invalid("operator %s: %q is not an RFC 3339 time such as 2026-01-01T00:00:00Z or a date such as 2026-01-01", op, v.str())
	}
	return t, nil
}

// toScalar converts a string, bool or number of any Go kind (including
// named types, json.Number and float32) to a Value.
func toScalar(x any) (Value, bool) {
	switch v := x.(type) {
	case string:
		return StringValue(v), true
	case bool:
		return BoolValue(v), true
	case int:
		return Int64Value(int64(v)), true
	case int64:
		return Int64Value(v), true
	case uint64:
		return Uint64Value(v), true
	case float64:
		return Float64Value(v), true
	case json.Number:
		return numberValue(string(v))
	case nil:
		return Value{}, false
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.String:
		return StringValue(rv.String()), true
	case reflect.Bool:
		return BoolValue(rv.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Int64Value(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return Uint64Value(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return Float64Value(rv.Float()), true
	}
	return Value{}, false
}

// numberValue parses a JSON number as an int64, a uint64 or a float64, in
// that order of preference.
func numberValue(s string) (Value, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Int64Value(i), true
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return Uint64Value(u), true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return Float64Value(f), true
	}
	return Value{}, false
}

// describe names the type of an operand for error messages.
func describe(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	}
	if v, ok := toScalar(x); ok {
		return v.k.String()
	}
	return fmt.Sprintf("%T", x)
}

// valueSet is the compiled operand list of in and in_ci. Numbers are
// stored by value, so 2, uint64(2) and 2.0 are one element.
type valueSet struct {
	strs     map[string]struct{}
	ints     map[int64]struct{}   // integral numbers that fit int64
	uints    map[uint64]struct{}  // integral numbers above MaxInt64
	floats   map[float64]struct{} // other numbers
	hasTrue  bool
	hasFalse bool
	fold     map[uint64][]string // in_ci: strings by foldHash, one per case-folding class
	seed     maphash.Seed        // of foldHash
}

func (s *valueSet) add(v Value) {
	switch v.k {
	case KindString:
		if s.strs == nil {
			s.strs = make(map[string]struct{})
		}
		s.strs[v.str()] = struct{}{}
	case KindBool:
		if v.n == 1 {
			s.hasTrue = true
		} else {
			s.hasFalse = true
		}
	default:
		i, u, f, which := numKey(&v)
		switch which {
		case 0:
			if s.ints == nil {
				s.ints = make(map[int64]struct{})
			}
			s.ints[i] = struct{}{}
		case 1:
			if s.uints == nil {
				s.uints = make(map[uint64]struct{})
			}
			s.uints[u] = struct{}{}
		default:
			if s.floats == nil {
				s.floats = make(map[float64]struct{})
			}
			s.floats[f] = struct{}{}
		}
	}
}

func (s *valueSet) addFold(str string) {
	if s.fold == nil {
		s.fold = make(map[uint64][]string)
		s.seed = maphash.MakeSeed()
	}
	h := foldHash(s.seed, str)
	if slices.ContainsFunc(s.fold[h], func(c string) bool { return strings.EqualFold(c, str) }) {
		return // "Gold" after "GOLD": a lookup compares each string once
	}
	s.fold[h] = append(s.fold[h], str)
}
