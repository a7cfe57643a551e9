package exposure

import (
	"encoding/binary"
	"math/bits"
	"time"

	"github.com/cespare/xxhash/v2"
)

// dedupWays is the associativity of the de-duplication table: a key may sit
// in any of the 4 entries of its set, and a new key replaces the set's
// oldest entry.
const dedupWays = 4

// dedupEntry remembers when a key was last written. A zero hash marks an
// empty entry (hashes are forced odd).
type dedupEntry struct {
	hash uint64
	at   int64 // UnixNano
}

// dedupTable is a fixed-size, set-associative table of recently written
// (plan, variant, unit) keys, identified by a 64-bit hash. Its memory never
// grows: a key evicted by newer ones is forgotten early, which can only
// let a repeat through (a duplicate line), never drop a first exposure —
// except on a 64-bit hash collision, with probability about
// entries/2^64 per exposure. It is used by the background goroutine
// alone.
type dedupTable struct {
	entries []dedupEntry
	mask    uint64 // number of sets - 1
	window  int64
	digest  *xxhash.Digest
	lens    [24]byte
}

func newDedupTable(entries int, window time.Duration) *dedupTable {
	sets := max(1, (entries+dedupWays-1)/dedupWays)
	sets = 1 << bits.Len(uint(sets-1)) // round up to a power of two
	return &dedupTable{
		entries: make([]dedupEntry, sets*dedupWays),
		mask:    uint64(sets - 1),
		window:  int64(window),
		digest:  xxhash.New(),
	}
}

// hash returns the key's hash: the three lengths, then the three strings,
// so that no two different keys write the same bytes.
func (d *dedupTable) hash(plan, variant, unit string) uint64 {
	binary.LittleEndian.PutUint64(d.lens[0:], uint64(len(plan)))
	binary.LittleEndian.PutUint64(d.lens[8:], uint64(len(variant)))
	binary.LittleEndian.PutUint64(d.lens[16:], uint64(len(unit)))
	d.digest.Reset()
	_, _ = d.digest.Write(d.lens[:])
	_, _ = d.digest.WriteString(plan)
	_, _ = d.digest.WriteString(variant)
	_, _ = d.digest.WriteString(unit)
	return d.digest.Sum64() | 1
}

// seen reports whether the key was written less than the window before at
// (a repeat, to skip); otherwise it records the key as written at at.
func (d *dedupTable) seen(plan, variant, unit string, at int64) bool {
	repeat, _ := d.check(plan, variant, unit, at)
	return repeat
}

// check is seen, also returning the key's hash for forget.
func (d *dedupTable) check(plan, variant, unit string, at int64) (repeat bool, h uint64) {
	h = d.hash(plan, variant, unit)
	set := d.entries[(h>>32&d.mask)*dedupWays:][:dedupWays]
	victim := 0
	for i := range set {
		if set[i].hash == h {
			if at-set[i].at < d.window {
				return true, h
			}
			set[i].at = at
			return false, h
		}
		if set[victim].hash != 0 && (set[i].hash == 0 || set[i].at < set[victim].at) {
			victim = i // an empty entry, else the oldest
		}
	}
	set[victim] = dedupEntry{hash: h, at: at}
	return false, h
}

// forget undoes check's record of the key with hash h as written at at,
// because its line was not written after all: its next exposure is not a
// repeat. (If the key was written before, outside the window, forgetting
// that too can only let a repeat through.)
func (d *dedupTable) forget(h uint64, at int64) {
	set := d.entries[(h>>32&d.mask)*dedupWays:][:dedupWays]
	for i := range set {
		if set[i].hash == h && set[i].at == at {
			set[i] = dedupEntry{}
			return
		}
	}
}
