package stats

import "testing"

// TestAllocs holds the hot paths to zero allocations. Each case first checks
// that its call succeeds, so that the error path (which does allocate) is not
// what gets measured.
func TestAllocs(t *testing.T) {
	big, big2 := NewSummary(100_000_000, 0, 1), NewSummary(100_000_000, 0.0003, 1)
	small, small2 := NewSummary(6, 0, 1), NewSummary(6, 1e6, 1)
	obs, shares := []int64{50123, 49877, 50010}, []float64{1, 1, 1}
	var sum Summary
	x := 1.0
	tests := []struct {
		name string
		f    func() error
	}{
		{"WelchTTest/1e8", func() error { _, err := WelchTTest(big, big2, TwoSided, 0.95); return err }},
		{"WelchTTest/df10-far-tail", func() error { _, err := WelchTTest(small, small2, Greater, 0.99); return err }},
		{"StudentTTest/1e8", func() error { _, err := StudentTTest(big, big2, Less, 0.95); return err }},
		{"StudentTTest/df10", func() error { _, err := StudentTTest(small, small2, TwoSided, 0.9); return err }},
		{"TwoProportionZTest", func() error {
			_, err := TwoProportionZTest(Proportion{200, 10000}, Proportion{245, 10000}, TwoSided, 0.95)
			return err
		}},
		{"ChiSquareGoodnessOfFit/3", func() error { _, err := ChiSquareGoodnessOfFit(obs, shares); return err }},
		{"MixtureSPRT", func() error { _, err := MixtureSPRT(big, big2, 1e-4); return err }},
		{"Summary.Add", func() error { sum.Add(x); x += 0.5; return nil }},
		{"Summary.Merge", func() error { sum = sum.Merge(big); return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.f(); err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(100, func() { _ = tc.f() }); n != 0 {
				t.Fatalf("%s: %v allocs, want 0", tc.name, n)
			}
		})
	}
}
