package audience

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/varroute/varroute/internal/document"
	"github.com/varroute/varroute/internal/fielderr"
)

// Qwak (JFrog ML) audience operator names, as written in Qwak audience
// files.
const (
	QwakExactMatch    = "UNARY_OPERATOR_TYPE_EXACT_MATCH"
	QwakSafeRegex     = "UNARY_OPERATOR_TYPE_SAFE_REGEX_MATCH"
	QwakPresentMatch  = "UNARY_OPERATOR_TYPE_PRESENT_MATCH"
	QwakPrefixMatch   = "UNARY_OPERATOR_TYPE_PREFIX_MATCH"
	QwakSuffixMatch   = "UNARY_OPERATOR_TYPE_SUFFIX_MATCH"
	QwakContainsMatch = "UNARY_OPERATOR_TYPE_CONTAINS_MATCH"
	QwakRangeMatch    = "BINARY_OPERATOR_TYPE_RANGE_MATCH"
)

// Limits of Parse and of Condition's UnmarshalYAML and UnmarshalJSON. Each
// error that reports one names the constant and its value.
const (
	// MaxSize is the largest input Parse reads, in bytes (1 MiB).
	MaxSize = 1 << 20
	// MaxNodes bounds the YAML or JSON nodes of one input, counting each
	// alias as all the nodes it stands for, so that aliases cannot expand a
	// small file into an enormous one (a 1 KB "billion laughs" file).
	MaxNodes = 1 << 18
	// MaxDepth bounds the nesting of mappings and lists in one input (the
	// top mapping is level 1), and so the nesting of conditions.
	MaxDepth = 64
)

// limits are the document limits of Parse and of the decoders of Condition.
var limits = document.Limits{
	Size:  document.Limit{Name: "audience.MaxSize", Value: MaxSize},
	Depth: document.Limit{Name: "audience.MaxDepth", Value: MaxDepth},
	Nodes: document.Limit{Name: "audience.MaxNodes", Value: MaxNodes},
}

// Parse reads audiences from a YAML or JSON document (input whose first
// non-blank byte is '{' or '[' is read as JSON) in either of two schemas,
// and validates each one as Compile does.
//
// The varroute schema has a top-level "audiences" list of Audience values,
// using Audience's yaml field names; a "conditions" (or all, any, not) that
// is a list means all of its elements:
//
//	audiences:
//	  - name: premium-eu
//	    description: EU accounts on the premium plan
//	    conditions:
//	      - {key: region, op: in, values: [de, fr, it]}
//	      - {key: plan, op: equals_ci, value: premium}
//
// The Qwak (JFrog ML) schema is read as Qwak writes it: "api_version: v1",
// then spec.audiences[] with name, description and conditions.unary[]
// (key, operator, operand) and conditions.binary[] (key, operator,
// first_operand, second_operand); all conditions of an audience must hold.
// The Qwak operators map to:
//
//	UNARY_OPERATOR_TYPE_EXACT_MATCH       equals, operand read as a string
//	UNARY_OPERATOR_TYPE_SAFE_REGEX_MATCH  matches, anchored: the whole value must match
//	UNARY_OPERATOR_TYPE_PRESENT_MATCH     exists (not_exists if operand is false)
//	UNARY_OPERATOR_TYPE_PREFIX_MATCH      starts_with
//	UNARY_OPERATOR_TYPE_SUFFIX_MATCH      ends_with
//	UNARY_OPERATOR_TYPE_CONTAINS_MATCH    contains
//	BINARY_OPERATOR_TYPE_RANGE_MATCH      between, inclusive, numeric operands
//
// Unary operands are strings in Qwak (header values), so "operand: 42"
// matches the string "42"; range operands are numbers.
//
// Unknown fields are errors in our own schema (with the nearest valid name:
// `unknown field "nott" (did you mean "not"?)`) and inside Qwak
// conditions; at the metadata levels of a Qwak file (the top, spec and each
// audience), fields of Qwak's own, such as ids and timestamps, are skipped
// so that exported files load as they are. Duplicate keys, duplicate
// audience names, audiences without a name, a second YAML document, and
// input over MaxSize, MaxNodes or MaxDepth are errors. Every error is an
// *Error wrapping ErrInvalid whose Path names the field (such as
// "spec.audiences[1].conditions.unary[0].operator") and whose Line and
// Column give its position in data. Time and memory are linear in
// len(data).
func Parse(data []byte) ([]Audience, error) {
	top, err := document.Load(data, limits)
	if err != nil {
		return nil, toError(err)
	}
	if top == nil {
		return nil, &Error{Err: invalid("empty document")}
	}
	p := &parser{root: top}
	if top.Kind != yaml.MappingNode {
		return nil, p.errorf("", "want a mapping with audiences (varroute) or api_version and spec (Qwak)")
	}
	var out []Audience
	if lookup(top, "api_version") != nil || lookup(top, "spec") != nil {
		out, err = p.qwakFile(top)
	} else {
		out, err = p.ownFile(top)
	}
	if err == nil {
		err = p.check(out)
	}
	if err != nil {
		return nil, toError(err)
	}
	return out, nil
}

// toError converts the errors of the walk to *Error wrapping ErrInvalid.
func toError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var fe *fielderr.Error
	if errors.As(err, &fe) {
		return &Error{File: fe.File, Line: fe.Line, Column: fe.Column, Path: fe.Path, Err: invalid("%w", fe.Err)}
	}
	return &Error{Err: invalid("%w", err)}
}

type parser struct {
	root *yaml.Node // where paths start
}

// errorf returns an *Error for path, positioned by its path in the document.
func (p *parser) errorf(path, format string, args ...any) *Error {
	line, col := fielderr.Find(p.root, path)
	return &Error{Path: path, Line: line, Column: col, Err: invalid(format, args...)}
}

// wrap positions an error that compileLeaf or Compile returned.
func (p *parser) wrap(path string, err error) *Error {
	line, col := fielderr.Find(p.root, path)
	var e *Error
	if errors.As(err, &e) {
		err = e.Err
	}
	return &Error{Path: path, Line: line, Column: col, Err: err}
}

// lookup returns the value of key in mapping n, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return document.Resolve(n.Content[i+1])
		}
	}
	return nil
}

// fields walks mapping n at path, calling f for each key (checked against
// allowed, and for duplicates).
func (p *parser) fields(n *yaml.Node, path string, allowed []string, f func(key string, v *yaml.Node, vpath string) error) error {
	return document.Fields(n, path, allowed, false, func(fd document.Field) error { return f(fd.Name, fd.Value, fd.Path) })
}

// metaFields is fields for the metadata levels of a Qwak file (the top, spec
// and each audience), where exported files carry fields of their own (ids,
// timestamps, environments): unknown keys are skipped, not refused, so that
// Qwak files load as they are. Inside conditions every key is checked.
func (p *parser) metaFields(n *yaml.Node, path string, allowed []string, f func(key string, v *yaml.Node, vpath string) error) error {
	return document.Fields(n, path, allowed, true, func(fd document.Field) error { return f(fd.Name, fd.Value, fd.Path) })
}

// items walks sequence n at path.
func (p *parser) items(n *yaml.Node, path string, f func(i int, v *yaml.Node, ipath string) error) error {
	return document.Items(n, path, f)
}

var (
	isNull   = document.IsNull
	nodeKind = document.Describe
	join     = document.Join
)

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// text reads a string field; null reads as "".
func (p *parser) text(n *yaml.Node, path string) (string, error) {
	return document.Text(n, path)
}

// operand decodes a scalar, or a list of scalars, to Go values as
// go.yaml.in/yaml/v3 does (string, bool, int, uint64, float64, nil).
func (p *parser) operand(n *yaml.Node, path string) (any, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		var x any
		if err := n.Decode(&x); err != nil {
			return nil, p.errorf(path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return x, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		err := p.items(n, path, func(_ int, v *yaml.Node, ipath string) error {
			if v.Kind != yaml.ScalarNode {
				return p.errorf(ipath, "want a scalar, not %s", nodeKind(v))
			}
			x, err := p.operand(v, ipath)
			list = append(list, x)
			return err
		})
		return list, err
	}
	return nil, p.errorf(path, "want a scalar or a list, not %s", nodeKind(n))
}

// ownFile reads the varroute schema.
func (p *parser) ownFile(top *yaml.Node) ([]Audience, error) {
	var out []Audience
	err := p.fields(top, "", []string{"audiences"}, func(_ string, v *yaml.Node, path string) error {
		if isNull(v) {
			return nil
		}
		return p.items(v, path, func(_ int, v *yaml.Node, apath string) error {
			var a Audience
			err := p.fields(v, apath, []string{"name", "description", "conditions"}, func(k string, v *yaml.Node, fpath string) error {
				var err error
				switch k {
				case "name":
					a.Name, err = p.text(v, fpath)
				case "description":
					a.Description, err = p.text(v, fpath)
				case "conditions":
					a.Conditions, err = p.condition(v, fpath)
				}
				return err
			})
			out = append(out, a)
			return err
		})
	})
	if err == nil && out == nil {
		err = p.errorf("", "no audiences")
	}
	return out, err
}

// condition reads a condition of the varroute schema at path, compiling
// leaves so that errors carry the file's own path.
func (p *parser) condition(n *yaml.Node, path string) (Condition, error) {
	var c Condition
	switch {
	case isNull(n):
		return c, nil
	case n.Kind == yaml.SequenceNode:
		list, err := p.conditions(n, path)
		c.All = list
		return c, err
	}
	err := p.fields(n, path, []string{"all", "any", "not", "key", "op", "value", "values"}, func(k string, v *yaml.Node, fpath string) error {
		var err error
		switch k {
		case "all":
			c.All, err = p.conditions(v, fpath)
		case "any":
			c.Any, err = p.conditions(v, fpath)
		case "not":
			var x Condition
			x, err = p.condition(v, fpath)
			c.Not = &x
		case "key":
			c.Key, err = p.text(v, fpath)
		case "op":
			var s string
			s, err = p.text(v, fpath)
			c.Op = Op(s)
		case "value":
			c.Value, err = p.operand(v, fpath)
		case "values":
			var x any
			if x, err = p.operand(v, fpath); err == nil {
				l, ok := x.([]any)
				if !ok {
					return p.errorf(fpath, "want a list")
				}
				c.Values = l
			}
		}
		return err
	})
	if err != nil {
		return c, err
	}
	// Compile this level alone (children were checked on the way down) to
	// report mixed fields and bad leaves at the file's path.
	shallow := Condition{Key: c.Key, Op: c.Op, Value: c.Value, Values: c.Values}
	if len(c.All) > 0 {
		shallow.All = []Condition{{}}
	}
	if len(c.Any) > 0 {
		shallow.Any = []Condition{{}}
	}
	if c.Not != nil {
		shallow.Not = &Condition{}
	}
	if _, err := compile(&shallow, path); err != nil {
		var e *Error
		errors.As(err, &e)
		return c, p.wrap(strings.TrimPrefix(e.Path, "."), e.Err)
	}
	return c, nil
}

func (p *parser) conditions(n *yaml.Node, path string) ([]Condition, error) {
	var list []Condition
	err := p.items(n, path, func(_ int, v *yaml.Node, ipath string) error {
		c, err := p.condition(v, ipath)
		list = append(list, c)
		return err
	})
	return list, err
}

// qwakFile reads the Qwak schema.
func (p *parser) qwakFile(top *yaml.Node) ([]Audience, error) {
	var out []Audience
	version := ""
	err := p.metaFields(top, "", []string{"api_version", "spec"}, func(k string, v *yaml.Node, path string) error {
		if k == "api_version" {
			var err error
			if version, err = p.text(v, path); err != nil {
				return err
			}
			if version != "v1" {
				return p.errorf(path, "unsupported api_version %q (want v1)", version)
			}
			return nil
		}
		return p.metaFields(v, path, []string{"audiences"}, func(_ string, v *yaml.Node, path string) error {
			return p.items(v, path, func(_ int, v *yaml.Node, apath string) error {
				a, err := p.qwakAudience(v, apath)
				out = append(out, a)
				return err
			})
		})
	})
	if err != nil {
		return nil, err
	}
	if version == "" {
		return nil, p.errorf("api_version", "missing api_version (want v1)")
	}
	if out == nil {
		return nil, p.errorf("spec.audiences", "no audiences")
	}
	return out, nil
}

func qwakUnary() []string {
	return []string{QwakExactMatch, QwakSafeRegex, QwakPresentMatch, QwakPrefixMatch, QwakSuffixMatch, QwakContainsMatch}
}

func (p *parser) qwakAudience(n *yaml.Node, path string) (Audience, error) {
	var a Audience
	var all []Condition
	err := p.metaFields(n, path, []string{"name", "description", "conditions"}, func(k string, v *yaml.Node, fpath string) error {
		var err error
		switch k {
		case "name":
			a.Name, err = p.text(v, fpath)
		case "description":
			a.Description, err = p.text(v, fpath)
		case "conditions":
			if isNull(v) {
				return nil
			}
			err = p.fields(v, fpath, []string{"unary", "binary"}, func(k string, v *yaml.Node, lpath string) error {
				return p.items(v, lpath, func(_ int, v *yaml.Node, cpath string) error {
					c, err := p.qwakCondition(v, cpath, k == "binary")
					all = append(all, c)
					return err
				})
			})
		}
		return err
	})
	if len(all) > 0 {
		a.Conditions.All = all
	}
	return a, err
}

func (p *parser) qwakCondition(n *yaml.Node, path string, binary bool) (Condition, error) {
	var c Condition
	allowed, ops := []string{"key", "operator", "operand"}, qwakUnary()
	if binary {
		allowed, ops = []string{"key", "operator", "first_operand", "second_operand"}, []string{QwakRangeMatch}
	}
	var op string
	var operand, first, second *yaml.Node
	err := p.fields(n, path, allowed, func(k string, v *yaml.Node, fpath string) error {
		var err error
		switch k {
		case "key":
			c.Key, err = p.text(v, fpath)
		case "operator":
			op, err = p.text(v, fpath)
		case "operand":
			operand = v
		case "first_operand":
			first = v
		case "second_operand":
			second = v
		}
		return err
	})
	if err != nil {
		return c, err
	}
	if c.Key == "" {
		return c, p.errorf(join(path, "key"), "missing key")
	}
	if op == "" {
		return c, p.errorf(join(path, "operator"), "missing operator (valid: %s)", strings.Join(ops, ", "))
	}
	if !contains(ops, op) {
		return c, p.errorf(join(path, "operator"), "unknown operator %q (valid: %s)", op, strings.Join(ops, ", "))
	}
	opath := join(path, "operand")
	switch op {
	case QwakRangeMatch:
		var bounds [2]any
		for i, b := range [2]*yaml.Node{first, second} {
			bpath := join(path, [2]string{"first_operand", "second_operand"}[i])
			if isNull(b) {
				return c, p.errorf(bpath, "missing %s", bpath[strings.LastIndexByte(bpath, '.')+1:])
			}
			if b.Kind != yaml.ScalarNode {
				return c, p.errorf(bpath, "want a number, not %s", nodeKind(b))
			}
			v, ok := numberValue(b.Value)
			if !ok {
				return c, p.errorf(bpath, "want a number, not %q", b.Value)
			}
			bounds[i] = valueOperand(v)
		}
		c.Op, c.Values = OpBetween, bounds[:]
	case QwakPresentMatch:
		c.Op = OpExists
		if !isNull(operand) {
			if operand.Kind != yaml.ScalarNode {
				return c, p.errorf(opath, "want true or false, not %s", nodeKind(operand))
			}
			switch strings.ToLower(operand.Value) {
			case "true", "":
			case "false":
				c.Op = OpNotExists
			default:
				return c, p.errorf(opath, "want true or false, not %q", operand.Value)
			}
		}
	default:
		if isNull(operand) {
			return c, p.errorf(opath, "missing operand")
		}
		if operand.Kind != yaml.ScalarNode {
			return c, p.errorf(opath, "want a string, not %s", nodeKind(operand))
		}
		s := operand.Value
		switch op {
		case QwakExactMatch:
			c.Op = OpEquals
		case QwakSafeRegex:
			c.Op, s = OpMatches, "^(?:"+s+")$"
		case QwakPrefixMatch:
			c.Op = OpStartsWith
		case QwakSuffixMatch:
			c.Op = OpEndsWith
		case QwakContainsMatch:
			c.Op = OpContains
		}
		c.Value = s
	}
	if _, field, err := compileLeaf(&c); err != nil {
		switch field {
		case "op":
			field = "operator"
		case "values", "values[0]":
			field = "first_operand"
		case "values[1]":
			field = "second_operand"
		case "value":
			field = "operand"
		}
		return c, p.wrap(join(path, field), err)
	}
	return c, nil
}

// valueOperand turns a numeric Value back into a plain Go operand.
func valueOperand(v Value) any {
	switch v.k {
	case KindInt64:
		return v.Int64()
	case KindUint64:
		return v.Uint64()
	}
	return v.Float64()
}

// check compiles every audience and refuses nameless and duplicate ones.
func (p *parser) check(list []Audience) error {
	base := "audiences"
	if lookup(p.root, "spec") != nil {
		base = "spec.audiences"
	}
	seen := make(map[string]int, len(list))
	for i, a := range list {
		path := base + "[" + strconv.Itoa(i) + "]"
		if a.Name == "" {
			return p.errorf(join(path, "name"), "missing name")
		}
		if j, ok := seen[a.Name]; ok {
			return p.errorf(join(path, "name"), "duplicate audience name %q (also at %s[%d])", a.Name, base, j)
		}
		seen[a.Name] = i
		if _, err := Compile(a); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return p.wrap(path+"."+e.Path, e.Err)
			}
			return p.wrap(path, err)
		}
	}
	return nil
}

// UnmarshalYAML decodes a condition written as a mapping, or as a list
// meaning all of its elements, as Parse reads the conditions of its own
// schema: unknown and duplicate fields are errors, and so are leaves that
// Compile would refuse. It refuses a node deeper than MaxDepth or larger
// than MaxNodes with its aliases expanded, and never asks the YAML decoder
// to expand an alias. Errors are *Error with a Path relative to the
// condition (such as "all[0].nott") and the Line and Column of the node.
func (c *Condition) UnmarshalYAML(n *yaml.Node) error {
	if err := document.Check(n, limits); err != nil {
		return toError(err)
	}
	p := &parser{root: n}
	x, err := p.condition(document.Resolve(n), "")
	if err != nil {
		return toError(err)
	}
	*c = x
	return nil
}

// UnmarshalJSON decodes a condition written as an object, or as an array
// meaning all of its elements, with the checks and limits of UnmarshalYAML,
// in time linear in len(data). Line and Column of errors count from the
// start of data, the condition's own JSON. A JSON null leaves c unchanged.
func (c *Condition) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	n, err := document.LoadJSON(data, limits)
	if err != nil {
		return toError(err)
	}
	return c.UnmarshalYAML(n)
}
