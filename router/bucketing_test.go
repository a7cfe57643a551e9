package router

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/internal/assign"
	"github.com/varroute/varroute/strategy"
	"gonum.org/v1/gonum/stat/distuv"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json")

func key(i int) string { return "user-" + strconv.Itoa(i) }

// compiled decides units under one compiled plan, as a router does.
type compiled struct{ ds decisions }

func (c compiled) Decide(key string, attrs audience.Attributes) (d Decision) {
	c.ds.fill(&d, c.ds.t.Assign(key, attrs))
	return d
}

func mustCompile(t testing.TB, p strategy.Plan) compiled {
	t.Helper()
	c, err := assign.Compile(p)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return compiled{newDecisions(c)}
}

func split(pairs ...any) strategy.Split {
	var s strategy.Split
	for i := 0; i < len(pairs); i += 2 {
		s = append(s, strategy.Arm{Variant: pairs[i].(string), Weight: float64(pairs[i+1].(int))})
	}
	return s
}

// chiSquareP returns the p-value of observed counts against expected shares.
func chiSquareP(observed []int, shares []float64) float64 {
	n := 0
	for _, o := range observed {
		n += o
	}
	stat := 0.0
	for i, o := range observed {
		e := shares[i] * float64(n)
		stat += (float64(o) - e) * (float64(o) - e) / e
	}
	return distuv.ChiSquared{K: float64(len(observed) - 1)}.Survival(stat)
}

func TestSticky(t *testing.T) {
	p := strategy.ABTest("sticky", split("a", 25, "b", 25, "c", 50))
	c1, c2 := mustCompile(t, p), mustCompile(t, p.Clone())
	for i := range 20000 {
		k := key(i)
		v := c1.Decide(k, nil).Variant
		if again := c1.Decide(k, nil).Variant; again != v {
			t.Fatalf("key %q: %s then %s", k, v, again)
		}
		if other := c2.Decide(k, nil).Variant; other != v {
			t.Fatalf("key %q: %s, recompiled %s", k, v, other)
		}
	}
}

func TestProportional(t *testing.T) {
	const n = 200_000
	tests := []struct {
		name  string
		split strategy.Split
	}{
		{"three uneven", split("a", 50, "b", 30, "c", 20)},
		{"three even", strategy.Even("a", "b", "c")},
		{"four with tiny", strategy.Split{{Variant: "a", Weight: 1}, {Variant: "b", Weight: 9}, {Variant: "c", Weight: 40}, {Variant: "d", Weight: 50}}},
		{"five", split("a", 10, "b", 20, "c", 30, "d", 15, "e", 25)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustCompile(t, strategy.ABTest("prop-"+tc.name, tc.split))
			idx := map[string]int{}
			shares := make([]float64, len(tc.split))
			for i, a := range tc.split {
				idx[a.Variant] = i
				shares[i] = a.Weight / 100
			}
			counts := make([]int, len(tc.split))
			for i := range n {
				counts[idx[c.Decide(key(i), nil).Variant]]++
			}
			if p := chiSquareP(counts, shares); p < 0.001 {
				t.Errorf("counts %v for shares %v: chi-square p = %.3g, want >= 0.001", counts, shares, p)
			}
		})
	}
}

// moves decides n keys under both splits and returns the count of units
// per (from, to) pair that changed variant.
func moves(t *testing.T, name string, from, to strategy.Split, n int) map[[2]string]int {
	t.Helper()
	a, b := mustCompile(t, strategy.ABTest(name, from)), mustCompile(t, strategy.ABTest(name, to))
	m := map[[2]string]int{}
	for i := range n {
		va, vb := a.Decide(key(i), nil).Variant, b.Decide(key(i), nil).Variant
		if va != vb {
			m[[2]string{va, vb}]++
		}
	}
	return m
}

func TestMinimalMovement(t *testing.T) {
	const n = 100_000
	base := split("a", 30, "b", 30, "c", 40)
	tests := []struct {
		name   string
		to     strategy.Split
		onlyTo string // every moved unit goes to this variant ("" to skip)
		onlyFr string // every moved unit comes from this variant ("" to skip)
	}{
		{"raise first", base.WithWeight("a", 50), "a", ""},
		{"raise middle", base.WithWeight("b", 60), "b", ""},
		{"raise last", base.WithWeight("c", 70), "c", ""},
		{"lower first", base.WithWeight("a", 10), "", "a"},
		{"lower middle", base.WithWeight("b", 5), "", "b"},
		{"lower last", base.WithWeight("c", 20), "", "c"},
		{"remove middle", base.Without("b"), "", "b"},
		{"middle to zero", base.WithWeight("b", 0), "", "b"},
		{"add a variant", base.WithWeight("d", 10), "d", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := moves(t, "movement", base, tc.to, n)
			moved := 0
			for pair, count := range m {
				moved += count
				if tc.onlyTo != "" && pair[1] != tc.onlyTo {
					t.Errorf("%d units moved %s -> %s, want moves only into %s", count, pair[0], pair[1], tc.onlyTo)
				}
				if tc.onlyFr != "" && pair[0] != tc.onlyFr {
					t.Errorf("%d units moved %s -> %s, want moves only out of %s", count, pair[0], pair[1], tc.onlyFr)
				}
			}
			// The moved share equals the weight change, within sampling error.
			want := 0.0
			for _, a := range tc.to {
				if d := a.Weight - base.Weight(a.Variant); d > 0 {
					want += d / 100
				}
			}
			got := float64(moved) / n
			if se := math.Sqrt(want * (1 - want) / n); math.Abs(got-want) > 5*se+1e-9 {
				t.Errorf("moved %.4f of units, want %.4f (the weight change)", got, want)
			}
		})
	}
}

// TestMovementFollowsRatios checks the general rule for arbitrary changes:
// a unit moves from x to y only if y's weight grew relative to x's.
func TestMovementFollowsRatios(t *testing.T) {
	from := split("a", 30, "b", 30, "c", 40)
	to := split("a", 30, "b", 10, "c", 60) // b's share given to c only
	ratio := func(v string) float64 { return to.Weight(v) / from.Weight(v) }
	for pair, count := range moves(t, "ratios", from, to, 100_000) {
		if ratio(pair[1]) <= ratio(pair[0]) {
			t.Errorf("%d units moved %s -> %s although %s's weight did not grow relative to %s's",
				count, pair[0], pair[1], pair[1], pair[0])
		}
	}
}

func TestCanaryGrowthMovesOnlyBaselineUnits(t *testing.T) {
	prev := strategy.Canary("stable", "next", 1)
	exposed := map[string]bool{}
	for _, pct := range []float64{5, 25, 50, 100} {
		next := strategy.Canary("stable", "next", pct)
		a, b := mustCompile(t, prev), mustCompile(t, next)
		for i := range 50_000 {
			k := key(i)
			va, vb := a.Decide(k, nil).Variant, b.Decide(k, nil).Variant
			if va == "next" && vb != "next" {
				t.Fatalf("%v%% -> %v%%: %s left the candidate", prev.Default.Weight("next"), pct, k)
			}
			if va == "next" {
				exposed[k] = true
			}
		}
		prev = next
	}
	if len(exposed) == 0 {
		t.Fatal("no unit was exposed to the candidate")
	}
}

func TestIndependentAcrossSalts(t *testing.T) {
	const n = 200_000
	a := mustCompile(t, strategy.ABTest("experiment-1", strategy.Even("x", "y", "z")))
	b := mustCompile(t, strategy.ABTest("experiment-2", strategy.Even("x", "y", "z")))
	idx := map[string]int{"x": 0, "y": 1, "z": 2}
	var table [3][3]float64
	for i := range n {
		table[idx[a.Decide(key(i), nil).Variant]][idx[b.Decide(key(i), nil).Variant]]++
	}
	stat := 0.0
	for r := range 3 {
		for c := range 3 {
			row := table[r][0] + table[r][1] + table[r][2]
			col := table[0][c] + table[1][c] + table[2][c]
			e := row * col / n
			stat += (table[r][c] - e) * (table[r][c] - e) / e
		}
	}
	if p := (distuv.ChiSquared{K: 4}).Survival(stat); p < 0.001 {
		t.Errorf("assignments of two salts correlate: chi-square %.2f, p = %.3g; table %v", stat, p, table)
	}
}

func TestWeightEdges(t *testing.T) {
	const n = 1_000_000
	c := mustCompile(t, strategy.ABTest("edges", strategy.Split{{Variant: "zero", Weight: 0}, {Variant: "tiny", Weight: 0.01}, {Variant: "rest", Weight: 99.99}}))
	counts := map[string]int{}
	for i := range n {
		counts[c.Decide(key(i), nil).Variant]++
	}
	if counts["zero"] != 0 {
		t.Errorf("weight 0 got %d units", counts["zero"])
	}
	// 0.01% of 1M is 100; 5 sigma is 50.
	if got := counts["tiny"]; got < 50 || got > 150 {
		t.Errorf("weight 0.01 got %d of %d units, want about 100", got, n)
	}
	all := mustCompile(t, strategy.ABTest("edges", strategy.Split{{Variant: "none", Weight: 0}, {Variant: "all", Weight: 100}}))
	for i := range 100_000 {
		if v := all.Decide(key(i), nil).Variant; v != "all" {
			t.Fatalf("weight 100: key %d got %s", i, v)
		}
	}
}

func TestEmptyKey(t *testing.T) {
	tests := []struct {
		name  string
		split strategy.Split
		want  string
	}{
		{"canary", split("stable", 90, "next", 10), "stable"},
		{"promoted", split("stable", 0, "next", 100), "next"},
		{"tie goes to the first listed", split("a", 50, "b", 50), "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustCompile(t, strategy.ABTest("anon", tc.split)).Decide("", nil)
			if d.Variant != tc.want || d.Reason != ReasonNoKey {
				t.Errorf("Decide(\"\") = %s (%s), want %s (%s)", d.Variant, d.Reason, tc.want, ReasonNoKey)
			}
		})
	}
}

func TestShadowSampling(t *testing.T) {
	const n = 100_000
	p := strategy.Shadow("live", "cand", "other")
	p.Shadows[0].Percent = 10
	p.Shadows[1].Percent = 100
	c := mustCompile(t, p)
	q := p.Clone()
	q.Shadows[0].Percent = 30
	c30 := mustCompile(t, q)
	sampled := 0
	for i := range n {
		d := c.Decide(key(i), nil)
		in10 := len(d.Shadows) == 2
		if !in10 && (len(d.Shadows) != 1 || d.Shadows[0] != "other") {
			t.Fatalf("key %d: shadows %v", i, d.Shadows)
		}
		if in10 {
			sampled++
			if d.Shadows[0] != "cand" || d.Shadows[1] != "other" {
				t.Fatalf("key %d: shadows %v, want plan order", i, d.Shadows)
			}
			if len(c30.Decide(key(i), nil).Shadows) != 2 {
				t.Fatalf("key %d: mirrored at 10%% but not at 30%%", i)
			}
		}
	}
	if got := float64(sampled) / n; math.Abs(got-0.10) > 0.005 {
		t.Errorf("10%% shadow sampled %.4f of units", got)
	}
	if d := c.Decide("", nil); len(d.Shadows) != 1 || d.Shadows[0] != "other" {
		t.Errorf("anonymous unit: shadows %v, want only the 100%% one", d.Shadows)
	}
}

// goldenPlans are fixed plans whose assignments are pinned in
// testdata/golden.json: a change of hashing fails this test instead of
// silently moving users.
var goldenPlans = []strategy.Plan{
	strategy.ABTest("golden-ab", strategy.Even("control", "treatment")),
	strategy.Canary("v1", "v2", 10),
	strategy.ABTest("golden-4", strategy.Split{{Variant: "a", Weight: 10}, {Variant: "b", Weight: 20}, {Variant: "c", Weight: 30}, {Variant: "d", Weight: 40}}),
	strategy.ABTest("golden-tiny", strategy.Split{{Variant: "big", Weight: 99.5}, {Variant: "small", Weight: 0.5}}),
}

func TestGoldenVectors(t *testing.T) {
	const keys = 500
	got := map[string][]string{}
	for _, p := range goldenPlans {
		c := mustCompile(t, p)
		for i := range keys {
			got[p.Name] = append(got[p.Name], c.Decide(fmt.Sprintf("golden-%d", i), nil).Variant)
		}
	}
	const path = "testdata/golden.json"
	if *update {
		data, _ := json.MarshalIndent(got, "", " ")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]string
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	for _, p := range goldenPlans {
		if len(want[p.Name]) != keys {
			t.Fatalf("plan %s: %d golden keys, want %d", p.Name, len(want[p.Name]), keys)
		}
		for i := range keys {
			if got[p.Name][i] != want[p.Name][i] {
				t.Errorf("plan %s: key golden-%d -> %s, golden says %s: hashing changed and would move users",
					p.Name, i, got[p.Name][i], want[p.Name][i])
			}
		}
	}
}
