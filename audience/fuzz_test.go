package audience

import (
	"errors"
	"math"
	"os"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is an *Error
// wrapping ErrInvalid with a sane position, and that whatever parses
// compiles and matches without panicking.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/qwak.yaml", "testdata/audiences.yaml", "testdata/audiences.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := Parse(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v (%T) is not an *Error wrapping ErrInvalid", err, err)
			}
			if e.Line < 0 || e.Column < 0 {
				t.Fatalf("bad position in %v", err)
			}
			return
		}
		for _, a := range list {
			m, err := Compile(a)
			if err != nil {
				t.Fatalf("Parse accepted %q but Compile refused it: %v", a.Name, err)
			}
			m.Match(nil)
			m.Match(Attributes{String("location", "new-york"), Int("age", 25), Strings("groups", "a", "b")})
		}
	})
}

// FuzzMatch compiles a leaf from a fuzzed operator (an index into the
// operator table) and operands and matches
// fuzzed attributes of every kind: no panic, and the not_ form of an
// operator always disagrees with its positive form.
func FuzzMatch(f *testing.F) {
	f.Add(uint8(0), "ca", "ca", int64(1), 1.5, true)                      // equals
	f.Add(uint8(28), "2.3", "v2.10.0-rc.1", int64(-1), math.NaN(), false) // semver_gte
	f.Add(uint8(10), "ß", "STRASSE", int64(0), 0.0, false)                // contains_ci
	f.Add(uint8(16), "^a+$", "aaa", int64(3), math.Inf(1), true)          // matches
	f.Add(uint8(23), "1", "2", int64(2), 2.0, true)                       // between
	f.Fuzz(func(t *testing.T, opIndex uint8, operand, s string, i int64, fl float64, b bool) {
		op := opTable[int(opIndex)%len(opTable)].name
		operands := []any{operand, i, fl, b, []any{operand, i}, []any{i, fl}}
		attrSets := []Attributes{
			nil,
			{String("k", s)},
			{Int64("k", i)},
			{Uint64("k", uint64(i))},
			{Float64("k", fl)},
			{Bool("k", b)},
			{Strings("k", s, operand)},
			{Attr{Key: "k"}},
		}
		for _, x := range operands {
			for _, c := range []Condition{{Key: "k", Op: Op(op), Value: x}, {Key: "k", Op: Op(op)}} {
				m, err := Compile(Audience{Conditions: c})
				if err != nil {
					if !errors.Is(err, ErrInvalid) {
						t.Fatalf("error does not wrap ErrInvalid: %v", err)
					}
					continue
				}
				neg, hasNeg := negation(Op(op))
				var nm *Matcher
				if hasNeg {
					c.Op = neg
					if nm, err = Compile(Audience{Conditions: c}); err != nil {
						t.Fatalf("%s compiles but %s does not: %v", op, neg, err)
					}
				}
				for _, attrs := range attrSets {
					got := m.Match(attrs)
					if nm != nil && nm.Match(attrs) == got {
						t.Fatalf("%s and %s agree (%v) on %v with operand %v", op, neg, got, attrs, x)
					}
				}
			}
		}
	})
}

func negation(op Op) (Op, bool) {
	for _, s := range opTable {
		if s.name == "not_"+op {
			return s.name, true
		}
	}
	return "", false
}
