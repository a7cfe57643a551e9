package planfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/varroute/varroute/internal/document"
	"github.com/varroute/varroute/internal/fielderr"
	"github.com/varroute/varroute/strategy"
)

// DefaultMaxSize is the largest plan file read when Options.MaxSize is
// zero, and by Load: strategy.MaxPlanSize, the largest plan
// strategy.ParsePlan accepts.
const DefaultMaxSize = strategy.MaxPlanSize

// ErrTooLarge is matched by the error for a file larger than the size
// limit, an *fs.PathError.
var ErrTooLarge = errors.New("planfile: file too large")

// ErrNotRegular is matched by the error for a path that names something
// other than a regular file (after following symbolic links): a directory,
// a FIFO, a device or a socket. Such a file is refused without being read,
// so that a FIFO cannot block the reader. The error is an *fs.PathError.
var ErrNotRegular = errors.New("planfile: not a regular file")

// Load reads the plan in the file at path, written in YAML or JSON (see
// strategy.ParsePlan), and validates it. It is safe for concurrent use.
//
// A file that cannot be read gives an *fs.PathError: one matching
// fs.ErrNotExist for a missing file, ErrNotRegular for a directory or a
// FIFO, ErrTooLarge for a file over DefaultMaxSize. A file that changed
// while it was read (written in place rather than replaced) gives an
// *fs.PathError too: load it again. A file that does not
// parse or validate gives a *strategy.Error (matching
// strategy.ErrInvalidPlan) whose File is path and which names the field
// path, line and column:
//
//	plan.yaml:4:3: default: weights sum to 95, want 100
func Load(path string) (strategy.Plan, error) {
	data, err := readFile(path, DefaultMaxSize)
	if err != nil {
		return strategy.Plan{}, err
	}
	p, err := strategy.ParsePlan(data)
	if err != nil {
		return strategy.Plan{}, inFile(path, err)
	}
	return p, nil
}

// inFile sets the File of the *strategy.Error that ParsePlan returned.
func inFile(path string, err error) error {
	var se *strategy.Error
	if errors.As(err, &se) {
		se.File = path
	}
	return err
}

// readFile reads at most max bytes of the regular file at path. It returns
// an *fs.PathError matching errUnsettled if the file's size or modification
// time changed while it was read, or if the size read differs from the size
// the file reports. It
// checks the file's mode before opening it, and opens it without blocking,
// so that a FIFO put at path (even between the check and the open) cannot
// block it.
func readFile(path string, max int64) ([]byte, error) {
	info, err := os.Stat(path) // follows symbolic links, such as a ConfigMap's ..data
	if err != nil {
		return nil, err
	}
	if err := checkFile(path, info, max); err != nil {
		return nil, err
	}
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkFile(path, before, max); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)}
	}
	after, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) || int64(len(data)) != after.Size() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errUnsettled}
	}
	return data, nil
}

// checkFile refuses a file that is not regular or is larger than max.
func checkFile(path string, info fs.FileInfo, max int64) error {
	if !info.Mode().IsRegular() {
		return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, describeMode(info.Mode()))}
	}
	if info.Size() > max {
		return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, info.Size(), max)}
	}
	return nil
}

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// errUnsettled reports a file that changed while it was read.
var errUnsettled = errors.New("planfile: file changed while read")

// locate returns the error to report for err, a target's refusal of the
// plan read from path: a copy of a *strategy.Error with File set and, when
// it names a field but no position, the field's line and column in data;
// a *strategy.Error whose File is path and whose Err is err when err wraps
// one (as strategy.Targets does); and err wrapped with the path otherwise
// (the target failed for a reason of its own, such as being closed). It
// never modifies err.
func locate(path string, data []byte, err error) error {
	var se *strategy.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("planfile: %s: %w", path, err)
	}
	if err != error(se) {
		return &strategy.Error{File: path, Err: err}
	}
	located := *se
	located.File = path
	if located.Line == 0 && located.Path != "" {
		if top, lerr := document.Load(data, document.Limits{}); lerr == nil {
			located.Line, located.Column = fielderr.Find(top, located.Path)
		}
	}
	return &located
}
