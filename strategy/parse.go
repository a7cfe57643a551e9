package strategy

import (
	"errors"

	"go.yaml.in/yaml/v3"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/internal/document"
	"github.com/varroute/varroute/internal/fielderr"
)

// Limits of ParsePlan. They bound the time and memory one plan can cost, so
// that no file can take down the process that reads it; each error that
// reports one names the constant and its value. Within them, parsing and
// validation take time and memory linear in the size of the plan.
const (
	// MaxPlanSize is the largest plan ParsePlan reads, in bytes (1 MiB).
	MaxPlanSize = 1 << 20
	// MaxPlanNodes bounds the YAML or JSON nodes of a plan, counting each
	// alias as all the nodes it stands for: a few hundred bytes of nested
	// aliases cannot expand into millions of conditions.
	MaxPlanNodes = 1 << 18
	// MaxPlanDepth bounds the nesting of mappings and lists in a plan (the
	// top mapping is level 1), and so the nesting of conditions.
	MaxPlanDepth = 64
)

var planLimits = document.Limits{
	Size:  document.Limit{Name: "strategy.MaxPlanSize", Value: MaxPlanSize},
	Depth: document.Limit{Name: "strategy.MaxPlanDepth", Value: MaxPlanDepth},
	Nodes: document.Limit{Name: "strategy.MaxPlanNodes", Value: MaxPlanNodes},
}

// ParsePlan parses a plan written in YAML or JSON (input whose first
// non-blank byte is '{' or '[' is read as JSON) with the field names of
// Plan's yaml tags, and validates it (Validate). Audience conditions are
// read as audience.Parse reads them.
//
// It is strict: unknown fields are errors, with the nearest valid name
// (`unknown field "wieght" (did you mean "weight"?)`), and so are
// duplicate fields, values of the wrong kind (`want a number, not the
// string "ten"`), a second YAML document, data after the JSON value, and
// input over MaxPlanSize, MaxPlanNodes or MaxPlanDepth. YAML anchors,
// aliases and merge keys (<<) are read within those limits.
//
// Every error is an *Error matching ErrInvalidPlan that names the field
// path and, where the input tells, the line and column. Time and memory
// are linear in len(data).
func ParsePlan(data []byte) (Plan, error) {
	top, err := document.Load(data, planLimits)
	if err != nil {
		return Plan{}, toError(err)
	}
	if top == nil {
		return Plan{}, &Error{Err: errors.New("empty plan (no YAML or JSON document)")}
	}
	p, err := decodePlan(top)
	if err != nil {
		return Plan{}, toError(err)
	}
	if err := p.Validate(); err != nil {
		var pe *Error
		if errors.As(err, &pe) && pe.Line == 0 {
			pe.Line, pe.Column = fielderr.Find(top, pe.Path)
		}
		return Plan{}, err
	}
	return p, nil
}

// toError converts the errors of the walk to *Error.
func toError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var fe *fielderr.Error
	if errors.As(err, &fe) {
		return (*Error)(fe)
	}
	return &Error{Err: err}
}

// The fields of each level of a plan, as in the yaml tags.
var (
	planFields     = []string{"name", "audiences", "rules", "default", "fallbacks", "shadows", "noise_floor", "breakers"}
	audienceFields = []string{"name", "description", "conditions"}
	ruleFields     = []string{"name", "audience", "split"}
	armFields      = []string{"variant", "weight"}
	mirrorFields   = []string{"variant", "percent"}
)

func decodePlan(n *yaml.Node) (Plan, error) {
	var p Plan
	err := document.Fields(n, "", planFields, false, func(f document.Field) error {
		var err error
		switch f.Name {
		case "name":
			p.Name, err = document.Text(f.Value, f.Path)
		case "audiences":
			p.Audiences = make([]audience.Audience, 0, len(f.Value.Content))
			err = document.Items(f.Value, f.Path, func(_ int, v *yaml.Node, path string) error {
				a, err := decodeAudience(v, path)
				p.Audiences = append(p.Audiences, a)
				return err
			})
		case "rules":
			p.Rules = make([]Rule, 0, len(f.Value.Content))
			err = document.Items(f.Value, f.Path, func(_ int, v *yaml.Node, path string) error {
				r, err := decodeRule(v, path)
				p.Rules = append(p.Rules, r)
				return err
			})
		case "default":
			p.Default, err = decodeSplit(f.Value, f.Path)
		case "fallbacks":
			p.Fallbacks, err = decodeFallbacks(f.Value, f.Path)
		case "shadows":
			p.Shadows = make([]Mirror, 0, len(f.Value.Content))
			err = document.Items(f.Value, f.Path, func(_ int, v *yaml.Node, path string) error {
				m, err := decodeMirror(v, path)
				p.Shadows = append(p.Shadows, m)
				return err
			})
		case "noise_floor":
			p.NoiseFloor, err = document.Number(f.Value, f.Path)
		case "breakers":
			p.Breakers, err = decodeBreakers(f.Value, f.Path)
		}
		return err
	})
	return p, err
}

func decodeAudience(n *yaml.Node, path string) (audience.Audience, error) {
	var a audience.Audience
	err := document.Fields(n, path, audienceFields, false, func(f document.Field) error {
		var err error
		switch f.Name {
		case "name":
			a.Name, err = document.Text(f.Value, f.Path)
		case "description":
			a.Description, err = document.Text(f.Value, f.Path)
		case "conditions":
			// Read as audience.Parse reads conditions; its errors name
			// the path inside the condition.
			if err = a.Conditions.UnmarshalYAML(f.Value); err != nil {
				var ae *audience.Error
				if errors.As(err, &ae) {
					return &Error{Line: ae.Line, Column: ae.Column, Path: document.Join(f.Path, ae.Path), Err: ae.Err}
				}
			}
		}
		return err
	})
	return a, err
}

func decodeRule(n *yaml.Node, path string) (Rule, error) {
	var r Rule
	err := document.Fields(n, path, ruleFields, false, func(f document.Field) error {
		var err error
		switch f.Name {
		case "name":
			r.Name, err = document.Text(f.Value, f.Path)
		case "audience":
			r.Audience, err = document.Text(f.Value, f.Path)
		case "split":
			r.Split, err = decodeSplit(f.Value, f.Path)
		}
		return err
	})
	return r, err
}

func decodeSplit(n *yaml.Node, path string) (Split, error) {
	if document.IsNull(n) {
		return nil, nil
	}
	s := make(Split, 0, len(n.Content))
	err := document.Items(n, path, func(_ int, v *yaml.Node, path string) error {
		var a Arm
		err := document.Fields(v, path, armFields, false, func(f document.Field) error {
			var err error
			switch f.Name {
			case "variant":
				a.Variant, err = document.Text(f.Value, f.Path)
			case "weight":
				a.Weight, err = document.Number(f.Value, f.Path)
			}
			return err
		})
		s = append(s, a)
		return err
	})
	return s, err
}

func decodeMirror(n *yaml.Node, path string) (Mirror, error) {
	var m Mirror
	err := document.Fields(n, path, mirrorFields, false, func(f document.Field) error {
		var err error
		switch f.Name {
		case "variant":
			m.Variant, err = document.Text(f.Value, f.Path)
		case "percent":
			m.Percent, err = document.Number(f.Value, f.Path)
		}
		return err
	})
	return m, err
}

// decodeFallbacks reads the fallbacks mapping; each entry's path is
// fallbacks["variant"], as Validate names it.
func decodeFallbacks(n *yaml.Node, path string) (map[string]string, error) {
	if document.IsNull(n) {
		return nil, nil
	}
	m := make(map[string]string, len(n.Content)/2)
	err := document.Entries(n, path, func(f document.Field) error {
		v, err := document.Text(f.Value, f.Path)
		m[f.Name] = v
		return err
	})
	return m, err
}
