package hist

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// refIndex is the OpenTelemetry mapping, ceil(log2(v) * 2^scale) - 1 for v
// in seconds, computed in 200-bit arithmetic: it compares v with the bucket
// boundaries 2^(i/2^scale) rounded to 200 bits, far from float64's reach.
func refIndex(d time.Duration, scale int) int {
	v := new(big.Float).SetPrec(200).Quo(big.NewFloat(float64(d)).SetPrec(200), big.NewFloat(1e9).SetPrec(200))
	// First guess from float64, then settle on the exact side.
	i := int(math.Ceil(math.Log2(float64(d)/1e9)*math.Ldexp(1, scale))) - 1
	for {
		lo, hi := bigBound(i, scale), bigBound(i+1, scale)
		switch {
		case v.Cmp(lo) <= 0:
			i--
		case v.Cmp(hi) > 0:
			i++
		default:
			return i
		}
	}
}

// bigBound returns 2^(i/2^scale) to 200 bits: 2^floor part times the
// 2^scale-th root of 2 raised to the remainder, by Newton's method on
// x^(2^scale) = 2^r.
func bigBound(i, scale int) *big.Float {
	n := 1 << scale
	q, r := i/n, i%n
	if r < 0 {
		q, r = q-1, r+n
	}
	x := big.NewFloat(1).SetPrec(200)
	if r != 0 {
		// Root of 2^r of degree n: square roots taken scale times.
		x.SetMantExp(big.NewFloat(1).SetPrec(200), r) // 2^r
		for range scale {
			x.Sqrt(x)
		}
	}
	return x.SetMantExp(x, q)
}

func TestIndexMatchesOpenTelemetry(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for scale := MinScale; scale <= MaxScale; scale++ {
		h := New(scale)
		durations := []time.Duration{954, 1000, time.Microsecond + 1, time.Millisecond, 1234567, time.Second, time.Second + 1, 2 * time.Second, 3 * time.Second, 64*time.Second - 1, 64 * time.Second}
		for range 2000 {
			// Log-uniform over the range.
			x := math.Exp2(LowExp + (HighExp-LowExp)*rng.Float64())
			durations = append(durations, min(max(time.Duration(x*1e9), zeroMax+1), overMin))
		}
		for _, d := range durations {
			if got, want := h.index(d), refIndex(d, scale); got != want {
				t.Fatalf("scale %d: index(%d ns) = %d, want %d", scale, d, got, want)
			}
		}
	}
}

// TestIndexPowersOfTwo checks the exact case: a power of two is the upper
// bound of its bucket, at every scale.
func TestIndexPowersOfTwo(t *testing.T) {
	for scale := MinScale; scale <= MaxScale; scale++ {
		h := New(scale)
		for k := 0; k <= HighExp; k++ {
			d := time.Duration(1<<k) * time.Second
			if got, want := h.index(d), k<<scale-1; got != want {
				t.Errorf("scale %d: index(2^%d s) = %d, want %d", scale, k, got, want)
			}
			if got, want := h.index(d+1), k<<scale; got != want {
				t.Errorf("scale %d: index(2^%d s + 1ns) = %d, want %d", scale, k, got, want)
			}
		}
	}
}

func TestAdd(t *testing.T) {
	tests := []struct {
		name             string
		d                time.Duration
		zero, over, slot int // slot -1: no regular bucket
	}{
		{"negative", -time.Second, 1, 0, -1},
		{"zero", 0, 1, 0, -1},
		{"largest in zero bucket", 953, 1, 0, -1},
		{"first bucket", 954, 0, 0, 0},
		{"one second closes its bucket", time.Second, 0, 0, 20<<DefaultScale - 1},
		{"64s is the last bucket", 64 * time.Second, 0, 0, 26<<DefaultScale - 1},
		{"overflow", 64*time.Second + 1, 0, 1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := New(DefaultScale)
			h.Add(tc.d)
			s := h.Snapshot()
			if s.ZeroCount != int64(tc.zero) || s.Overflow != int64(tc.over) || s.Count() != 1 {
				t.Fatalf("zero %d overflow %d count %d", s.ZeroCount, s.Overflow, s.Count())
			}
			if tc.slot >= 0 && s.Counts[tc.slot] != 1 {
				t.Fatalf("bucket %d not counted: %v", tc.slot, s.Counts)
			}
			if s.Sum != max(tc.d, 0) {
				t.Fatalf("sum %v", s.Sum)
			}
			if s.Scale != DefaultScale || s.Offset != LowExp<<DefaultScale || len(s.Counts) != 208 {
				t.Fatalf("layout scale %d offset %d len %d", s.Scale, s.Offset, len(s.Counts))
			}
		})
	}
}

// logUniform returns n durations spread log-uniformly over [lo, hi].
func logUniform(rng *rand.Rand, n int, lo, hi time.Duration) []time.Duration {
	ds := make([]time.Duration, n)
	a, b := math.Log(float64(lo)), math.Log(float64(hi))
	for i := range ds {
		ds[i] = time.Duration(math.Exp(a + (b-a)*rng.Float64()))
	}
	return ds
}

// quantileError returns the largest relative error of Quantile over a set
// of q, against the exact ceil(q*n)-th smallest value.
func quantileError(scale int, ds []time.Duration) float64 {
	h := New(scale)
	for _, d := range ds {
		h.Add(d)
	}
	s := h.Snapshot()
	sorted := slices.Sorted(slices.Values(ds))
	worst := 0.0
	for q := 0.0; q <= 1; q += 0.001 {
		rank := max(int(math.Ceil(q*float64(len(ds)))), 1)
		want := float64(sorted[rank-1])
		worst = max(worst, math.Abs(float64(s.Quantile(q))-want)/want)
	}
	return worst
}

func TestQuantileError(t *testing.T) {
	for _, scale := range []int{0, 2, DefaultScale, 5, MaxScale} {
		t.Run("scale "+string(rune('0'+scale)), func(t *testing.T) {
			base := math.Exp2(math.Ldexp(1, -scale))
			bound := (base - 1) / (base + 1)
			rng := rand.New(rand.NewPCG(uint64(scale), 7))
			ds := logUniform(rng, 20000, time.Microsecond, time.Minute)
			got := quantileError(scale, ds)
			// 1 ns of rounding on a 1 µs value is 1e-3 relative.
			if got > bound+1e-3 {
				t.Fatalf("max relative error %.5f, bound %.5f", got, bound)
			}
			t.Logf("scale %d: max relative error %.4f%% (bound %.4f%%)", scale, 100*got, 100*bound)
		})
	}
}

func TestQuantileEdges(t *testing.T) {
	var empty Snapshot
	if empty.Quantile(0.5) != 0 || empty.Count() != 0 {
		t.Fatal("empty snapshot")
	}
	h := New(DefaultScale)
	h.Add(0)
	h.Add(10 * time.Millisecond)
	h.Add(time.Hour)
	s := h.Snapshot()
	tests := []struct {
		name string
		q    float64
		want time.Duration
	}{
		{"q 0 is the smallest: half the zero bucket's end", 0, 477 * time.Nanosecond},
		{"NaN is q 0", math.NaN(), 477 * time.Nanosecond},
		{"median", 0.5, 10 * time.Millisecond},
		{"max overflows: the range's end", 1, 64 * time.Second},
		{"q above 1", 2, 64 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := s.Quantile(tc.q)
			if math.Abs(float64(got-tc.want)) > 0.0433*float64(tc.want) {
				t.Fatalf("Quantile(%v) = %v, want about %v", tc.q, got, tc.want)
			}
		})
	}
}

func TestBound(t *testing.T) {
	s := Snapshot{Scale: 3}
	for k := -20; k <= 6; k++ {
		if got := s.Bound(k << 3); got != math.Ldexp(1, k) {
			t.Errorf("Bound(%d) = %v, want 2^%d exactly", k<<3, got, k)
		}
	}
	if got, want := s.Bound(1), math.Pow(2, 1.0/8); math.Abs(got-want) > 1e-15 {
		t.Errorf("Bound(1) = %v, want %v", got, want)
	}
}

func snapshotOf(scale int, ds ...time.Duration) Snapshot {
	h := New(scale)
	for _, d := range ds {
		h.Add(d)
	}
	return h.Snapshot()
}

func equalSnapshots(a, b Snapshot) bool {
	return a.Scale == b.Scale && a.Offset == b.Offset && slices.Equal(a.Counts, b.Counts) &&
		a.ZeroCount == b.ZeroCount && a.Overflow == b.Overflow && a.Sum == b.Sum
}

func TestSubMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := logUniform(rng, 500, 100, 2*time.Minute)
	b := logUniform(rng, 700, 100, 2*time.Minute)
	both := append(slices.Clone(a), b...)
	tests := []struct {
		name      string
		got, want Snapshot
	}{
		{"merge, same scale", snapshotOf(3, a...).Merge(snapshotOf(3, b...)), snapshotOf(3, both...)},
		{"sub, same scale", snapshotOf(3, both...).Sub(snapshotOf(3, a...)), snapshotOf(3, b...)},
		// Downscaling is exact: scale 3 merged into scale 1 is what a
		// scale-1 histogram counts.
		{"merge, finer into coarser", snapshotOf(3, a...).Merge(snapshotOf(1, b...)), snapshotOf(1, both...)},
		{"merge, coarser with finer", snapshotOf(0, a...).Merge(snapshotOf(8, b...)), snapshotOf(0, both...)},
		{"sub, different scales", snapshotOf(5, both...).Sub(snapshotOf(2, a...)), snapshotOf(2, b...)},
		{"sub of the zero Snapshot", snapshotOf(3, a...).Sub(Snapshot{}), snapshotOf(3, a...)},
		{"merge into the zero Snapshot", Snapshot{}.Merge(snapshotOf(4, b...)), snapshotOf(4, b...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !equalSnapshots(tc.got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", tc.got, tc.want)
			}
		})
	}
}

// TestMergeRanges merges snapshots whose ranges differ: the merged range is
// the narrower one, and what falls outside it goes to the zero or overflow
// bucket.
func TestMergeRanges(t *testing.T) {
	// Scale 1 (base sqrt 2). a covers buckets 0..3, b covers 2..5.
	a := Snapshot{Scale: 1, Offset: 0, Counts: []int64{1, 2, 3, 4}, ZeroCount: 10}
	b := Snapshot{Scale: 1, Offset: 2, Counts: []int64{5, 6, 7, 8}, Overflow: 20}
	got := a.Merge(b)
	want := Snapshot{Scale: 1, Offset: 2, Counts: []int64{3 + 5, 4 + 6}, ZeroCount: 10 + 1 + 2, Overflow: 20 + 7 + 8}
	if !equalSnapshots(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// An end that is no boundary at the coarser scale moves inward: c's low
	// end, index 1 at scale 1, lies inside bucket 0 at scale 0, so c's
	// bucket 1 joins the zero bucket; c's high end (index 4, 2 at scale 0)
	// is below d's (3), so d's bucket 2 would overflow.
	c := Snapshot{Scale: 1, Offset: 1, Counts: []int64{1, 2, 3}} // buckets 1, 2, 3
	d := Snapshot{Scale: 0, Offset: 0, Counts: []int64{0, 0, 4}}
	got = c.Merge(d)
	want = Snapshot{Scale: 0, Offset: 1, Counts: []int64{2 + 3}, ZeroCount: 1, Overflow: 4}
	if !equalSnapshots(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got.Count() != c.Count()+d.Count() {
		t.Fatalf("merge lost counts: %d, want %d", got.Count(), c.Count()+d.Count())
	}
}

func TestNewPanicsOnBadScale(t *testing.T) {
	for _, scale := range []int{MinScale - 1, MaxScale + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d) did not panic", scale)
				}
			}()
			New(scale)
		}()
	}
}

func TestAddAllocs(t *testing.T) {
	h := New(DefaultScale)
	if n := testing.AllocsPerRun(1000, func() { h.Add(1234567) }); n != 0 {
		t.Fatalf("Add: %v allocs, want 0", n)
	}
}

func TestConcurrentAdd(t *testing.T) {
	h := New(DefaultScale)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 10000 {
				h.Add(time.Duration(i*(g+1)) * time.Microsecond)
				if i%1000 == 0 {
					_ = h.Snapshot().Quantile(0.99)
				}
			}
		})
	}
	wg.Wait()
	if n := h.Snapshot().Count(); n != 40000 {
		t.Fatalf("count %d, want 40000", n)
	}
}

// TestSnapshotUsedRange checks that snapshots, which read only the counts
// between the lowest and highest index ever added to, equal a reading of
// every count: at the ends of the range, with a reused dirty buffer, and
// while other goroutines add.
func TestSnapshotUsedRange(t *testing.T) {
	full := func(h *Histogram) []int64 {
		c := make([]int64, len(h.counts))
		for i := range h.counts {
			c[i] = h.counts[i].Load()
		}
		return c
	}
	dirty := make([]int64, 208)
	for i := range dirty {
		dirty[i] = -7
	}
	for _, ds := range [][]time.Duration{
		nil, {0}, {954}, {64 * time.Second}, {954, 64 * time.Second}, {time.Millisecond, time.Microsecond, time.Second},
	} {
		h := New(DefaultScale)
		for _, d := range ds {
			h.Add(d)
		}
		if got := h.SnapshotInto(dirty).Counts; !slices.Equal(got, full(h)) {
			t.Errorf("durations %v: snapshot counts differ from the counters", ds)
		}
		if n, _ := h.Totals(); n != int64(len(ds)) {
			t.Errorf("durations %v: Totals counts %d", ds, n)
		}
	}

	h := New(DefaultScale)
	rng := rand.New(rand.NewPCG(8, 9))
	want := logUniform(rng, 40000, time.Microsecond, time.Minute)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for _, d := range want[g*10000 : (g+1)*10000] {
				h.Add(d)
			}
		})
	}
	var prev int64
	for range 200 {
		s := h.SnapshotInto(dirty)
		if n := s.Count(); n < prev {
			t.Fatalf("a snapshot counts %d, an earlier one %d", n, prev)
		} else {
			prev = n
		}
	}
	wg.Wait()
	ref := New(DefaultScale)
	for _, d := range want {
		ref.Add(d)
	}
	if got := h.SnapshotInto(dirty); !slices.Equal(got.Counts, full(ref)) || got.Sum != ref.Snapshot().Sum {
		t.Fatalf("after concurrent adds the snapshot differs from one histogram's of the same durations")
	}
}
