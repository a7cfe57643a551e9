package shadow

import (
	"math"
	"math/bits"
	"time"
)

// Latency histogram: log-linear buckets, 16 per power of two, so a bucket
// is at most 1/16 of its lower bound wide and a quantile read at the
// bucket's midpoint is within about 3% of the truth. Durations below 16 ns
// have a bucket each; durations above 2^maxExp ns (about 2.4 hours) share
// the last bucket.
const (
	subBits    = 4
	subBuckets = 1 << subBits
	maxExp     = 43
	numBuckets = (maxExp-subBits+1)*subBuckets + subBuckets
)

// histogram is a fixed-size latency histogram. It is not safe for
// concurrent use; the Aggregator guards it.
type histogram struct {
	counts   [numBuckets]int64
	n        int64
	sum      float64 // nanoseconds
	min, max time.Duration
}

func bucketOf(d time.Duration) int {
	if d < subBuckets {
		return int(max(d, 0))
	}
	v := uint64(d)
	e := bits.Len64(v) - 1 // >= subBits
	if e > maxExp {
		return numBuckets - 1
	}
	mant := int(v>>(e-subBits)) & (subBuckets - 1)
	return (e-subBits+1)*subBuckets + mant
}

// bucketBounds returns the [lo, hi) range of bucket i in nanoseconds.
func bucketBounds(i int) (lo, hi float64) {
	if i < subBuckets {
		return float64(i), float64(i + 1)
	}
	e := i/subBuckets + subBits - 1
	mant := i % subBuckets
	width := math.Ldexp(1, e-subBits)
	lo = float64(subBuckets+mant) * width
	return lo, lo + width
}

func (h *histogram) add(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(d)]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += float64(d)
}

// quantile returns the q-quantile (0 <= q <= 1) as the midpoint of the
// bucket holding the ceil(q*n)-th smallest value, clamped to [min, max].
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketBounds(i)
			mid := time.Duration((lo + hi) / 2)
			return min(max(mid, h.min), h.max)
		}
	}
	return h.max
}

// LatencySummary summarizes a set of durations. Quantiles come from a
// log-scale histogram and are within about 3% of the exact value; Count,
// Mean, Min and Max are exact. All fields are zero when Count is zero.
// Durations are nanoseconds in JSON.
type LatencySummary struct {
	Count int64         `json:"count"` // number of durations
	Mean  time.Duration `json:"mean"`  // arithmetic mean
	Min   time.Duration `json:"min"`   // smallest
	P50   time.Duration `json:"p50"`   // median
	P90   time.Duration `json:"p90"`   // 90th percentile
	P99   time.Duration `json:"p99"`   // 99th percentile
	Max   time.Duration `json:"max"`   // largest
}

func (h *histogram) summary() LatencySummary {
	if h.n == 0 {
		return LatencySummary{}
	}
	return LatencySummary{
		Count: h.n,
		Mean:  time.Duration(h.sum / float64(h.n)),
		Min:   h.min,
		P50:   h.quantile(0.50),
		P90:   h.quantile(0.90),
		P99:   h.quantile(0.99),
		Max:   h.max,
	}
}
