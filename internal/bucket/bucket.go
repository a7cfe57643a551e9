// Package bucket implements sticky, consistent assignment of unit keys to
// weighted arms: weighted rendezvous hashing over xxhash.
//
// For a unit with key hash k and an arm with seed s and weight w, the arm's
// score is
//
//	-ln(u) / w,   u = uniform(fmix64(k XOR s)) in (0, 1)
//
// and the arm with the lowest score wins. -ln(u) is exponential(1), so the
// winner is arm i with probability w_i / sum(w), and changing one weight only
// moves units into (raise) or out of (lower) that arm. Every step is integer
// arithmetic or IEEE-754 double arithmetic with explicit rounding (see Log),
// so the result is bit-identical on every machine and Go version.
package bucket

import (
	"math"

	"github.com/cespare/xxhash/v2"
)

// Key returns the 64-bit hash of a unit key.
func Key(key string) uint64 { return xxhash.Sum64String(key) }

// Seed returns the per-arm seed for salt and name: the hash of
// salt, a zero byte and name.
func Seed(salt, name string) uint64 {
	var d xxhash.Digest
	d.Reset()
	_, _ = d.WriteString(salt)
	_, _ = d.Write([]byte{0})
	_, _ = d.WriteString(name)
	return d.Sum64()
}

// Mix is murmur3's 64-bit finalizer, a bijection with full avalanche.
func Mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// Uniform maps a 64-bit hash to a float64 strictly inside (0, 1), using its
// top 52 bits: (m + 0.5) / 2^52 is exact for every 52-bit m, so the result is
// never 0 or 1.
func Uniform(h uint64) float64 {
	return (float64(h>>12) + 0.5) * (1.0 / (1 << 52))
}

// Arm is one weighted candidate of a Picker.
type Arm struct {
	Seed   uint64
	Weight float64 // > 0
}

// A Picker chooses one of its arms per key hash. The zero Picker has no arms
// and Pick returns -1.
type Picker struct {
	seeds   []uint64
	inv     []float64 // 1/weight
	index   []int     // arm index in the caller's list
	margin2 float64   // tieMargin * (inv[0] + inv[1]), for two arms
}

// NewPicker returns a Picker over the arms with positive weight. Pick returns
// indices into arms.
func NewPicker(arms []Arm) Picker {
	var p Picker
	for i, a := range arms {
		if a.Weight > 0 {
			p.seeds = append(p.seeds, a.Seed)
			p.inv = append(p.inv, 1/a.Weight)
			p.index = append(p.index, i)
		}
	}
	if len(p.inv) == 2 {
		p.margin2 = tieMargin * (p.inv[0] + p.inv[1])
	}
	return p
}

// Pick returns the index of the arm that wins key hash k, or -1 if the
// Picker has no arm with positive weight.
//
// It first compares scores made with logLinear, which is within logSlack of
// Log, and decides whenever the best approximate score beats every other
// by more than the approximation can move them (tieMargin times the sum of
// the two arms' 1/weight); only near-ties (about 2 keys in 10^5 for a
// 90/10 split) compute the exact scores. The winner is the one the exact
// scores pick, always: the fast path saves the polynomial of Log, not a
// single assignment.
func (p *Picker) Pick(k uint64) int {
	switch len(p.seeds) {
	case 0:
		return -1
	case 1:
		return p.index[0]
	case 2: // a canary
		a0 := -logLinear(Uniform(Mix(k^p.seeds[0]))) * p.inv[0]
		a1 := -logLinear(Uniform(Mix(k^p.seeds[1]))) * p.inv[1]
		if d := a1 - a0; d < -p.margin2 {
			return p.index[1]
		} else if d > p.margin2 {
			return p.index[0]
		}
		s0 := float64(-Log(Uniform(Mix(k^p.seeds[0])))) * p.inv[0]
		s1 := float64(-Log(Uniform(Mix(k^p.seeds[1])))) * p.inv[1]
		if s1 < s0 {
			return p.index[1]
		}
		return p.index[0]
	}
	if len(p.seeds) <= maxFast {
		var approx [maxFast]float64
		best := 0
		for i, s := range p.seeds {
			approx[i] = -logLinear(Uniform(Mix(k^s))) * p.inv[i]
			if approx[i] < approx[best] {
				best = i
			}
		}
		sure := true
		for i := range p.seeds {
			if i != best && !(approx[i]-approx[best] > tieMargin*(p.inv[i]+p.inv[best])) {
				sure = false
				break
			}
		}
		if sure {
			return p.index[best]
		}
	}
	return p.index[p.exact(k)]
}

// exact returns the position of the arm with the lowest exact score: the
// definition of the assignment.
func (p *Picker) exact(k uint64) int {
	best, bestScore := 0, math.Inf(1)
	for i, s := range p.seeds {
		// score = -ln(u)/w; u < 1 so -ln(u) > 0.
		score := float64(-Log(Uniform(Mix(k^s)))) * p.inv[i]
		if score < bestScore {
			best, bestScore = i, score
		}
	}
	return best
}

// maxFast is the most arms whose approximate scores Pick keeps on the
// stack; a Picker with more arms computes exact scores only.
const maxFast = 16

// logSlack bounds |Log(x) - logLinear(x)| for x in [2^-53, 1), the range
// of Uniform: log1p(r) - r for |r| <= 1/257 is below r²/2 + |r|³/3 <
// 7.59e-6, and the two functions' rounding differs by a few ulps of values
// below 37 in magnitude (< 1e-14). tieMargin adds room for the rounding of
// the scores (relative 2^-52 of values below 37/weight).
const (
	logSlack  = 7.6e-6
	tieMargin = 1e-5
)

// logLinear is Log without the polynomial: ln(x) ≈ e*ln(2) + ln(c) + r, the
// same table and the same first steps as Log, log1p(r) replaced by r. It is
// within logSlack of Log for every x in (0, 1].
func logLinear(x float64) float64 {
	hi, r := logSplit(x)
	return hi + r
}

// logSplit returns the two parts of ln(x) that Log adds: hi = e*ln(2) +
// ln(c), each step rounded, and r = m/c - 1 (see Log).
func logSplit(x float64) (hi, r float64) {
	const ln2 = 0x1.62e42fefa39efp-01
	b := math.Float64bits(x)
	e := int64(b>>52) - 1023
	if b>>52 == 0 { // subnormal: scale into the normal range
		b = math.Float64bits(x * 0x1p52)
		e = int64(b>>52) - 1023 - 52
	}
	mant := b & (1<<52 - 1)
	t := &logTable[mant>>(52-7)]
	m := math.Float64frombits(mant | 1023<<52)
	return float64(float64(e)*ln2) + t.ln, float64(m*t.inv) - 1
}

// Below reports whether key hash k, mixed with seed, falls below threshold:
// a sticky sample of the keys whose share is threshold/2^64 (see Threshold,
// which converts a percentage). Raising the threshold only adds keys.
func Below(k, seed uint64, threshold uint64) bool { return Mix(k^seed) < threshold }

// Threshold converts a percentage in [0, 100] to a Below threshold.
func Threshold(percent float64) uint64 {
	switch {
	case percent <= 0:
		return 0
	case percent >= 100:
		return math.MaxUint64
	}
	return uint64(percent / 100 * (1 << 63) * 2)
}

// Log returns the natural logarithm of x for x in (0, 1], to within about
// 1e-16 absolute, using only integer operations and IEEE-754 additions and
// multiplications that are each rounded explicitly (a float64 conversion
// forbids fused multiply-add). The result is therefore bit-identical on
// every architecture and Go version, which the standard library's math.Log
// does not promise: it uses assembly on some platforms and may fuse
// operations on others, and a last-bit difference could move a unit whose
// two scores tie to within one ulp. The constants come from a committed
// table (table.go, written by gen_table.go), not from math.Log at run time.
//
// Method: x = m * 2^e with m in [1, 2); c is the center of m's 1/128-wide
// interval, so r = m/c - 1 lies within ±1/257 and
//
//	ln(x) = e*ln(2) + ln(c) + log1p(r),  log1p(r) = r - r²/2 + r³/3 - r⁴/4 + r⁵/5
//
// with a truncation error below r⁶/6 < 1e-15 * 1e-1.
func Log(x float64) float64 {
	hi, r := logSplit(x)
	p := float64(r * float64(-0.25+float64(r*0.2)))
	p = float64(r * float64(1.0/3+p))
	p = float64(r * float64(-0.5+p))
	p = float64(r * float64(1+p))
	return hi + p
}
