package strategy_test

import (
	"errors"
	"testing"

	"github.com/varroute/varroute/strategy"
)

// FuzzParsePlan checks that ParsePlan never panics, that every error is an
// *Error matching ErrInvalidPlan with a sane position, and that whatever
// parses is valid. The committed corpus (testdata/fuzz/FuzzParsePlan)
// holds alias bombs and deep nesting in both syntaxes.
func FuzzParsePlan(f *testing.F) {
	f.Add([]byte(planYAML))
	f.Add([]byte(planJSON))
	f.Add([]byte("name: x\ndefault: [{variant: a, weight: 100}]"))
	f.Add([]byte(bomb(3, 3)))
	f.Add([]byte(nestedJSON(70)))
	f.Add([]byte(nestedYAML(70)))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := strategy.ParsePlan(data)
		if err != nil {
			var pe *strategy.Error
			if !errors.As(err, &pe) || !errors.Is(err, strategy.ErrInvalidPlan) {
				t.Fatalf("error %v (%T) is not an *Error matching ErrInvalidPlan", err, err)
			}
			if pe.Line < 0 || pe.Column < 0 || (pe.Line == 0 && pe.Column != 0) {
				t.Fatalf("bad position in %v", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed plan does not validate: %v", err)
		}
	})
}
