// Package yamlpos finds where a field path points in a parsed YAML (or JSON)
// document, so validation errors can name a line and column.
package yamlpos

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Find returns the 1-based line and column of the node that path names in
// root, such as "spec.audiences[1].conditions.unary[0].operator". Where the
// path leaves the document, it returns the position of the deepest node it
// reached. It returns 0, 0 when root is nil.
func Find(root *yaml.Node, path string) (line, col int) {
	n := root
	if n == nil {
		return 0, 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, seg := range split(path) {
		next := child(n, seg)
		if next == nil {
			break
		}
		n = next
	}
	return n.Line, n.Column
}

// segment is one step of a path: a mapping key, or a sequence index when
// key is empty.
type segment struct {
	key   string
	index int
}

func split(path string) []segment {
	var segs []segment
	for path != "" {
		switch {
		case path[0] == '.':
			path = path[1:]
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return segs
			}
			i, err := strconv.Atoi(path[1:end])
			if err != nil {
				// A map key written in brackets: fallbacks["v2"].
				segs = append(segs, segment{key: strings.Trim(path[1:end], `"`), index: -1})
			} else {
				segs = append(segs, segment{index: i})
			}
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			segs = append(segs, segment{key: path[:end], index: -1})
			path = path[end:]
		}
	}
	return segs
}

func child(n *yaml.Node, s segment) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch {
	case s.key == "" && n.Kind == yaml.SequenceNode:
		if s.index >= 0 && s.index < len(n.Content) {
			return n.Content[s.index]
		}
	case s.key != "" && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == s.key {
				return n.Content[i+1]
			}
		}
	}
	return nil
}
