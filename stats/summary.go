package stats

import "math"

// Summary is a streaming, mergeable summary of a sample: its count, mean and
// sum of squared deviations (Welford's update, Chan's merge). It never stores
// the sample. The zero value is an empty summary, ready to use. A Summary is
// a small value; it is not safe for concurrent mutation, but copies are
// independent.
type Summary struct {
	n     int64
	shift float64 // a value near the data: the first one seen
	mean  float64 // mean of x - shift; small, so it keeps its digits
	m2    float64 // sum of squared deviations from the mean
}

// summarizeBlock is the block length of Summarize: each block is summarised
// with an exact two-pass computation while it sits in L1 cache, then merged.
const summarizeBlock = 512

// Summarize returns the summary of xs. It runs two passes over each block of
// 512 values (sum, then squared deviations from the block mean) and merges
// the blocks, so it is as accurate as a two-pass algorithm and runs at
// memory speed. A NaN or Inf in xs makes the mean and variance NaN or Inf,
// which every test rejects with ErrInvalidInput.
func Summarize(xs []float64) Summary {
	var s Summary
	if len(xs) == 0 {
		return s
	}
	shift := xs[0]
	for len(xs) > 0 {
		k := min(len(xs), summarizeBlock)
		s = s.Merge(summarizeBlockOf(xs[:k], shift))
		xs = xs[k:]
	}
	return s
}

func summarizeBlockOf(xs []float64, shift float64) Summary {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		s0 += xs[i] - shift
		s1 += xs[i+1] - shift
		s2 += xs[i+2] - shift
		s3 += xs[i+3] - shift
	}
	for ; i < len(xs); i++ {
		s0 += xs[i] - shift
	}
	n := float64(len(xs))
	mean := ((s0 + s1) + (s2 + s3)) / n
	c := shift // deviations are (x - shift) - mean
	var q0, q1, q2, q3, c0 float64
	i = 0
	for ; i+4 <= len(xs); i += 4 {
		d0, d1, d2, d3 := (xs[i]-c)-mean, (xs[i+1]-c)-mean, (xs[i+2]-c)-mean, (xs[i+3]-c)-mean
		q0 += d0 * d0
		q1 += d1 * d1
		q2 += d2 * d2
		q3 += d3 * d3
		c0 += (d0 + d1) + (d2 + d3)
	}
	for ; i < len(xs); i++ {
		d := (xs[i] - c) - mean
		q0 += d * d
		c0 += d
	}
	// c0 corrects the mean for the rounding of the first pass.
	return Summary{n: int64(len(xs)), shift: shift, mean: mean + c0/n, m2: (q0 + q1) + (q2 + q3) - c0*c0/n}
}

// NewSummary returns the summary of n values with the given mean and sample
// variance (n-1 denominator), for data that arrive already aggregated. For
// n < 2 the variance is ignored; n < 0 is treated as 0.
func NewSummary(n int64, mean, variance float64) Summary {
	switch {
	case n <= 0:
		return Summary{}
	case n == 1:
		return Summary{n: 1, shift: mean}
	}
	return Summary{n: n, shift: mean, m2: variance * float64(n-1)}
}

// Add adds one value (Welford's update):
//
//	n += 1; d = x - mean; mean += d/n; m2 += d*(x - mean)
func (s *Summary) Add(x float64) {
	if s.n == 0 {
		s.shift = x
	}
	x -= s.shift
	s.n++
	d := x - s.mean
	s.mean += d / float64(s.n)
	s.m2 += d * (x - s.mean)
}

// Merge returns the summary of the union of the samples of s and o (Chan et
// al.), exact up to rounding whatever their sizes:
//
//	n = na + nb; d = mean_b - mean_a
//	mean = mean_a + d*nb/n; m2 = m2_a + m2_b + d^2*na*nb/n
func (s Summary) Merge(o Summary) Summary {
	switch {
	case o.n == 0:
		return s
	case s.n == 0:
		return o
	}
	na, nb := float64(s.n), float64(o.n)
	n := na + nb
	d := (o.mean + (o.shift - s.shift)) - s.mean
	return Summary{
		n:     s.n + o.n,
		shift: s.shift,
		mean:  s.mean + d*(nb/n),
		m2:    s.m2 + o.m2 + d*d*(na*(nb/n)),
	}
}

// N returns the number of values.
func (s Summary) N() int64 { return s.n }

// Mean returns the sample mean; 0 for an empty summary.
func (s Summary) Mean() float64 { return s.shift + s.mean }

// Variance returns the sample variance with the n-1 denominator; 0 when
// N < 2.
//
//	sum_i (x_i - mean)^2 / (n-1)
func (s Summary) Variance() float64 {
	if s.n < 2 {
		return 0
	}
	return math.Max(s.m2, 0) / float64(s.n-1)
}

// check validates a summary for a t test.
func (s Summary) check(name string) error {
	if !finite(s.Mean()) || !finite(s.mean) || !finite(s.m2) || s.m2 < 0 {
		return errorf(ErrInvalidInput, "%s: mean and variance must be finite and variance >= 0", name)
	}
	if s.n < 2 {
		return errorf(ErrInsufficientData, "%s: need at least 2 values, have %d", name, s.n)
	}
	return nil
}

// diffMeans returns Mean(a) - Mean(b), subtracting the shifts and the small
// means separately so that nearby large means keep their digits.
func diffMeans(a, b Summary) float64 {
	return (a.shift - b.shift) + (a.mean - b.mean)
}
