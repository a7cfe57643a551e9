package bucket

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestLogMatchesMath(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 1_000_000 {
		x := Uniform(r.Uint64())
		if i%3 == 0 {
			x = math.Ldexp(x, -r.IntN(1000)) // tiny, but normal, values
		}
		got, want := Log(x), math.Log(x)
		if err := math.Abs(got - want); err > 1e-15*max(1, math.Abs(want)) {
			t.Fatalf("Log(%v) = %v, math.Log = %v (error %v)", x, got, want, err)
		}
	}
	// Subnormals: math.Log's amd64 assembly returns -709.09 for 5e-324; the
	// portable Log is right. (Assign never passes a value below 2^-53.)
	tests := []struct{ x, want float64 }{
		{1, 0}, {0.5, -math.Ln2}, {math.SmallestNonzeroFloat64, -744.4400719213812}, {0x1p-1074 * 3, -743.3414596327131},
	}
	for _, tc := range tests {
		if got := Log(tc.x); math.Abs(got-tc.want) > 1e-15*max(1, math.Abs(tc.want)) {
			t.Errorf("Log(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
}

func TestUniformRange(t *testing.T) {
	for _, h := range []uint64{0, 1, math.MaxUint64, 1 << 63} {
		if u := Uniform(h); !(u > 0 && u < 1) {
			t.Errorf("Uniform(%#x) = %v, want inside (0, 1)", h, u)
		}
	}
}

func TestThreshold(t *testing.T) {
	tests := []struct {
		percent float64
		want    uint64
	}{
		{-1, 0}, {0, 0}, {100, math.MaxUint64}, {150, math.MaxUint64}, {50, 1 << 63},
	}
	for _, tc := range tests {
		if got := Threshold(tc.percent); got != tc.want {
			t.Errorf("Threshold(%v) = %#x, want %#x", tc.percent, got, tc.want)
		}
	}
}

func TestPickerEdges(t *testing.T) {
	var empty Picker
	if got := empty.Pick(42); got != -1 {
		t.Errorf("zero Picker: Pick = %d, want -1", got)
	}
	p := NewPicker([]Arm{{Seed: 1, Weight: 0}, {Seed: 2, Weight: 5}, {Seed: 3, Weight: 0}})
	for k := range uint64(1000) {
		if got := p.Pick(k); got != 1 {
			t.Fatalf("Pick(%d) = %d, want the only positive arm 1", k, got)
		}
	}
}

func BenchmarkPick2(b *testing.B) {
	p := NewPicker([]Arm{{Seed: Seed("s", "a"), Weight: 90}, {Seed: Seed("s", "b"), Weight: 10}})
	b.ReportAllocs()
	var k uint64
	for b.Loop() {
		k++
		_ = p.Pick(Key("user-123456") ^ k)
	}
}

func TestLogLinearWithinSlack(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	worst := 0.0
	check := func(x float64) {
		if d := math.Abs(Log(x) - logLinear(x)); d > worst {
			worst = d
		}
	}
	for range 2_000_000 {
		check(Uniform(r.Uint64()))
	}
	// Near the ends of the table's intervals, where |r| is largest, and at
	// the ends of Uniform's range.
	for i := range uint64(128) {
		for _, off := range []uint64{0, 1, 1<<44 - 1, 1 << 43, 1<<43 - 1} {
			check(math.Float64frombits(1022<<52 | i<<45 | off&(1<<45-1)))
		}
	}
	check(Uniform(0))
	check(Uniform(math.MaxUint64))
	if worst > logSlack {
		t.Fatalf("|Log - logLinear| reaches %g, above logSlack %g", worst, logSlack)
	}
	t.Logf("largest |Log - logLinear|: %.4g (logSlack %g)", worst, logSlack)
}

// TestPickIsExact checks that Pick, with its approximate first pass, picks
// the arm of the lowest exact score for every key, near-ties included.
func TestPickIsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	weights := [][]float64{
		{50, 50}, {90, 10}, {99.9, 0.1}, {1, 1e6}, {0.001, 0.002},
		{10, 20, 30, 40}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, // maxFast arms
		{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, // more: exact only
	}
	for _, ws := range weights {
		arms := make([]Arm, len(ws))
		for i, w := range ws {
			arms[i] = Arm{Seed: r.Uint64(), Weight: w}
		}
		p := NewPicker(arms)
		near := 0
		a := make([]float64, len(p.seeds))
		for range 1_000_000 {
			k := r.Uint64()
			want := p.exact(k)
			if got := p.Pick(k); got != p.index[want] {
				t.Fatalf("weights %v: Pick(%#x) = %d, exact scores pick %d", ws, k, got, p.index[want])
			}
			// Count the keys whose best two approximate scores are within
			// the margin: Pick decided those with exact scores.
			for i, s := range p.seeds {
				a[i] = -logLinear(Uniform(Mix(k^s))) * p.inv[i]
			}
			for i := range a {
				if i != want && math.Abs(a[i]-a[want]) <= tieMargin*(p.inv[i]+p.inv[want]) {
					near++
					break
				}
			}
		}
		t.Logf("weights %v: %d near-ties in 10^6 keys decided exactly", ws, near)
		if len(ws) <= maxFast && near == 0 {
			t.Errorf("weights %v: no near-tie in 10^6 keys: the exact path went untested", ws)
		}
	}
}
