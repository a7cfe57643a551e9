package main

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// position returns the 1-based line and column of the node that a field
// path such as `rules[2].split[0].weight` or `fallbacks["v2"]` names in a
// YAML or JSON document, or of the deepest node on the way if the path
// leaves the document; 0, 0 for a nil root.
func position(root *yaml.Node, path string) (line, col int) {
	n := root
	if n == nil {
		return 0, 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for path != "" && n != nil {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		var next *yaml.Node
		switch {
		case path[0] == '.':
			path = path[1:]
			continue
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return n.Line, n.Column
			}
			seg := path[1:end]
			path = path[end+1:]
			if i, err := strconv.Atoi(seg); err == nil {
				if n.Kind == yaml.SequenceNode && i >= 0 && i < len(n.Content) {
					next = n.Content[i]
				}
			} else {
				if s, err := strconv.Unquote(seg); err == nil {
					seg = s
				}
				next = mappingValue(n, seg, true)
			}
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			next = mappingValue(n, path[:end], false)
			path = path[end:]
		}
		if next == nil {
			break
		}
		n = next
	}
	return n.Line, n.Column
}

// mappingValue returns the value under key in mapping n, or for a map key
// written in brackets (a fallbacks entry) the key node itself, which is
// where an editor should point; nil if there is none.
func mappingValue(n *yaml.Node, key string, keyNode bool) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			if keyNode {
				return n.Content[i]
			}
			return n.Content[i+1]
		}
	}
	return nil
}
