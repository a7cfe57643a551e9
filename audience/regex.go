package audience

import (
	"regexp"
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
	re   *regexp.Regexp
	bufs sync.Pool // *[]byte
}

// maxPooled bounds the buffers kept for reuse.
const maxPooled = 64 << 10

func (r *regex) match(s string) bool {
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
