package exposure

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"strconv"
)

// MaxLineBytes is the longest line, its "\n" or "\r\n" excluded, that Read
// accepts and that a Writer writes: a Writer counts an exposure whose line
// would be longer in Stats.Oversized and does not write it, so every line
// it writes reads back.
const MaxLineBytes = 1 << 20

// A LineError reports a line of an exposure log that Read could not
// parse, or a read error, with its 1-based line number.
type LineError struct {
	// Line is the 1-based number of the offending line (for a read
	// error, the line being read).
	Line int
	// Err is the cause: a JSON syntax or type error, a missing field,
	// bufio.ErrTooLong for a line longer than MaxLineBytes, or the
	// io.Reader's error.
	Err error
}

// Error returns "exposure: line N: " and the cause.
func (e *LineError) Error() string {
	return "exposure: line " + strconv.Itoa(e.Line) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// errNotObject and errMissing are causes of LineError.
var (
	errNotObject = errors.New("not a JSON object")
	errMissing   = errors.New(`missing "variant"`)
)

// Read returns an iterator over the exposures of a JSON-lines log such as a
// Writer writes: one JSON object per line, the fields of Exposure under
// their json names; unknown fields are ignored and blank lines skipped.
//
// A line that is not a JSON object, does not parse into an Exposure or has
// no "variant" yields a zero Exposure and a *LineError naming the line;
// iteration then goes on with the next line, so a caller may skip bad
// lines or stop at the first; so does a line longer than MaxLineBytes,
// whose LineError wraps bufio.ErrTooLong. A read error yields a *LineError
// naming the line being read, which is not parsed, and ends the iteration.
//
// Read reads r only while the iterator runs; each run reads on from where
// the last stopped. It is not safe for concurrent use of the same r.
func Read(r io.Reader) iter.Seq2[Exposure, error] {
	return func(yield func(Exposure, error) bool) {
		br := bufio.NewReaderSize(r, 64<<10)
		var long []byte // a line longer than br's buffer, gathered
		tooLong := false
		line := 0
		for {
			chunk, err := br.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				if !tooLong && len(long)+len(chunk) <= MaxLineBytes+2 { // +2: "\r\n"
					long = append(long, chunk...)
				} else {
					tooLong, long = true, long[:0]
				}
				continue
			}
			if err != nil && err != io.EOF {
				yield(Exposure{}, &LineError{Line: line + 1, Err: err}) // the partial line is not parsed
				return
			}
			if len(chunk) > 0 || len(long) > 0 || tooLong {
				line++
				b := chunk
				if len(long) > 0 {
					b = append(long, chunk...)
					long = b[:0]
				}
				b = bytes.TrimSuffix(bytes.TrimSuffix(b, nl), cr)
				tooLong = tooLong || len(b) > MaxLineBytes
				b = bytes.TrimSpace(b)
				switch {
				case tooLong:
					tooLong = false
					if !yield(Exposure{}, &LineError{Line: line, Err: bufio.ErrTooLong}) {
						return
					}
				case len(b) == 0:
				default:
					e, perr := parseLine(b)
					if perr != nil {
						e = Exposure{}
						perr = &LineError{Line: line, Err: perr}
					}
					if !yield(e, perr) {
						return
					}
				}
			}
			if err == io.EOF {
				return
			}
		}
	}
}

var nl, cr = []byte("\n"), []byte("\r")

// parseLine parses one non-blank line.
func parseLine(b []byte) (Exposure, error) {
	var e Exposure
	if b[0] != '{' {
		return e, errNotObject
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return Exposure{}, err
	}
	if e.Variant == "" {
		return Exposure{}, errMissing
	}
	return e, nil
}
