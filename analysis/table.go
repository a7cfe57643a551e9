package analysis

import (
	"hash/maphash"
)

// chunkBits sets the length of a column's chunks: 65,536 values.
const chunkBits = 16

// A column is a growable array in fixed chunks: appending never copies
// what is already there, so growing to n values never needs memory for
// 2n, as a slice's doubling does.
type column[T any] struct {
	chunks [][]T
	n      int
}

func (c *column[T]) add(v T) {
	if c.n>>chunkBits == len(c.chunks) {
		c.chunks = append(c.chunks, make([]T, 1<<chunkBits))
	}
	c.chunks[c.n>>chunkBits][c.n&(1<<chunkBits-1)] = v
	c.n++
}

func (c *column[T]) at(i int) *T { return &c.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

// keys identifies units by a 96-bit hash of their key: 12 bytes a unit
// whatever the key's length, in two columns, with an open-addressing index
// of 4-byte slots (load factor between 3/8 and 3/4). Two of a billion keys
// collide with probability below 1e-11.
type keys struct {
	seed  [2]maphash.Seed
	hi    column[uint64]
	lo    column[uint32]
	slots []uint32 // unit index + 1; 0 is empty
}

func newKeys() keys {
	return keys{seed: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, slots: make([]uint32, 1024)}
}

func (k *keys) hash(unit []byte) (uint64, uint32) {
	return maphash.Bytes(k.seed[0], unit), uint32(maphash.Bytes(k.seed[1], unit))
}

func (k *keys) hashString(unit string) (uint64, uint32) {
	return maphash.String(k.seed[0], unit), uint32(maphash.String(k.seed[1], unit))
}

// find returns the index of the unit with hash (hi, lo), or ok false and
// the slot where it would go.
func (k *keys) find(hi uint64, lo uint32) (i int, ok bool, slot int) {
	mask := len(k.slots) - 1
	for s := int(hi) & mask; ; s = (s + 1) & mask {
		v := k.slots[s]
		if v == 0 {
			return 0, false, s
		}
		if j := int(v - 1); *k.hi.at(j) == hi && *k.lo.at(j) == lo {
			return j, true, s
		}
	}
}

// add appends a unit with hash (hi, lo) at slot (from find) and returns
// its index.
func (k *keys) add(hi uint64, lo uint32, slot int) int {
	i := k.hi.n
	k.hi.add(hi)
	k.lo.add(lo)
	k.slots[slot] = uint32(i + 1)
	if 4*k.hi.n > 3*len(k.slots) {
		k.grow()
	}
	return i
}

// grow doubles the index and places every unit again.
func (k *keys) grow() {
	k.slots = make([]uint32, 2*len(k.slots))
	mask := len(k.slots) - 1
	for i := range k.hi.n {
		s := int(*k.hi.at(i)) & mask
		for k.slots[s] != 0 {
			s = (s + 1) & mask
		}
		k.slots[s] = uint32(i + 1)
	}
}

// len returns the number of units.
func (k *keys) len() int { return k.hi.n }
