// Package document reads a YAML or JSON document into a yaml.Node tree
// within limits (size, nesting depth, nodes after expanding aliases, one
// document), and walks the tree with the checks every field decoder needs:
// unknown fields (with the nearest valid name), duplicate fields, and kinds.
// Every error is a *fielderr.Error naming the line, column and field path.
//
// It is how strategy.ParsePlan and audience.Parse read their input: both
// walk nodes themselves rather than asking a decoder to fill Go structs, so
// no decoder's message (naming Go types) reaches a user, and no alias is
// expanded more than the limits allow.
package document

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/varroute/varroute/internal/fielderr"
)

// A Limit is a bound and the name of the exported constant that sets it,
// such as "strategy.MaxPlanSize", for messages.
type Limit struct {
	Name  string
	Value int
}

// Limits bounds what Load accepts. A zero Value means no limit.
type Limits struct {
	// Size bounds the input, in bytes.
	Size Limit
	// Depth bounds the nesting of mappings and sequences, counted through
	// aliases; the top mapping is depth 1.
	Depth Limit
	// Nodes bounds the nodes of the document with every alias counted as
	// the nodes it stands for.
	Nodes Limit
}

// Load reads data as JSON if its first non-blank byte is '{' or '[', and
// as YAML otherwise, and returns the top node of its one document, or nil
// if data holds no document (it is blank or only comments). It refuses,
// with a *fielderr.Error naming the limit where one applies: data over
// lim.Size; syntax errors; a second YAML document (at its line and column);
// data after the JSON value; nesting over lim.Depth; more nodes than
// lim.Nodes after expanding aliases; and an alias inside the node it refers
// to. Time and memory are linear in len(data).
func Load(data []byte, lim Limits) (*yaml.Node, error) {
	if lim.Size.Value > 0 && len(data) > lim.Size.Value {
		return nil, &fielderr.Error{Err: fmt.Errorf("%d bytes, more than %s (%d)", len(data), lim.Size.Name, lim.Size.Value)}
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return LoadJSON(data, lim)
	}
	return loadYAML(data, lim)
}

func loadYAML(data []byte, lim Limits) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, nil
		}
		return nil, yamlError(err, lim)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &fielderr.Error{Line: next.Line, Column: next.Column,
			Err: errors.New("a second YAML document; the file must hold one")}
	case err != io.EOF:
		return nil, yamlError(err, lim)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	top := doc.Content[0]
	if err := Check(top, lim); err != nil {
		return nil, err
	}
	return top, nil
}

// yamlError converts an error of the YAML parser (which names a line at
// most, and never a Go type when decoding into a yaml.Node).
func yamlError(err error, lim Limits) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &fielderr.Error{}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				e.Line = n
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	if strings.HasPrefix(msg, "exceeded max depth") && lim.Depth.Value > 0 {
		// The parser's own bound (10,000) is far above ours.
		msg = depthMessage(lim.Depth)
	}
	e.Err = errors.New(msg)
	return e
}

func depthMessage(l Limit) string {
	return fmt.Sprintf("nested deeper than %s (%d)", l.Name, l.Value)
}

func nodesMessage(l Limit) string {
	return fmt.Sprintf("more than %s (%d) nodes, counting each alias as the nodes it stands for", l.Name, l.Value)
}

// Check walks the tree under top, top at depth 1, visiting each anchored
// node once (aliases reuse its memoized size and height), and refuses it if
// it is nested deeper than lim.Depth, expands to more than lim.Nodes nodes,
// or holds an alias inside the node the alias refers to. Load checks what
// it returns; Check is for a tree that another decoder built. Time is
// linear in the nodes of the tree as written.
func Check(top *yaml.Node, lim Limits) error {
	if top == nil {
		return nil
	}
	c := checker{lim: lim, memo: map[*yaml.Node]extent{}}
	_, err := c.extent(top, 1)
	return err
}

// extent is the size (nodes, aliases expanded; never far above the limit,
// as a larger one is refused at once) and height (levels of mappings and
// sequences; 0 for a scalar) of a subtree.
type extent struct {
	size, height int
	done         bool // false while the node is being walked
}

type checker struct {
	lim  Limits
	memo map[*yaml.Node]extent // anchored nodes only
}

func (c *checker) extent(n *yaml.Node, depth int) (extent, error) {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return extent{}, &fielderr.Error{Line: n.Line, Column: n.Column, Err: errors.New("alias to no anchor")}
		}
		x, err := c.extent(n.Alias, depth)
		if err != nil {
			return x, err
		}
		// Re-check at this depth: the anchored node was measured where it
		// was defined.
		if c.lim.Depth.Value > 0 && depth+x.height-1 > c.lim.Depth.Value {
			return x, &fielderr.Error{Line: n.Line, Column: n.Column, Err: errors.New(depthMessage(c.lim.Depth))}
		}
		return x, nil
	}
	if n.Anchor != "" {
		if x, ok := c.memo[n]; ok {
			if !x.done {
				return x, &fielderr.Error{Line: n.Line, Column: n.Column,
					Err: fmt.Errorf("anchor %s holds an alias to itself", fielderr.Quote(n.Anchor))}
			}
			return x, nil
		}
		c.memo[n] = extent{}
	}
	x := extent{size: 1, done: true}
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		if c.lim.Depth.Value > 0 && depth > c.lim.Depth.Value {
			return x, &fielderr.Error{Line: n.Line, Column: n.Column, Err: errors.New(depthMessage(c.lim.Depth))}
		}
		x.height = 1
		for _, k := range n.Content {
			kx, err := c.extent(k, depth+1)
			if err != nil {
				return x, err
			}
			x.size += kx.size
			x.height = max(x.height, kx.height+1)
			if c.lim.Nodes.Value > 0 && x.size > c.lim.Nodes.Value {
				return x, &fielderr.Error{Line: k.Line, Column: k.Column, Err: errors.New(nodesMessage(c.lim.Nodes))}
			}
		}
	}
	if n.Anchor != "" {
		c.memo[n] = x
	}
	return x, nil
}
