package audience

import (
	"errors"
	"fmt"
	"strconv"
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

// Op names a condition's operator.
type Op string

// Operators. (The full set is documented in the package overview.)
const (
	OpEquals Op = "equals"
)

// A Condition is either a leaf (Key, Op and operands) or a composition (All,
// Any or Not). The zero Condition matches everything.
type Condition struct {
	All []Condition `yaml:"all,omitempty" json:"all,omitempty"`
	Any []Condition `yaml:"any,omitempty" json:"any,omitempty"`
	Not *Condition  `yaml:"not,omitempty" json:"not,omitempty"`

	Key    string `yaml:"key,omitempty" json:"key,omitempty"`
	Op     Op     `yaml:"op,omitempty" json:"op,omitempty"`
	Value  any    `yaml:"value,omitempty" json:"value,omitempty"`
	Values []any  `yaml:"values,omitempty" json:"values,omitempty"`
}

// ErrInvalid is wrapped by every error about a malformed audience.
var ErrInvalid = errors.New("audience: invalid")

// An Error reports a problem at a field path of an audience definition or
// file, such as "conditions.all[0].op" or
// "spec.audiences[1].conditions.unary[0].operator".
type Error struct {
	Path   string // field path; "" for the whole input
	Line   int    // 1-based line in the file, or 0 when unknown
	Column int    // 1-based column in the file, or 0 when unknown
	Err    error  // what is wrong; wraps ErrInvalid
}

func (e *Error) Error() string {
	pos := ""
	if e.Line > 0 {
		pos = strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Column) + ": "
	}
	if e.Path == "" {
		return "audience: " + pos + e.Err.Error()
	}
	return "audience: " + pos + e.Path + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// A Matcher is a compiled Audience. It is immutable and safe for concurrent
// use; Match allocates nothing.
type Matcher struct {
	name string
	root node
}

type node struct {
	kind  uint8 // 0 true, 1 all, 2 any, 3 not, 4 equals
	kids  []node
	key   string
	value string
}

// Compile validates a and compiles it into a Matcher. Errors are *Error and
// wrap ErrInvalid.
func Compile(a Audience) (*Matcher, error) {
	root, err := compile(a.Conditions, "conditions")
	if err != nil {
		return nil, err
	}
	return &Matcher{name: a.Name, root: root}, nil
}

func compile(c Condition, path string) (node, error) {
	switch {
	case len(c.All) > 0 || len(c.Any) > 0:
		kind, list, field := uint8(1), c.All, "all"
		if len(c.Any) > 0 {
			kind, list, field = 2, c.Any, "any"
		}
		n := node{kind: kind}
		for i, k := range list {
			kn, err := compile(k, fmt.Sprintf("%s.%s[%d]", path, field, i))
			if err != nil {
				return node{}, err
			}
			n.kids = append(n.kids, kn)
		}
		return n, nil
	case c.Not != nil:
		kn, err := compile(*c.Not, path+".not")
		if err != nil {
			return node{}, err
		}
		return node{kind: 3, kids: []node{kn}}, nil
	case c.Key == "" && c.Op == "":
		return node{}, nil
	case c.Op == OpEquals:
		return node{kind: 4, key: c.Key, value: fmt.Sprint(c.Value)}, nil
	}
	return node{}, &Error{Path: path + ".op", Err: fmt.Errorf("%w: unknown operator %q", ErrInvalid, c.Op)}
}

// Name returns the name of the compiled audience.
func (m *Matcher) Name() string { return m.name }

// Match reports whether attrs belong to the audience.
func (m *Matcher) Match(attrs Attributes) bool { return m.root.match(attrs) }

func (n *node) match(attrs Attributes) bool {
	switch n.kind {
	case 0:
		return true
	case 1:
		for i := range n.kids {
			if !n.kids[i].match(attrs) {
				return false
			}
		}
		return true
	case 2:
		for i := range n.kids {
			if n.kids[i].match(attrs) {
				return true
			}
		}
		return false
	case 3:
		return !n.kids[0].match(attrs)
	default:
		v, ok := attrs.Get(n.key)
		return ok && v.k == KindString && v.s == n.value
	}
}
