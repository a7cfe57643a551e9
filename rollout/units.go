package rollout

import (
	"sync"
	"sync/atomic"
)

// The unit sketch's table grows from unitSlotsMin to unitSlotsMax slots (8
// bytes each); beyond unitLoad of the largest, the sampling rate halves.
const (
	unitSlotsMin = 1 << 10
	unitSlotsMax = 1 << 17
	unitLoad     = 0.7
	// maxSketchVariants is the number of variants a sketch can tell apart
	// (the low byte of an entry holds the variant).
	maxSketchVariants = 255
)

// unitSketch counts the distinct units of each variant under one plan
// revision, in bounded memory, by adaptive hash sampling: a unit is sampled
// when the top level bits of its hash, mixed with the sketch's seed, are
// zero; the sampled units are kept exactly (an open-addressing set of 56-bit
// hashes tagged with the variant); when the set is full (unitLoad of
// unitSlotsMax slots, about 92,000 units) level rises by one, halving the
// rate and keeping the sampled units that still qualify. The sample does not
// depend on assignment (the seed is the sketch's own), so the sampled units
// of each variant are an exact binomial sample of the units seen: a
// sample-ratio test on them is exact at any level. A count, scaled by
// 2^level, estimates the variant's units.
//
// add is lock-free and allocation-free; a resize takes a lock and allocates,
// and a unit whose first request races with a resize may go uncounted.
type unitSketch struct {
	seed uint64
	tab  atomic.Pointer[unitTable]
	mu   sync.Mutex // serializes resizes
}

type unitTable struct {
	level  uint
	mask   uint64
	limit  int64
	slots  []atomic.Uint64
	n      atomic.Int64
	counts []atomic.Int64 // by variant index
}

func newUnitTable(slots int, level uint, variants int) *unitTable {
	return &unitTable{
		level:  level,
		mask:   uint64(slots - 1),
		limit:  int64(float64(slots) * unitLoad),
		slots:  make([]atomic.Uint64, slots),
		counts: make([]atomic.Int64, variants),
	}
}

func (s *unitSketch) init(seed uint64, variants int) {
	s.seed = seed
	s.tab.Store(newUnitTable(unitSlotsMin, 0, min(variants, maxSketchVariants)))
}

// mix64 is the splitmix64 finalizer: every output bit depends on every input
// bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// sampled reports whether a unit whose mixed hash is m is in the sample at
// level.
func sampled(m uint64, level uint) bool { return level == 0 || m>>(64-level) == 0 }

// add records that the unit whose key hashes to h was seen under variant v.
// A zero h (no key) is ignored.
func (s *unitSketch) add(h uint64, v int) {
	t := s.tab.Load()
	if h == 0 || t == nil || v >= len(t.counts) {
		return
	}
	m := mix64(h ^ s.seed)
	if !sampled(m, t.level) {
		return
	}
	if t.insert(m, v) && t.n.Load() > t.limit {
		s.resize(t)
	}
}

// insert adds the unit to t and reports whether it was new.
func (t *unitTable) insert(m uint64, v int) bool {
	key := m&^0xff | uint64(v+1)
	i := (m >> 8) & t.mask
	for range len(t.slots) {
		e := t.slots[i].Load()
		if e == 0 {
			if t.slots[i].CompareAndSwap(0, key) {
				t.counts[v].Add(1)
				t.n.Add(1)
				return true
			}
			e = t.slots[i].Load()
		}
		if e&^0xff == m&^0xff {
			return false
		}
		i = (i + 1) & t.mask
	}
	return false // full: cannot happen below the load limit
}

// resize replaces t by a table twice as large or, at the largest size, by
// one at the next level with the entries that still qualify.
func (s *unitSketch) resize(t *unitTable) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tab.Load() != t {
		return // another goroutine did it
	}
	size, level := 2*len(t.slots), t.level
	if size > unitSlotsMax {
		size, level = unitSlotsMax, level+1
	}
	nt := newUnitTable(size, level, len(t.counts))
	for i := range t.slots {
		if e := t.slots[i].Load(); e != 0 && sampled(e, level) {
			nt.insert(e&^0xff, int(e&0xff)-1)
		}
	}
	for nt.n.Load() > nt.limit { // a level that keeps too many: go up again
		nt2 := newUnitTable(size, nt.level+1, len(t.counts))
		for i := range nt.slots {
			if e := nt.slots[i].Load(); e != 0 && sampled(e, nt2.level) {
				nt2.insert(e&^0xff, int(e&0xff)-1)
			}
		}
		nt = nt2
	}
	s.tab.Store(nt)
}

// count returns the sampled units of variant v in t (the estimate of its
// units is count << t.level). Read the variants compared from one table, so
// that their counts share a level.
func (t *unitTable) count(v int) int64 {
	if t == nil || v < 0 || v >= len(t.counts) {
		return 0
	}
	return t.counts[v].Load()
}
