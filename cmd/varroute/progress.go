package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progressReader counts the bytes read through it and, when enabled, draws
// a progress bar on w at most every 100 ms. It starts no goroutine: it
// draws from Read.
type progressReader struct {
	r     io.Reader
	w     io.Writer
	name  string
	now   func() time.Time
	total int64 // bytes expected, or 0 if unknown
	done  int64
	start time.Time
	last  time.Time
	drawn bool
}

// openInput opens path and returns a reader that draws progress on e's
// stderr when e.progress is set; close closes the file and clears the bar.
func openInput(path string, e env) (r io.Reader, close func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if !e.progress {
		return f, func() { f.Close() }, nil
	}
	now := e.clock()
	pr := &progressReader{r: f, w: e.stderr, name: path, now: now, start: now()}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		pr.total = fi.Size()
	}
	return pr, func() { pr.clear(); f.Close() }, nil
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if now := p.now(); now.Sub(p.last) >= 100*time.Millisecond && now.Sub(p.start) >= 500*time.Millisecond {
		p.last = now
		p.draw(now)
	}
	return n, err
}

func (p *progressReader) draw(now time.Time) {
	const width = 30
	el := now.Sub(p.start).Round(time.Second)
	var line string
	if p.total > 0 {
		frac := min(1, float64(p.done)/float64(p.total))
		fill := int(frac * width)
		eta := ""
		if frac > 0.01 {
			eta = fmt.Sprintf(", %v left", (time.Duration(float64(now.Sub(p.start))/frac) - now.Sub(p.start)).Round(time.Second))
		}
		line = fmt.Sprintf("%s [%s%s] %3.0f%% %s/%s, %v%s", p.name, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), 100*frac, fmtBytes(p.done), fmtBytes(p.total), el, eta)
	} else {
		line = fmt.Sprintf("%s %s, %v", p.name, fmtBytes(p.done), el)
	}
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	p.drawn = true
}

func (p *progressReader) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
