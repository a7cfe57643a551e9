package fielderr

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Find returns the 1-based line and column of the node that path names in
// root, such as "spec.audiences[1].conditions.unary[0].operator" or
// `fallbacks["v2"]` (a quoted key in brackets). It follows aliases and merge
// keys (<<). Where the path leaves the document, it returns the position of
// the deepest node it reached. It returns 0, 0 when root is nil.
func Find(root *yaml.Node, path string) (line, col int) {
	n := root
	if n == nil {
		return 0, 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, seg := range split(path) {
		next := child(n, seg, 0)
		if next == nil {
			break
		}
		n = next
	}
	return n.Line, n.Column
}

// segment is one step of a path: a mapping key, or a sequence index when
// index >= 0.
type segment struct {
	key   string
	index int
}

func split(path string) []segment {
	var segs []segment
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			if len(path) > 1 && path[1] == '"' {
				// A quoted map key: fallbacks["v2"].
				q, err := strconv.QuotedPrefix(path[1:])
				if err != nil {
					return segs
				}
				key, _ := strconv.Unquote(q)
				segs = append(segs, segment{key: key, index: -1})
				path = strings.TrimPrefix(path[1+len(q):], "]")
				continue
			}
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return segs
			}
			i, err := strconv.Atoi(path[1:end])
			if err != nil {
				return segs
			}
			segs = append(segs, segment{index: i})
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

// maxMergeDepth bounds the merge keys followed, in case of a cycle.
const maxMergeDepth = 64

func child(n *yaml.Node, s segment, depth int) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch {
	case s.index >= 0 && n.Kind == yaml.SequenceNode:
		if s.index < len(n.Content) {
			return n.Content[s.index]
		}
	case s.index < 0 && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Value == s.key && k.ShortTag() != "!!merge" {
				return n.Content[i+1]
			}
		}
		if depth >= maxMergeDepth {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].ShortTag() != "!!merge" {
				continue
			}
			v := n.Content[i+1]
			for v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			list := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				list = v.Content
			}
			for _, m := range list {
				if c := child(m, s, depth+1); c != nil {
					return c
				}
			}
		}
	}
	return nil
}

// Position converts a byte offset in data to a 1-based line and column,
// counting columns in characters as the YAML parser does. An offset past
// the end is the end.
func Position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = 1
	start := 0
	for i, c := range before {
		if c == '\n' {
			line++
			start = i + 1
		}
	}
	return line, utf8RuneCount(before[start:]) + 1
}

func utf8RuneCount(b []byte) int {
	n := 0
	for _, c := range b {
		if c&0xC0 != 0x80 {
			n++
		}
	}
	return n
}
