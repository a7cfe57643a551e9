package audience

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// leaves returns n distinct leaves.
func leaves(n int) []Condition {
	list := make([]Condition, n)
	for i := range list {
		list[i] = leaf("k"+strconv.Itoa(i), OpEquals, i)
	}
	return list
}

// notChain returns a condition nested depth levels deep.
func notChain(depth int) Condition {
	c := leaf("k", OpExists, nil)
	c.Value = nil
	for range depth - 1 {
		inner := c
		c = Condition{Not: &inner}
	}
	return c
}

func TestLimits(t *testing.T) {
	bigClass := "[" + strings.Repeat("a", MaxPatternSize-2) + "]" // one instruction
	tests := []struct {
		name     string
		cond     Condition
		wantPath string // "" if Compile must succeed
		wantMsg  string
	}{
		{"conditions at the limit", Condition{All: leaves(MaxConditions - 1)}, "", ""},
		{"conditions over the limit", Condition{All: leaves(MaxConditions)}, "conditions.all[1023]", "more than audience.MaxConditions (1024) conditions"},
		{"nesting at the limit", notChain(MaxNesting), "", ""},
		{"nesting over the limit", notChain(MaxNesting + 1), "conditions" + strings.Repeat(".not", MaxNesting), "deeper than audience.MaxNesting (64 levels)"},
		{"nesting far over the limit", notChain(100_000), "conditions" + strings.Repeat(".not", MaxNesting), "audience.MaxNesting"},
		{"pattern at the limit", leaf("k", OpMatches, bigClass), "", ""},
		{"pattern over the limit", leaf("k", OpMatches, bigClass+"?"), "conditions.value", "the regular expression is 1025 bytes, over audience.MaxPatternSize (1024 bytes)"},
		{"program over the limit", leaf("k", OpMatches, "x{200}"), "conditions.value", "compiles to 202 instructions, over audience.MaxRegexProgram (128)"},
		{"program at the limit", leaf("k", OpMatches, "x{125}"), "", ""},
		{"programs summed over the limit", Condition{Any: []Condition{
			leaf("a", OpMatches, "x{70}"), leaf("b", OpEquals, 1), leaf("c", OpMatches, "y{70}"),
		}}, "conditions.any[2].value", "compile to 144 instructions together, over audience.MaxRegexProgram (128)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(Audience{Name: "t", Conditions: tc.cond})
			if tc.wantPath == "" {
				if err != nil {
					t.Fatalf("Compile: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not an *Error wrapping ErrInvalid", err)
			}
			if e.Path != tc.wantPath || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q at %q, want %q at %q", err, e.Path, tc.wantMsg, tc.wantPath)
			}
		})
	}
}

func TestRegexInputLimit(t *testing.T) {
	m := mustCompile(t, leaf("k", OpMatches, `^a+$`))
	n := mustCompile(t, Condition{Not: &Condition{Key: "k", Op: OpMatches, Value: `^a+$`}})
	at, over := strings.Repeat("a", MaxRegexInput), strings.Repeat("a", MaxRegexInput+1)
	if !m.Match(Attributes{String("k", at)}) || n.Match(Attributes{String("k", at)}) {
		t.Errorf("a string of MaxRegexInput bytes should be matched")
	}
	if m.Match(Attributes{String("k", over)}) || !n.Match(Attributes{String("k", over)}) {
		t.Errorf("a string over MaxRegexInput bytes should not match, and satisfy Not")
	}
	if !m.Match(Attributes{Strings("k", over, "aa")}) {
		t.Errorf("a list is tested element by element")
	}
}

// TestParseLimits checks that files get the limits of Compile, with the
// limit named.
func TestParseLimits(t *testing.T) {
	doc := "audiences:\n  - name: a\n    conditions: {key: ua, op: matches, value: 'x{500}'}\n"
	_, err := Parse([]byte(doc))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "audience.MaxRegexProgram (128)") {
		t.Fatalf("Parse: %v", err)
	}
}

// TestFoldSetDedup checks that in_ci keeps one string per case-folding
// class, so that a list of a million spellings of one word costs one
// comparison per lookup.
func TestFoldSetDedup(t *testing.T) {
	values := make([]any, 0, 4096)
	for i := range 4096 {
		b := []byte("abcdefghijkl")
		for j := range b {
			if i&(1<<j) != 0 {
				b[j] -= 'a' - 'A'
			}
		}
		values = append(values, string(b))
	}
	m := mustCompile(t, leafs("k", OpInCI, values...))
	buckets := 0
	for _, b := range m.root.set.fold {
		buckets += len(b)
	}
	if buckets != 1 {
		t.Fatalf("in_ci keeps %d strings for one case-folding class", buckets)
	}
	if !m.Match(Attributes{String("k", "ABCdefGHIjkl")}) || m.Match(Attributes{String("k", "abcdefghijk")}) {
		t.Fatal("in_ci lookup")
	}
}
