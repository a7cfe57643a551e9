package strategy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/varroute/varroute/internal/yamlpos"
)

// ParsePlan parses a plan written in YAML or JSON (input whose first
// non-blank byte is '{' is read as JSON) and validates it. Unknown fields are
// errors. Every error is an *Error that names the field path and, where the
// input tells, the line and column.
func ParsePlan(data []byte) (Plan, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return Plan{}, &Error{Err: errors.New("empty plan file")}
	}
	var p Plan
	if trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return Plan{}, jsonError(data, dec, err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return Plan{}, &Error{Err: errors.New("data after the plan object")}
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&p); err != nil {
			return Plan{}, &Error{Err: err}
		}
	}
	if err := p.Validate(); err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			var root yaml.Node
			if yaml.Unmarshal(data, &root) == nil {
				pe.Line, pe.Column = yamlpos.Find(&root, pe.Path)
			}
		}
		return Plan{}, err
	}
	return p, nil
}

// jsonError turns a JSON decoding error into an *Error with a position.
func jsonError(data []byte, dec *json.Decoder, err error) error {
	offset := dec.InputOffset()
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	path := ""
	switch {
	case errors.As(err, &se):
		offset = max(se.Offset-1, 0) // Offset is just past the bad byte
	case errors.As(err, &te):
		offset = te.Offset
		path = te.Field
		err = fmt.Errorf("cannot use JSON %s as %s", te.Value, te.Type)
	}
	line, col := position(data, offset)
	return &Error{Path: path, Line: line, Column: col, Err: err}
}

// position converts a byte offset to a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
