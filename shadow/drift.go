package shadow

import (
	"context"
	"math"
	"slices"
	"sync"
)

// DefaultDriftWindow is the window of a Drift made with a non-positive
// window, and of the zero Drift.
const DefaultDriftWindow = 1000

// DefaultPSIBins is the number of bins PSI uses when asked for zero.
const DefaultPSIBins = 10

// psiFloor replaces an empty bin's share in PSI so the logarithm stays
// finite.
const psiFloor = 1e-4

// PSI returns the population stability index of actual against expected:
//
//	PSI = sum_i (a_i - e_i) * ln(a_i / e_i)
//
// where e_i and a_i are the shares of expected and actual in bin i of bins
// equal-width bins spanning the smallest to the largest value of both
// samples (the last bin is closed), and a share of zero counts as 1e-4. It
// is symmetric in its arguments. Rules of thumb: below 0.1 no real shift,
// 0.1 to 0.25 a moderate one, above 0.25 a major one.
//
// bins <= 0 means DefaultPSIBins. NaNs are ignored. PSI returns NaN if
// either sample has no numbers, and 0 if all numbers are equal. It does not
// modify its arguments; it allocates two slices of bins counts.
func PSI(expected, actual []float64, bins int) float64 {
	if bins <= 0 {
		bins = DefaultPSIBins
	}
	ce, ca := make([]int, bins), make([]int, bins)
	return psi(expected, actual, ce, ca)
}

// psi is PSI with caller-provided count buffers of equal length.
func psi(expected, actual []float64, ce, ca []int) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range [2][]float64{expected, actual} {
		for _, v := range s {
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	ne, na := histogramInto(ce, expected, lo, hi), histogramInto(ca, actual, lo, hi)
	if ne == 0 || na == 0 {
		return math.NaN()
	}
	if lo == hi {
		return 0
	}
	var sum float64
	for i := range ce {
		e := math.Max(float64(ce[i])/float64(ne), psiFloor)
		a := math.Max(float64(ca[i])/float64(na), psiFloor)
		sum += (a - e) * math.Log(a/e)
	}
	return sum
}

// histogramInto counts s into len(counts) equal-width bins over [lo, hi]
// and returns how many numbers it counted.
func histogramInto(counts []int, s []float64, lo, hi float64) int {
	clear(counts)
	bins := len(counts)
	n := 0
	for _, v := range s {
		if math.IsNaN(v) {
			continue
		}
		i := 0
		if hi > lo {
			i = int((v - lo) / (hi - lo) * float64(bins))
			i = min(max(i, 0), bins-1)
		}
		counts[i]++
		n++
	}
	return n
}

// KS returns the two-sample Kolmogorov-Smirnov statistic of a and b: the
// largest distance between their empirical distribution functions,
//
//	D = sup_x |F_a(x) - F_b(x)|
//
// between 0 (same distribution of values) and 1 (disjoint ranges). NaNs are
// ignored; KS returns NaN if either sample has no numbers. It does not
// modify its arguments; it sorts copies.
func KS(a, b []float64) float64 {
	return ks(sortedNumbers(nil, a), sortedNumbers(nil, b))
}

func sortedNumbers(dst, s []float64) []float64 {
	dst = dst[:0]
	for _, v := range s {
		if !math.IsNaN(v) {
			dst = append(dst, v)
		}
	}
	slices.Sort(dst)
	return dst
}

// ks is KS of two sorted samples without NaNs.
func ks(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return math.NaN()
	}
	n, m := float64(len(a)), float64(len(b))
	var d float64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x := math.Min(a[i], b[j])
		for i < len(a) && a[i] <= x {
			i++
		}
		for j < len(b) && b[j] <= x {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/n-float64(j)/m))
	}
	return d
}

// A Drift keeps the last Window pairs of (primary, shadow) numeric outputs
// (a score, a prediction, a probability) and measures how far the shadow's
// distribution has moved from the primary's over them. Feed it from an
// OutputSink (see DriftSink) or a comparator.
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

// PSI returns the population stability index of the shadow's outputs
// against the primary's over the window, with bins bins (<= 0 means
// DefaultPSIBins). NaN while the window is empty. It allocates.
func (d *Drift) PSI(bins int) float64 {
	p, s := d.snapshot()
	return PSI(p, s, bins)
}

// KS returns the two-sample Kolmogorov-Smirnov statistic of the shadow's
// outputs against the primary's over the window. NaN while the window is
// empty. It allocates.
func (d *Drift) KS() float64 {
	p, s := d.snapshot()
	return ks(sortedNumbers(p, p), sortedNumbers(s, s))
}

// DriftSink returns an OutputSink that adds value(primary) and
// value(shadow) to d for every comparison of the shadow variant named shadow
// whose shadow answered (Err is nil). An empty shadow means every
// comparison. A noise-floor comparison's Shadow is its primary, so
// DriftSink(d2, "v1", f) with v1 the primary measures v1's own drift.
func DriftSink[Out any](d *Drift, shadow string, value func(Out) float64) OutputSink[Out] {
	return OutputSinkFunc[Out](func(_ context.Context, c Comparison, p, s Out) {
		if c.Err != nil || (shadow != "" && c.Shadow != shadow) {
			return
		}
		d.Add(value(p), value(s))
	})
}
