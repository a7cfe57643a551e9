package document

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/varroute/varroute/internal/fielderr"
)

// LoadJSON reads one JSON value into nodes as the YAML parser would build
// them for the same text, with explicit tags: strings are !!str, numbers
// !!int (when they fit 64 bits) or !!float, and true, false and null are
// !!bool and !!null, tagged (yaml.TaggedStyle) so that a string field can
// tell them from strings. It refuses what Load refuses, streaming tokens so
// that a limit stops it before the tree grows past the limit. It returns
// nil for blank data.
func LoadJSON(data []byte, lim Limits) (*yaml.Node, error) {
	if lim.Size.Value > 0 && len(data) > lim.Size.Value {
		return nil, &fielderr.Error{Err: fmt.Errorf("%d bytes, more than %s (%d)", len(data), lim.Size.Name, lim.Size.Value)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	cur := cursor{data: data, line: 1}
	var (
		top   *yaml.Node
		stack []*yaml.Node // open mappings and sequences
		nodes int
	)
	fail := func(off int64, format string, args ...any) error {
		line, col := cur.at(off)
		return &fielderr.Error{Line: line, Column: col, Err: fmt.Errorf(format, args...)}
	}
	for {
		start := tokenStart(data, dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) > 0 {
				return nil, fail(int64(len(data)), "unexpected end of JSON input")
			}
			return top, nil
		}
		if err != nil {
			return nil, jsonError(&cur, data, start, err)
		}
		if top != nil && len(stack) == 0 {
			return nil, fail(start, "data after the JSON value")
		}
		line, col := cur.at(start)
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		nodes++
		if lim.Nodes.Value > 0 && nodes > lim.Nodes.Value {
			return nil, fail(start, "%s", nodesMessage(lim.Nodes))
		}
		n := &yaml.Node{Line: line, Column: col}
		switch v := tok.(type) {
		case json.Delim:
			if lim.Depth.Value > 0 && len(stack)+1 > lim.Depth.Value {
				return nil, fail(start, "%s", depthMessage(lim.Depth))
			}
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			if v == '{' {
				n.Kind, n.Tag = yaml.MappingNode, "!!map"
			}
		case string:
			n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!str", v, yaml.DoubleQuotedStyle
		case json.Number:
			n.Kind, n.Value, n.Style = yaml.ScalarNode, string(v), yaml.TaggedStyle
			n.Tag, err = numberTag(string(v))
			if err != nil {
				return nil, fail(start, "%v", err)
			}
		case bool:
			n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!bool", strconv.FormatBool(v), yaml.TaggedStyle
		case nil:
			n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!null", "null", yaml.TaggedStyle
		}
		if len(stack) == 0 {
			top = n
		} else {
			parent := stack[len(stack)-1]
			parent.Content = append(parent.Content, n)
		}
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			stack = append(stack, n)
		}
	}
}

// numberTag returns the tag of a JSON number: !!int if it is an integer
// that fits in 64 bits, else !!float, refusing one out of float64's range.
func numberTag(s string) (string, error) {
	if !strings.ContainsAny(s, ".eE") {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return "!!int", nil
		}
		if _, err := strconv.ParseUint(s, 10, 64); err == nil {
			return "!!int", nil
		}
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return "", fmt.Errorf("number %s is out of range", s)
	}
	return "!!float", nil
}

// tokenStart returns the offset of the token that starts at or after off:
// the first byte that is not white space or a separator.
func tokenStart(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// jsonError converts an error of the JSON decoder, positioned at its
// offset.
func jsonError(cur *cursor, data []byte, start int64, err error) error {
	off := start
	var se *json.SyntaxError
	msg := err.Error()
	switch {
	case errors.As(err, &se):
		off = max(se.Offset-1, start) // Offset is just past the bad byte
	case errors.Is(err, io.ErrUnexpectedEOF):
		off, msg = int64(len(data)), "unexpected end of JSON input"
	}
	line, col := cur.at(off)
	return &fielderr.Error{Line: line, Column: col, Err: errors.New(msg)}
}

// cursor converts increasing byte offsets to lines and columns in time
// linear in the data overall.
type cursor struct {
	data []byte
	off  int64 // offset reached
	line int   // line at off, from 1
	col  int   // characters between the start of the line and off
}

// at returns the 1-based line and column (in characters) of off. Offsets
// must not decrease between calls; for one that does it starts over.
func (c *cursor) at(off int64) (line, col int) {
	off = min(off, int64(len(c.data)))
	if off < c.off {
		c.off, c.line, c.col = 0, 1, 0
	}
	for ; c.off < off; c.off++ {
		switch b := c.data[c.off]; {
		case b == '\n':
			c.line++
			c.col = 0
		case b&0xC0 != 0x80: // not a UTF-8 continuation byte
			c.col++
		}
	}
	return c.line, c.col + 1
}
