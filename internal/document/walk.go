package document

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/varroute/varroute/internal/fielderr"
)

// Resolve follows aliases to the node they stand for.
func Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n is absent or null.
func IsNull(n *yaml.Node) bool {
	n = Resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Describe names what n is, for messages: "a mapping", "a list", "null",
// "the string \"ten\"", "the number 3", "true".
func Describe(n *yaml.Node) string {
	n = Resolve(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind != yaml.ScalarNode:
		return "an empty node"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool":
		return n.Value
	case "!!int", "!!float":
		return "the number " + cut(n.Value)
	case "!!str":
		return "the string " + fielderr.Quote(n.Value)
	}
	return "the value " + fielderr.Quote(n.Value)
}

func cut(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Errorf returns an *fielderr.Error for path at the position of n.
func Errorf(n *yaml.Node, path, format string, args ...any) *fielderr.Error {
	e := &fielderr.Error{Path: path, Err: fmt.Errorf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// Join appends a mapping key, or a path relative to path, to a path:
// Join("rules[0]", "split") is rules[0].split, Join("all", "[1].op") is
// all[1].op, and an empty path or key is left out.
func Join(path, key string) string {
	switch {
	case path == "":
		return key
	case key == "":
		return path
	case key[0] == '[':
		return path + key
	}
	return path + "." + key
}

// Index appends a sequence index to a path: Index("rules", 2).
func Index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// A Field is one key of a mapping and its value.
type Field struct {
	Key   *yaml.Node // the key, for its position
	Name  string     // the key's text
	Value *yaml.Node // the value, aliases resolved
	Path  string     // the value's path
}

// smallMapping is the size below which duplicates are found by scanning
// rather than with a map.
const smallMapping = 16

// Fields calls f for each field of mapping n at path, in order, after the
// fields merged in with YAML merge keys (<<), which explicit fields
// override. It refuses a node that is not a mapping, a key that is not a
// scalar, a duplicate key, and a key not in valid: unless skipUnknown, with
// the nearest valid name (see fielderr.UnknownField); with skipUnknown, such
// fields are passed over. A nil valid accepts every key. Keys are matched
// exactly (case matters).
func Fields(n *yaml.Node, path string, valid []string, skipUnknown bool, f func(Field) error) error {
	return fields(n, path, valid, skipUnknown, Join, f)
}

// Entries is Fields for a mapping whose keys are data, such as a map from
// variant to variant: every key is accepted, and a value's path is the key
// quoted in brackets, such as fallbacks["v2"].
func Entries(n *yaml.Node, path string, f func(Field) error) error {
	return fields(n, path, nil, false, Key, f)
}

// Key appends a quoted map key to a path: Key("fallbacks", "v2") is
// fallbacks["v2"].
func Key(path, key string) string { return path + "[" + strconv.Quote(key) + "]" }

func fields(n *yaml.Node, path string, valid []string, skipUnknown bool, pathOf func(string, string) string, f func(Field) error) error {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return Errorf(n, path, "want a mapping, not %s", Describe(n))
	}
	pairs, err := pairs(n, path, 0)
	if err != nil {
		return err
	}
	var seen map[string]bool
	if len(pairs) > smallMapping {
		seen = make(map[string]bool, len(pairs))
	}
	for i, p := range pairs {
		name := p[0].Value
		fpath := pathOf(path, name)
		if valid != nil && !contains(valid, name) {
			if skipUnknown {
				continue
			}
			return &fielderr.Error{Line: p[0].Line, Column: p[0].Column, Path: fpath, Err: fielderr.UnknownField(name, valid)}
		}
		dup := false
		if seen != nil {
			dup = seen[name]
			seen[name] = true
		} else {
			for _, q := range pairs[:i] {
				if q[0].Value == name {
					dup = true
					break
				}
			}
		}
		if dup {
			return &fielderr.Error{Line: p[0].Line, Column: p[0].Column, Path: fpath, Err: fmt.Errorf("duplicate field %s", fielderr.Quote(name))}
		}
		if err := f(Field{Key: p[0], Name: name, Value: Resolve(p[1]), Path: fpath}); err != nil {
			return err
		}
	}
	return nil
}

// pairs returns the key and value nodes of mapping n, the merged ones (of
// keys not set explicitly) first.
func pairs(n *yaml.Node, path string, depth int) ([][2]*yaml.Node, error) {
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	var merged [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, Errorf(k, path, "want a string key, not %s", Describe(k))
		}
		if k.ShortTag() != "!!merge" {
			out = append(out, [2]*yaml.Node{k, v})
			continue
		}
		if depth >= maxMergeDepth {
			return nil, Errorf(k, path, "merge keys nested more than %d deep", maxMergeDepth)
		}
		v = Resolve(v)
		list := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			list = v.Content
		}
		for _, m := range list {
			m = Resolve(m)
			if m.Kind != yaml.MappingNode {
				return nil, Errorf(m, path, "merge key (<<) wants a mapping or a list of mappings, not %s", Describe(m))
			}
			mp, err := pairs(m, path, depth+1)
			if err != nil {
				return nil, err
			}
			merged = append(merged, mp...)
		}
	}
	if len(merged) == 0 {
		return out, nil
	}
	// Explicit keys win, then earlier merged mappings over later ones.
	set := make(map[string]bool, len(out)+len(merged))
	for _, p := range out {
		set[p[0].Value] = true
	}
	var keep [][2]*yaml.Node
	for _, p := range merged {
		if !set[p[0].Value] {
			set[p[0].Value] = true
			keep = append(keep, p)
		}
	}
	return append(keep, out...), nil
}

// maxMergeDepth bounds merge keys inside merged mappings.
const maxMergeDepth = 16

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Items calls f for each element of sequence n at path, aliases resolved.
// A null n has no elements; any other node that is not a sequence is
// refused.
func Items(n *yaml.Node, path string, f func(i int, v *yaml.Node, path string) error) error {
	n = Resolve(n)
	if IsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return Errorf(n, path, "want a list, not %s", Describe(n))
	}
	for i, v := range n.Content {
		if err := f(i, Resolve(v), Index(path, i)); err != nil {
			return err
		}
	}
	return nil
}

// Text reads a string field: a string, or a plain YAML scalar as written
// (so "name: 2026" is the string "2026"). Null is "". A JSON number, true,
// false, a tagged YAML scalar that is not a string, a mapping or a list is
// refused.
func Text(n *yaml.Node, path string) (string, error) {
	n = Resolve(n)
	switch {
	case IsNull(n):
		return "", nil
	case n.Kind != yaml.ScalarNode:
		return "", Errorf(n, path, "want a string, not %s", Describe(n))
	case n.ShortTag() == "!!str" || n.Style&yaml.TaggedStyle == 0:
		// A plain YAML scalar that resolved to another type (an int, a
		// bool, a float) reads as written.
		return n.Value, nil
	}
	return "", Errorf(n, path, "want a string, not %s", Describe(n))
}

// Number reads a numeric field: an int or float scalar (YAML's 1e3, .inf,
// 0x1F and the like included). A string, even "10", is refused. Null is
// refused too: a field that may be left out is left out, not null.
func Number(n *yaml.Node, path string) (float64, error) {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return 0, Errorf(n, path, "want a number, not %s", Describe(n))
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
	default:
		return 0, Errorf(n, path, "want a number, not %s", Describe(n))
	}
	if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
		return f, nil
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		return 0, Errorf(n, path, "want a number, not %s", Describe(n))
	}
	return f, nil
}
