package shadow

import (
	"context"
	"slices"
	"sync"

	"github.com/varroute/varroute/stats"
)

// DefaultDriftWindow is the window of a Drift made with a non-positive
// window, and of the zero Drift.
const DefaultDriftWindow = 1000

// A Drift keeps the last Window pairs of (primary, shadow) numeric outputs
// (a score, a prediction, a probability) and measures how far the shadow's
// distribution has moved from the primary's over them, with stats.PSI and
// stats.KS. Feed it from a router's Sink (see DriftSink) or a comparator.
//
// A Drift is safe for concurrent use. Add does not allocate (after the
// first call on a zero Drift). The zero Drift is ready to use with a window
// of DefaultDriftWindow.
type Drift struct {
	mu      sync.Mutex
	primary []float64 // ring buffers of capacity window; guarded by mu
	shadow  []float64
	next    int // guarded by mu; index of the next write once full
	window  int // 0 means DefaultDriftWindow
}

// NewDrift returns a Drift over the last window pairs. A window <= 0 means
// DefaultDriftWindow.
func NewDrift(window int) *Drift {
	if window <= 0 {
		window = DefaultDriftWindow
	}
	return &Drift{window: window}
}

// Add records one pair of outputs, evicting the oldest once the window is
// full.
func (d *Drift) Add(primary, shadow float64) {
	d.mu.Lock()
	if d.primary == nil {
		if d.window <= 0 {
			d.window = DefaultDriftWindow
		}
		d.primary = make([]float64, 0, d.window)
		d.shadow = make([]float64, 0, d.window)
	}
	if len(d.primary) < d.window {
		d.primary = append(d.primary, primary)
		d.shadow = append(d.shadow, shadow)
	} else {
		d.primary[d.next], d.shadow[d.next] = primary, shadow
		d.next = (d.next + 1) % d.window
	}
	d.mu.Unlock()
}

// Len returns the number of pairs in the window.
func (d *Drift) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.primary)
}

// snapshot copies both samples out of the lock.
func (d *Drift) snapshot() (p, s []float64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.primary), slices.Clone(d.shadow)
}

// PSI returns stats.PSI of the shadow's outputs against the primary's over
// the window, with bins bins (<= 0 means 10). NaN while the window is
// empty. It allocates.
func (d *Drift) PSI(bins int) float64 {
	p, s := d.snapshot()
	return stats.PSI(p, s, bins)
}

// KS returns stats.KS, the two-sample Kolmogorov-Smirnov statistic, of the
// shadow's outputs against the primary's over the window. NaN while the
// window is empty. It allocates.
func (d *Drift) KS() float64 {
	p, s := d.snapshot()
	return stats.KS(p, s)
}

// DriftSink returns a Sink that adds value(primary) and value(shadow) to d
// for every comparison of the shadow variant named shadow whose shadow
// answered (Err is nil). An empty shadow means every comparison. A
// noise-floor comparison's Shadow is its primary, so DriftSink(d2, "v1", f)
// with v1 the primary measures v1's own drift.
func DriftSink[Out any](d *Drift, shadow string, value func(Out) float64) Sink[Out] {
	return SinkFunc[Out](func(_ context.Context, c Comparison, p, s Out) {
		if c.Err != nil || (shadow != "" && c.Shadow != shadow) {
			return
		}
		d.Add(value(p), value(s))
	})
}
