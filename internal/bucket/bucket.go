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
	seeds []uint64
	inv   []float64 // 1/weight
	index []int     // arm index in the caller's list
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
	return p
}

// Pick returns the index of the arm that wins key hash k, or -1 if the
// Picker has no arm with positive weight.
func (p *Picker) Pick(k uint64) int {
	switch len(p.seeds) {
	case 0:
		return -1
	case 1:
		return p.index[0]
	}
	best, bestScore := 0, math.Inf(1)
	for i, s := range p.seeds {
		// score = -ln(u)/w; u < 1 so -ln(u) > 0.
		score := float64(-Log(Uniform(Mix(k^s)))) * p.inv[i]
		if score < bestScore {
			best, bestScore = i, score
		}
	}
	return p.index[best]
}

// Below reports whether key hash k falls in the lowest fraction of the
// seed's hash space: a sticky sample of percent of all keys. Raising percent
// only adds keys.
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

// Log returns the natural logarithm of x for x in (0, 1], computed in pure
// Go with every product rounded explicitly (float64 conversions forbid fused
// multiply-add), so the result is identical on every architecture. The
// standard library's math.Log uses assembly on some platforms and may fuse
// operations on others; a last-bit difference there could move a unit whose
// two scores tie to within one ulp.
//
// The algorithm is FreeBSD's e_log.c, as in Go's math.log.
func Log(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01 /* 3fe62e42 fee00000 */
		ln2Lo = 1.90821492927058770002e-10 /* 3dea39ef 35793c76 */
		L1    = 6.666666666666735130e-01   /* 3FE55555 55555593 */
		L2    = 3.999999999940941908e-01   /* 3FD99999 9997FA04 */
		L3    = 2.857142874366239149e-01   /* 3FD24924 94229359 */
		L4    = 2.222219843214978396e-01   /* 3FCC71C5 1D8E78AF */
		L5    = 1.818357216161805012e-01   /* 3FC74664 96CB03DE */
		L6    = 1.531383769920937332e-01   /* 3FC39A09 D078C69F */
		L7    = 1.479819860511658591e-01   /* 3FC2F112 DF3E5244 */
	)
	f1, ki := math.Frexp(x)
	if f1 < math.Sqrt2/2 {
		f1 *= 2
		ki--
	}
	f := f1 - 1
	k := float64(ki)

	s := f / (2 + f)
	s2 := float64(s * s)
	s4 := float64(s2 * s2)
	t1 := float64(s2 * float64(L1+float64(s4*float64(L3+float64(s4*float64(L5+float64(s4*L7)))))))
	t2 := float64(s4 * float64(L2+float64(s4*float64(L4+float64(s4*L6)))))
	R := t1 + t2
	hfsq := float64(float64(0.5*f) * f)
	return float64(k*ln2Hi) - ((hfsq - (float64(s*(hfsq+R)) + float64(k*ln2Lo))) - f)
}
