package audience

import (
	"regexp"
	"regexp/syntax"
	"sync"
)

// regex is a compiled RE2 expression (package regexp: linear time, no
// backtracking blow-up) with a pool of byte buffers.
//
// regexp keeps its input in pooled heap state while it runs, so handing it
// the attribute string directly would make every attribute list passed to
// Match escape to the heap. Match therefore copies the string into a pooled
// buffer (no allocation once the pool is warm) and matches the copy.
type regex struct {
	re    *regexp.Regexp
	insts int // instructions of its program
	bufs  sync.Pool
}

// compileRegex compiles pattern within MaxPatternSize and MaxRegexProgram.
// regexp does not say how long a program is, so the pattern is compiled
// with regexp/syntax first, as regexp.Compile compiles it.
func compileRegex(pattern string) (*regex, error) {
	if len(pattern) > MaxPatternSize {
		return nil, invalid("the regular expression is %d bytes, over audience.MaxPatternSize (%d bytes)", len(pattern), MaxPatternSize)
	}
	sre, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, invalid("bad regular expression: %w", err)
	}
	prog, err := syntax.Compile(sre.Simplify())
	if err != nil {
		return nil, invalid("bad regular expression: %w", err)
	}
	if len(prog.Inst) > MaxRegexProgram {
		return nil, invalid("the regular expression compiles to %d instructions, over audience.MaxRegexProgram (%d)", len(prog.Inst), MaxRegexProgram)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, invalid("bad regular expression: %w", err)
	}
	return &regex{re: re, insts: len(prog.Inst)}, nil
}

// maxPooled bounds the buffers kept for reuse.
const maxPooled = 64 << 10

// match reports whether s matches; a string longer than MaxRegexInput
// never does.
func (r *regex) match(s string) bool {
	if len(s) > MaxRegexInput {
		return false
	}
	bp, _ := r.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	b := append((*bp)[:0], s...)
	ok := r.re.Match(b)
	if cap(b) <= maxPooled {
		*bp = b
		r.bufs.Put(bp)
	}
	return ok
}
