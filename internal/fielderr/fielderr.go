// Package fielderr is the one implementation behind the field errors of
// packages strategy and audience (and so of planfile): the shape of an
// error that names where a problem is, its formatting, the lookup of a
// field path's position in a YAML or JSON document, and the nearest valid
// name for a misspelt one.
//
// strategy.Error and audience.Error are declared with exactly the fields of
// Error, in the same order, so that each converts to *Error and formats
// through Text; the packages keep their own types (no alias crosses a
// package boundary) and their own sentinels.
package fielderr

import (
	"strconv"
	"strings"
)

// Error is the shape shared by the field errors of the public packages.
type Error struct {
	File   string // the file read, or "" when the input was not a file
	Line   int    // 1-based line, or 0 when unknown
	Column int    // 1-based column (in characters), or 0 when unknown
	Path   string // field path such as "rules[2].split[0].weight", or ""
	Err    error  // the problem
}

// Text formats e as "file:line:col: path: message", the form editors and
// CI annotations read, leaving out the parts that are unknown. Without a
// file, pkg and ": " come first instead: "strategy: 4:3: default: weights
// sum to 95, want 100", "strategy: default: empty split",
// "audience: 2: did not find expected key".
func (e *Error) Text(pkg string) string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
			writePos(&b, e.Line, e.Column)
		}
		b.WriteString(": ")
	} else {
		if pkg != "" {
			b.WriteString(pkg)
			b.WriteString(": ")
		}
		if e.Line > 0 {
			writePos(&b, e.Line, e.Column)
			b.WriteString(": ")
		}
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("invalid")
	}
	return b.String()
}

// Error formats e as Text does, without a package prefix. The public
// packages convert an *Error to their own type before returning it.
func (e *Error) Error() string { return e.Text("") }

func writePos(b *strings.Builder, line, col int) {
	b.WriteString(strconv.Itoa(line))
	if col > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(col))
	}
}

// At returns an *Error for path at line and column with the problem err.
func At(line, col int, path string, err error) *Error {
	return &Error{Line: line, Column: col, Path: path, Err: err}
}
