package planfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/varroute/varroute/internal/yamlpos"
	"github.com/varroute/varroute/strategy"
)

// DefaultMaxSize is the largest plan file read when Options.MaxSize is zero.
const DefaultMaxSize = 4 << 20

// ErrTooLarge is matched by the error for a file larger than the size limit.
var ErrTooLarge = errors.New("planfile: file too large")

// An Error reports a plan file that was refused. Err is the reason: an
// *fs.PathError when the file could not be read, a *strategy.Error (matching
// strategy.ErrInvalidPlan) when it does not parse or validate, or the
// target's error when SetPlan refused it — a *strategy.Error matching
// strategy.ErrUnknownVariant for a variant the router does not know. Match
// them with errors.Is and errors.As.
type Error struct {
	Path string // the plan file
	Err  error  // the reason
}

// Error formats the error as "planfile: path:line:col: field: problem",
// leaving out the position and the field where they are unknown.
func (e *Error) Error() string {
	var pe *fs.PathError
	if errors.As(e.Err, &pe) {
		return "planfile: " + e.Err.Error()
	}
	if se, ok := e.Err.(*strategy.Error); ok {
		s := "planfile: " + e.Path
		if se.Line > 0 {
			s += ":" + strconv.Itoa(se.Line) + ":" + strconv.Itoa(se.Column)
		}
		s += ": "
		if se.Path != "" {
			s += se.Path + ": "
		}
		return s + se.Err.Error()
	}
	return "planfile: " + e.Path + ": " + e.Err.Error()
}

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Err }

// Load reads the plan in the file at path, written in YAML or JSON (see
// strategy.ParsePlan), and validates it. Every error is an *Error naming the
// file; a malformed plan's reason is a *strategy.Error naming the field path,
// line and column. Load is safe for concurrent use.
func Load(path string) (strategy.Plan, error) {
	data, err := readFile(path, DefaultMaxSize)
	if err != nil {
		return strategy.Plan{}, &Error{Path: path, Err: err}
	}
	p, err := strategy.ParsePlan(data)
	if err != nil {
		return strategy.Plan{}, &Error{Path: path, Err: err}
	}
	return p, nil
}

// readFile reads at most max bytes of the file at path. It returns
// errUnsettled if the file's size or modification time changed while it was
// read, or if the size read differs from the size the file reports.
func readFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errors.New("not a regular file")}
	}
	if before.Size() > max {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, before.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	after, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) || int64(len(data)) != after.Size() {
		return nil, errUnsettled
	}
	return data, nil
}

// errUnsettled reports a file that changed while it was read.
var errUnsettled = errors.New("planfile: file changed while read")

// locate fills in the line and column of a *strategy.Error that names a field
// of the plan in data but no position (the errors of a target's SetPlan).
// It returns err unchanged otherwise, and never modifies it.
func locate(data []byte, err error) error {
	se, ok := err.(*strategy.Error)
	if !ok || se.Line > 0 || se.Path == "" {
		return err
	}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return err
	}
	located := *se
	located.Line, located.Column = yamlpos.Find(&root, se.Path)
	return &located
}
