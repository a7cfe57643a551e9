package rollout

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/varroute/varroute/router"
)

func TestUnitSketch(t *testing.T) {
	for _, tc := range []struct {
		name      string
		units     int
		visits    int // each unit seen this many times
		wantLevel uint
	}{
		{"few units, exact", 500, 3, 0},
		{"grown tables, exact", 60_000, 2, 0},
		{"sampled", 200_000, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.units), 9))
			var s unitSketch
			s.init(rng.Uint64(), 2)
			hashes := make([]uint64, tc.units)
			var perVariant [2]int64
			for i := range hashes {
				hashes[i] = rng.Uint64() | 1
				perVariant[i%2]++
			}
			for range tc.visits {
				for i, h := range hashes {
					s.add(h, i%2)
				}
			}
			tab := s.tab.Load()
			if tab.level != tc.wantLevel {
				t.Fatalf("level %d, want %d", tab.level, tc.wantLevel)
			}
			for v := range 2 {
				got := tab.count(v) << tab.level
				if tc.wantLevel == 0 && got != perVariant[v] {
					t.Fatalf("variant %d: %d units, want exactly %d", v, got, perVariant[v])
				}
				// Sampled: within 5 standard errors of the binomial sample.
				sd := math.Sqrt(float64(perVariant[v]) * math.Ldexp(1, int(tab.level)))
				if math.Abs(float64(got-perVariant[v])) > 5*sd {
					t.Fatalf("variant %d: %d units, want %d within %v", v, got, perVariant[v], 5*sd)
				}
			}
		})
	}
}

// TestUnitSketchConcurrent adds the same units from several goroutines, the
// table growing meanwhile, and checks each counted once.
func TestUnitSketchConcurrent(t *testing.T) {
	var s unitSketch
	s.init(42, 1)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20_000 {
				s.add(uint64((i+g*5000)%20_000+1)*0x9e3779b97f4a7c15, 0)
			}
		})
	}
	wg.Wait()
	// A unit whose first request races with a resize may be lost, so allow a
	// few.
	if n := s.tab.Load().count(0); n > 20_000 || n < 19_900 {
		t.Fatalf("%d units, want 20,000", n)
	}
}

// TestCollectorUnits checks that Read reports distinct units per variant and
// revision, and ignores units without a key.
func TestCollectorUnits(t *testing.T) {
	c := NewCollector("p", "a", "b")
	ctx := context.Background()
	for i := range 3000 {
		v := []string{"a", "b"}[i%3/2] // a, a, b
		h := uint64(i%1500+1) * 0x9e3779b97f4a7c15
		c.Observe(ctx, router.Outcome{Decision: router.Decision{Plan: "p", Revision: "r", Variant: v}, UnitHash: h})
	}
	c.Observe(ctx, router.Outcome{Decision: router.Decision{Plan: "p", Revision: "r", Variant: "a"}})
	ev, _ := c.Read(ctx, Query{Plan: "p", Revision: "r", Baseline: "a", Candidate: "b"})
	// Units i and i+1500 share a hash; unit k is seen as i = k and k+1500,
	// whose variants (i%3) agree for k%3 since 1500%3 == 0.
	if ev.Baseline.Units != 1000 || ev.Candidate.Units != 500 {
		t.Fatalf("units %d and %d, want 1000 and 500", ev.Baseline.Units, ev.Candidate.Units)
	}
}

func BenchmarkUnitSketchAdd(b *testing.B) {
	var s unitSketch
	s.init(1, 2)
	rng := rand.New(rand.NewPCG(1, 2))
	hashes := make([]uint64, 1<<20)
	for i := range hashes {
		hashes[i] = rng.Uint64()
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.add(hashes[i&(len(hashes)-1)], i&1)
		i++
	}
}
