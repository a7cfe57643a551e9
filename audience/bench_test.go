package audience

import (
	"strconv"
	"testing"
)

func mustCompile(tb testing.TB, c Condition) *Matcher {
	tb.Helper()
	m, err := Compile(Audience{Name: "bench", Conditions: c})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// Each benchmark builds the attributes inside the loop, as a handler does
// per request.

func BenchmarkMatchExact(b *testing.B) {
	m := mustCompile(b, Condition{Key: "location", Op: OpEquals, Value: "california"})
	loc := "california"
	b.ReportAllocs()
	for b.Loop() {
		if !m.Match(Attributes{String("location", loc)}) {
			b.Fatal("no match")
		}
	}
}

func fiveConditions(tb testing.TB) *Matcher {
	return mustCompile(tb, Condition{All: []Condition{
		{Key: "location", Op: OpEquals, Value: "california"},
		{Key: "age", Op: OpBetween, Values: []any{18, 65}},
		{Key: "platform", Op: OpIn, Values: []any{"ios", "android"}},
		{Key: "app_version", Op: OpSemverGreaterEq, Value: "2.3.0"},
		{Key: "plan", Op: OpNotEquals, Value: "free"},
	}})
}

func BenchmarkMatchAll5Of10(b *testing.B) {
	m := fiveConditions(b)
	loc, version := "california", "2.10.1"
	b.ReportAllocs()
	for b.Loop() {
		// Ten attributes, built as a handler builds them.
		attrs := Attributes{
			String("user_id", "u-123456"),
			String("location", loc),
			String("country", "us"),
			Int("age", 31),
			String("platform", "ios"),
			String("app_version", version),
			String("plan", "premium"),
			Bool("beta", false),
			Float64("score", 0.73),
			String("language", "en-US"),
		}
		if !m.Match(attrs) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkMatchSet100(b *testing.B) {
	set := make([]any, 100)
	for i := range set {
		set[i] = "region-" + strconv.Itoa(i)
	}
	m := mustCompile(b, Condition{Key: "region", Op: OpIn, Values: set})
	region := "region-77"
	b.ReportAllocs()
	for b.Loop() {
		if !m.Match(Attributes{String("region", region), Int("age", 31)}) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkMatchRegex(b *testing.B) {
	m := mustCompile(b, Condition{Key: "email", Op: OpMatches, Value: `^[a-z0-9._%+-]+@(example|corp)\.(com|org)$`})
	email := "ann.smith@example.com"
	b.ReportAllocs()
	for b.Loop() {
		if !m.Match(Attributes{String("email", email)}) {
			b.Fatal("no match")
		}
	}
}

func TestMatchAllocsBenchCases(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	m := fiveConditions(t)
	loc, version := "california", "2.10.1"
	n := testing.AllocsPerRun(200, func() {
		attrs := Attributes{
			String("user_id", "u-123456"),
			String("location", loc),
			String("country", "us"),
			Int("age", 31),
			String("platform", "ios"),
			String("app_version", version),
			String("plan", "premium"),
			Bool("beta", false),
			Float64("score", 0.73),
			String("language", "en-US"),
		}
		if !m.Match(attrs) {
			t.Fatal("no match")
		}
	})
	if n != 0 {
		t.Fatalf("Match: %v allocs, want 0", n)
	}
}
