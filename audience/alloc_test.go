package audience

import "testing"

func TestMatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	m, err := Compile(Audience{Name: "mix", Conditions: Condition{All: []Condition{
		{Key: "location", Op: OpIn, Values: []any{"california", "oregon"}},
		{Key: "age", Op: OpBetween, Values: []any{18, 65}},
		{Key: "app", Op: OpSemverGreaterEq, Value: "2.3"},
		{Key: "email", Op: OpMatches, Value: `@example\.(com|org)$`},
		{Key: "plan", Op: OpInCI, Values: []any{"Premium", "Gold"}},
		{Key: "tags", Op: OpContainsCI, Value: "beta"},
		{Not: &Condition{Key: "banned", Op: OpExists}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	loc, email := "california", "ann@example.com"
	n := testing.AllocsPerRun(100, func() {
		attrs := Attributes{
			String("location", loc),
			Int("age", 31),
			String("app", "v2.10.1"),
			String("email", email),
			String("plan", "PREMIUM"),
			Strings("tags", "x", "Beta-Tester"),
		}
		if !m.Match(attrs) {
			t.Fatal("no match")
		}
	})
	if n != 0 {
		t.Fatalf("Match: %v allocs, want 0", n)
	}
}
