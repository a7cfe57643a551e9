package audience

import (
	"errors"

	"github.com/varroute/varroute/internal/fielderr"
)

// An Audience is a named set of conditions on request attributes, such as
// "users in california" or "app version >= 2.3 on iOS". It is plain data with
// yaml and json tags; Compile turns it into a Matcher.
type Audience struct {
	// Name identifies the audience; plans refer to it by name.
	Name string `yaml:"name" json:"name"`
	// Description is free text for people.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Conditions decides which attribute lists belong to the audience.
	// The zero Condition matches every request.
	Conditions Condition `yaml:"conditions" json:"conditions"`
}

// Op names a condition's operator. The package overview lists every
// operator with its operands; Ops returns them all.
type Op string

// Operators. Names ending in _ci compare strings case-insensitively
// (Unicode simple case folding, as strings.EqualFold). Each not_ operator is
// exactly the negation of its positive form, so it holds when the key is
// missing.
const (
	OpEquals          Op = "equals"          // attribute equals Value
	OpNotEquals       Op = "not_equals"      // not equals
	OpEqualsCI        Op = "equals_ci"       // string equals Value, ignoring case
	OpNotEqualsCI     Op = "not_equals_ci"   // not equals_ci
	OpIn              Op = "in"              // attribute equals one of Values
	OpNotIn           Op = "not_in"          // not in
	OpInCI            Op = "in_ci"           // string equals one of Values, ignoring case
	OpNotInCI         Op = "not_in_ci"       // not in_ci
	OpContains        Op = "contains"        // string contains Value
	OpNotContains     Op = "not_contains"    // not contains
	OpContainsCI      Op = "contains_ci"     // string contains Value, ignoring case
	OpNotContainsCI   Op = "not_contains_ci" // not contains_ci
	OpStartsWith      Op = "starts_with"     // string starts with Value
	OpStartsWithCI    Op = "starts_with_ci"  // starts_with, ignoring case
	OpEndsWith        Op = "ends_with"       // string ends with Value
	OpEndsWithCI      Op = "ends_with_ci"    // ends_with, ignoring case
	OpMatches         Op = "matches"         // string matches the RE2 regular expression Value
	OpExists          Op = "exists"          // key is present
	OpNotExists       Op = "not_exists"      // key is absent
	OpLess            Op = "lt"              // attribute < Value
	OpLessOrEqual     Op = "lte"             // attribute <= Value
	OpGreater         Op = "gt"              // attribute > Value
	OpGreaterOrEqual  Op = "gte"             // attribute >= Value
	OpBetween         Op = "between"         // Values[0] <= attribute <= Values[1]
	OpSemverEquals    Op = "semver_eq"       // version == Value
	OpSemverLess      Op = "semver_lt"       // version < Value
	OpSemverLessEq    Op = "semver_lte"      // version <= Value
	OpSemverGreater   Op = "semver_gt"       // version > Value
	OpSemverGreaterEq Op = "semver_gte"      // version >= Value
	OpSemverBetween   Op = "semver_between"  // Values[0] <= version <= Values[1]
)

// Ops returns every valid operator, in the order of the package overview's
// table. The caller owns the returned slice.
func Ops() []Op {
	out := make([]Op, len(opTable))
	for i := range opTable {
		out[i] = opTable[i].name
	}
	return out
}

// A Condition is either a leaf (Key, Op and operands) or a composition (All,
// Any or Not); setting fields of both kinds, or of two compositions, is an
// error. The zero Condition matches everything, and so do empty All and Any
// lists (they cannot be told apart from absent ones in files).
//
// Operands may be any of the values that go.yaml.in/yaml/v3 and
// encoding/json decode (string, bool, int, int64, uint64, float64,
// json.Number, []any, nil) and the Go values people write: every int and
// uint kind, float32, types whose underlying type is one of those, and
// slices of them. Operators that take a list (in, not_in, in_ci, not_in_ci,
// between, semver_between) read Values, or Value when it holds a list.
type Condition struct {
	// All holds when every listed condition holds.
	All []Condition `yaml:"all,omitempty" json:"all,omitempty"`
	// Any holds when at least one listed condition holds.
	Any []Condition `yaml:"any,omitempty" json:"any,omitempty"`
	// Not holds when the condition it points to does not.
	Not *Condition `yaml:"not,omitempty" json:"not,omitempty"`

	// Key names the attribute a leaf tests.
	Key string `yaml:"key,omitempty" json:"key,omitempty"`
	// Op is the leaf's operator.
	Op Op `yaml:"op,omitempty" json:"op,omitempty"`
	// Value is the operand of single-operand operators.
	Value any `yaml:"value,omitempty" json:"value,omitempty"`
	// Values are the operands of list operators.
	Values []any `yaml:"values,omitempty" json:"values,omitempty"`
}

// ErrInvalid is wrapped by every error about a malformed audience.
var ErrInvalid = errors.New("audience: invalid")

// An Error reports a problem in an audience definition or file and where
// it is: the field path, such as "conditions.all[0].op" or
// "spec.audiences[1].conditions.unary[0].operator", and, for parsed input,
// the line and column. Every *Error matches ErrInvalid with errors.Is.
// strategy.Error has the same fields and format.
type Error struct {
	File   string // the file read, or "" (Parse and Compile see no file)
	Line   int    // 1-based line in the input, or 0 when unknown
	Column int    // 1-based column (in characters), or 0 when unknown
	Path   string // field path; "" for the whole input
	Err    error  // what is wrong; wraps ErrInvalid
}

// Error formats e as "file:line:col: path: message", the form editors and
// CI annotations read, leaving out the parts that are unknown. Without a
// file, "audience: " comes first instead: "audience: 3:7: conditions.op:
// unknown operator ...", "audience: conditions.key: missing key".
func (e *Error) Error() string { return (*fielderr.Error)(e).Text("audience") }

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// A Matcher is a compiled Audience. It is immutable and safe for concurrent
// use; Match allocates nothing. A nil *Matcher matches every request.
type Matcher struct {
	name string
	root node
}

// Compile validates a and compiles it into a Matcher: operands are converted
// once, sets become maps and regular expressions are compiled, so that Match
// does no parsing. Errors are *Error with a Path relative to a, such as
// "conditions.all[0].op", and wrap ErrInvalid.
func Compile(a Audience) (*Matcher, error) {
	root, err := compile(&a.Conditions, "conditions")
	if err != nil {
		return nil, err
	}
	return &Matcher{name: a.Name, root: root}, nil
}

// Name returns the name of the compiled audience.
func (m *Matcher) Name() string {
	if m == nil {
		return ""
	}
	return m.name
}

// Match reports whether attrs belong to the audience. It neither retains
// nor modifies attrs and allocates nothing; a nil or empty attrs behaves as
// a request with every key missing.
func (m *Matcher) Match(attrs Attributes) bool {
	if m == nil {
		return true
	}
	return m.root.eval(attrs)
}
