// Package hist is the one latency histogram of varroute: the router's shadow
// report, the rollout windows and the telemetry exporters all count
// durations in it.
//
// # Layout
//
// The buckets are those of OpenTelemetry's exponential histogram and
// Prometheus's native histogram. At scale s the base is
//
//	base = 2^(2^-s)
//
// and bucket index i holds the durations v, in seconds, with
//
//	base^i < v <= base^(i+1),   i.e.   i = ceil(log2(v) * 2^s) - 1
//
// computed exactly at powers of two (a power of two is the upper bound of
// its bucket). These are OpenTelemetry's indexes; Prometheus numbers the
// same bucket i+1. Scale 3 (DefaultScale) has 8 buckets per doubling.
//
// A Histogram keeps the buckets between 2^-20 s (about 0.95 µs) and 2^6 s
// (64 s): 26 doublings, 208 buckets at scale 3. Durations at or below the
// low end (zero and negative ones included) are counted in the zero bucket,
// durations above the high end in the overflow bucket. Both ends are powers
// of two, so they are bucket boundaries at every scale.
//
// # Error
//
// Quantile estimates a value in bucket (L, U] by 2LU/(L+U), whose relative
// error is at most
//
//	(base-1)/(base+1)
//
// for every value of the bucket: 4.33% at scale 3, 2.17% at scale 4,
// 1.08% at scale 5, 33% at scale 0.
package hist

import (
	"iter"
	"math"
	"sync/atomic"
	"time"
)

// Scales and the range of a Histogram.
const (
	// DefaultScale is the scale of the histograms varroute keeps: 8
	// buckets per doubling, a relative error of at most 4.33%.
	DefaultScale = 3
	// MinScale and MaxScale bound the scale New accepts. Prometheus native
	// histograms hold scales -4 to 8; New needs no negative scale.
	MinScale = 0
	MaxScale = 8

	// LowExp and HighExp are the ends of a Histogram's range: its buckets
	// cover (2^LowExp s, 2^HighExp s].
	LowExp  = -20
	HighExp = 6
)

// zeroMax is the largest duration in the zero bucket: 2^LowExp s is
// 953.67 ns. overMin is the upper end of the range, 2^HighExp s; longer
// durations overflow.
const (
	zeroMax = time.Duration(953)
	overMin = time.Duration(1<<HighExp) * time.Second
)

// A Histogram counts durations in exponential buckets (see the package doc).
// Add is lock-free and allocation-free; every method is safe for concurrent
// use. A Histogram's zero value is not usable: call New.
type Histogram struct {
	scale  int
	offset int            // index of counts[0]: LowExp << scale
	counts []atomic.Int64 // counts[i] holds bucket offset+i
	zero   atomic.Int64   // durations <= 2^LowExp s
	over   atomic.Int64   // durations > 2^HighExp s
	sum    atomic.Int64   // nanoseconds, wrapping at 2^63
	// used holds the lowest and highest index of counts ever added to,
	// packed as 1<<63 | lo<<32 | hi; 0 until the first Add to counts:
	// snapshots read only the counts in between.
	used atomic.Uint64

	// Index tables for scale > 0 (see index).
	bounds []uint64 // bounds[j]: the mantissa of 2^(j/2^scale), j < 2^scale; then 2^52
	approx []uint8  // approx[c]: the number of bounds[1:] below cell c's start
}

// New returns an empty Histogram of the given scale. It panics if scale is
// outside [MinScale, MaxScale]: scales are constants of the caller.
func New(scale int) *Histogram {
	if scale < MinScale || scale > MaxScale {
		panic("hist: scale out of range")
	}
	h := &Histogram{
		scale:  scale,
		offset: LowExp << scale,
		counts: make([]atomic.Int64, (HighExp-LowExp)<<scale),
	}
	n := 1 << scale
	h.bounds = make([]uint64, n+1)
	for j := 1; j < n; j++ {
		h.bounds[j] = math.Float64bits(math.Exp2(float64(j)/float64(n))) & mantMask
	}
	h.bounds[n] = 1 << 52
	// Cells of 2^(52-scale-1) mantissas are narrower than any bucket, so a
	// cell holds at most one boundary and index corrects approx by at most
	// one.
	h.approx = make([]uint8, 2*n)
	j := 0
	for c := range h.approx {
		start := uint64(c) << (51 - scale)
		for j+1 < n && h.bounds[j+1] < start {
			j++
		}
		h.approx[c] = uint8(j)
	}
	return h
}

const mantMask = 1<<52 - 1

// index returns the bucket index of d, which must be in (zeroMax, overMin].
func (h *Histogram) index(d time.Duration) int {
	b := math.Float64bits(float64(d) / 1e9) // seconds, correctly rounded
	e := int(b>>52&0x7ff) - 1023            // d is a normal number
	m := b & mantMask
	if m == 0 {
		return e<<h.scale - 1 // a power of two closes its bucket
	}
	j := int(h.approx[m>>(51-h.scale)])
	if m > h.bounds[j+1] {
		j++
	}
	return e<<h.scale + j
}

// Add counts one duration. It allocates nothing and takes no lock. It adds
// to the sum before the count (see Snapshot).
func (h *Histogram) Add(d time.Duration) {
	d = max(d, 0)
	h.sum.Add(int64(d))
	switch {
	case d <= zeroMax:
		h.zero.Add(1)
	case d > overMin:
		h.over.Add(1)
	default:
		i := h.index(d) - h.offset
		if lo, hi := unpack(h.used.Load()); uint64(i) < lo || uint64(i) > hi {
			h.widen(i)
		}
		h.counts[i].Add(1)
	}
}

// unpack returns the range of a used value; lo > hi for 0 (no index).
func unpack(u uint64) (lo, hi uint64) {
	if u == 0 {
		return 1, 0
	}
	return u >> 32 & (1<<31 - 1), u & (1<<32 - 1)
}

// widen adds index i to the used range. Add calls it before it adds to
// counts[i], so a snapshot, which reads the range first, never misses a
// count it could have seen. It runs at most a few times per index.
func (h *Histogram) widen(i int) {
	for {
		u := h.used.Load()
		lo, hi := unpack(u)
		if u == 0 {
			lo, hi = uint64(i), uint64(i)
		}
		lo, hi = min(lo, uint64(i)), max(hi, uint64(i))
		if h.used.CompareAndSwap(u, 1<<63|lo<<32|hi) {
			return
		}
	}
}

// usedRange returns the indexes [lo, hi) of counts that may be non-zero.
func (h *Histogram) usedRange() (lo, hi int) {
	l, u := unpack(h.used.Load())
	if l > u {
		return 0, 0
	}
	return int(l), int(u) + 1
}

// Totals returns the number of durations counted and their sum, without
// copying the buckets. It allocates nothing.
func (h *Histogram) Totals() (count int64, sum time.Duration) {
	lo, hi := h.usedRange()
	count = h.zero.Load() + h.over.Load()
	for i := lo; i < hi; i++ {
		count += h.counts[i].Load()
	}
	return count, time.Duration(h.sum.Load())
}

// Snapshot returns the histogram's counts. Each counter is read atomically,
// the counters one after another; the sum is read last. Add adds to the sum
// before the count, so a snapshot's Sum includes every duration its counts
// include: with concurrent Adds, it may also include the sum of an Add whose
// count it has not seen yet, never miss one it counted. It allocates the
// Counts slice.
func (h *Histogram) Snapshot() Snapshot { return h.SnapshotInto(nil) }

// SnapshotInto is Snapshot writing the counts into buf's memory when its
// capacity suffices (it allocates otherwise).
func (h *Histogram) SnapshotInto(buf []int64) Snapshot {
	if cap(buf) < len(h.counts) {
		buf = make([]int64, len(h.counts))
	}
	s := Snapshot{Scale: h.scale, Offset: h.offset, Counts: buf[:len(h.counts)]}
	lo, hi := h.usedRange()
	clear(s.Counts[:lo])
	for i := lo; i < hi; i++ {
		s.Counts[i] = h.counts[i].Load()
	}
	clear(s.Counts[hi:])
	s.ZeroCount = h.zero.Load()
	s.Overflow = h.over.Load()
	s.Sum = time.Duration(h.sum.Load())
	return s
}

// A Snapshot is the content of a histogram, in the exponential layout of the
// package doc. It is plain data; its methods do not modify it. The zero
// Snapshot is empty.
type Snapshot struct {
	// Scale sets the base: 2^(2^-Scale).
	Scale int
	// Offset is the bucket index of Counts[0].
	Offset int
	// Counts[i] counts the durations in bucket Offset+i:
	// (base^(Offset+i), base^(Offset+i+1)] seconds.
	Counts []int64
	// ZeroCount counts the durations at or below base^Offset seconds,
	// zero and negative ones included.
	ZeroCount int64
	// Overflow counts the durations above base^(Offset+len(Counts))
	// seconds.
	Overflow int64
	// Sum is the sum of the durations (negative ones count as zero). It
	// wraps around past 2^63 ns (292 years), and the difference of two
	// snapshots stays exact as long as it does not.
	Sum time.Duration
}

// Count returns the number of durations in s, all buckets included.
func (s Snapshot) Count() int64 {
	n := s.ZeroCount + s.Overflow
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// Bound returns base^index in seconds: the lower end of bucket index and the
// upper end of bucket index-1. It is exact when index is a multiple of
// 2^Scale (a power of two).
func (s Snapshot) Bound(index int) float64 {
	return math.Exp2(math.Ldexp(float64(index), -s.Scale))
}

// Buckets yields, in increasing order, the estimate and the count of every
// non-empty bucket: the zero bucket first, estimated at half its upper
// end; then each bucket (L, U] estimated at 2LU/(L+U), within
// (base-1)/(base+1) of each of its values; then the overflow bucket,
// estimated at its lower end (the truth is larger).
func (s Snapshot) Buckets() iter.Seq2[time.Duration, int64] {
	return func(yield func(time.Duration, int64) bool) {
		if s.ZeroCount != 0 && !yield(s.estimate(-1), s.ZeroCount) {
			return
		}
		for i, c := range s.Counts {
			if c != 0 && !yield(s.estimate(i), c) {
				return
			}
		}
		if s.Overflow != 0 {
			yield(s.estimate(len(s.Counts)), s.Overflow)
		}
	}
}

// estimate returns the estimate of a value in Counts[i], in the zero bucket
// for i = -1, or in the overflow bucket for i = len(Counts); see Buckets.
func (s Snapshot) estimate(i int) time.Duration {
	var x float64
	switch {
	case i < 0:
		x = s.Bound(s.Offset) / 2
	case i >= len(s.Counts):
		x = s.Bound(s.Offset + len(s.Counts))
	default:
		base := s.Bound(1)
		x = 2 * s.Bound(s.Offset+i) * base / (1 + base)
	}
	return time.Duration(math.Round(x * 1e9))
}

// Quantile returns an estimate of the q-quantile (0 <= q <= 1) of the
// durations in s, taken as the ceil(q*n)-th smallest of the n durations:
// the estimate of the bucket that holds it (see Buckets). If that duration
// lies in the histogram's range, the estimate is within a relative error of
// (base-1)/(base+1) of it (4.33% at scale 3). It returns 0 for an empty
// snapshot. It does not allocate.
func (s Snapshot) Quantile(q float64) time.Duration {
	n := s.Count()
	if n <= 0 {
		return 0
	}
	rank := int64(1)
	if q > 0 {
		rank = min(int64(math.Ceil(q*float64(n))), n)
	}
	seen := s.ZeroCount
	if seen >= rank {
		return s.estimate(-1)
	}
	for i, c := range s.Counts {
		seen += c
		if seen >= rank {
			return s.estimate(i)
		}
	}
	return s.estimate(len(s.Counts))
}

// Sub returns s minus prev, bucket by bucket: the durations counted between
// two snapshots of one histogram. Snapshots of different layouts are first
// brought to a common one (see Merge).
func (s Snapshot) Sub(prev Snapshot) Snapshot { return combine(s, prev, -1) }

// Merge returns the sum of s and o, such as the histograms of two replicas.
// Snapshots of different scales are merged at the smaller one (each bucket
// of the finer one falls in exactly one bucket of the coarser one). When the
// ranges differ, the merged range is the narrower one: buckets below it go to
// the zero bucket and buckets above it to the overflow bucket. A Snapshot
// without Counts takes the other's layout. Merge allocates the result's
// Counts.
func (s Snapshot) Merge(o Snapshot) Snapshot { return combine(s, o, 1) }

// combine returns a + sign*b.
func combine(a, b Snapshot, sign int64) Snapshot {
	scale := a.Scale
	switch {
	case len(a.Counts) == 0:
		scale = b.Scale
	case len(b.Counts) != 0:
		scale = min(a.Scale, b.Scale)
	}
	// The common range: bucket indexes [lo, hi) at scale. A range end that
	// is not a boundary at that scale moves inward to the next one, and the
	// bucket that straddles it joins the zero or the overflow bucket.
	lo, hi := math.MinInt, math.MaxInt
	for _, s := range [2]Snapshot{a, b} {
		if len(s.Counts) > 0 {
			k := s.Scale - scale
			lo = max(lo, -(-s.Offset >> k)) // ceil(Offset / 2^k)
			hi = min(hi, (s.Offset+len(s.Counts))>>k)
		}
	}
	if lo == math.MinInt {
		lo, hi = 0, 0 // neither has buckets
	}
	hi = max(hi, lo)
	out := Snapshot{
		Scale:     scale,
		Offset:    lo,
		Counts:    make([]int64, hi-lo),
		ZeroCount: a.ZeroCount + sign*b.ZeroCount,
		Overflow:  a.Overflow + sign*b.Overflow,
		Sum:       a.Sum + time.Duration(sign)*b.Sum,
	}
	for _, t := range [2]struct {
		s    Snapshot
		sign int64
	}{{a, 1}, {b, sign}} {
		k := t.s.Scale - scale
		for i, c := range t.s.Counts {
			switch j := (t.s.Offset + i) >> k; {
			case j < lo:
				out.ZeroCount += t.sign * c
			case j >= hi:
				out.Overflow += t.sign * c
			default:
				out.Counts[j-lo] += t.sign * c
			}
		}
	}
	return out
}
