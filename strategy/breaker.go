package strategy

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/varroute/varroute/internal/document"
	"go.yaml.in/yaml/v3"
)

// A Breaker configures the circuit breaker of one variant (Plan.Breakers).
// When the variant keeps failing — errors, panics and timeouts count; a
// request its caller cancelled does not — the breaker opens: the router
// stops calling the variant and sends its requests straight to its
// fallback, without waiting. After OpenFor it lets a few probe requests
// through (half-open): a probe that succeeds closes the breaker, one that
// fails opens it again for twice as long, up to MaxOpenFor.
//
// A variant with a fallback has a breaker even when the plan does not
// configure one: the zero Breaker, which opens after 5 consecutive
// failures. A variant without a fallback has none unless configured (there
// is nothing to fail over to): its open breaker fails requests at once
// with router.ErrCircuitOpen instead of letting them wait for a failing
// model. Disabled turns a breaker off.
//
// Zero fields take the defaults given with each field.
type Breaker struct {
	// Disabled turns the variant's breaker off.
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// ConsecutiveFailures opens the breaker after this many failed calls
	// in a row. Zero means 5; -1 turns this trigger off.
	ConsecutiveFailures int `yaml:"consecutive_failures,omitempty" json:"consecutive_failures,omitempty"`
	// FailureRate, in (0, 1], opens the breaker when at least MinRequests
	// calls ended in the last Window and this fraction of them failed.
	// Zero turns this trigger off: it costs an atomic add per call, where
	// the consecutive-failure trigger costs a load.
	FailureRate float64 `yaml:"failure_rate,omitempty" json:"failure_rate,omitempty"`
	// Window is the sliding window of FailureRate. Zero means 10s.
	Window time.Duration `yaml:"window,omitempty" json:"window,omitempty"`
	// MinRequests is the fewest calls in Window that FailureRate judges.
	// Zero means 20.
	MinRequests int `yaml:"min_requests,omitempty" json:"min_requests,omitempty"`
	// OpenFor is how long the breaker stays open before the first probe.
	// Zero means 5s.
	OpenFor time.Duration `yaml:"open_for,omitempty" json:"open_for,omitempty"`
	// MaxOpenFor bounds OpenFor as it doubles after each failed probe.
	// Zero means 2m (and at least OpenFor).
	MaxOpenFor time.Duration `yaml:"max_open_for,omitempty" json:"max_open_for,omitempty"`
	// Probes is how many requests at once a half-open breaker lets
	// through. Zero means 1.
	Probes int `yaml:"probes,omitempty" json:"probes,omitempty"`
}

// The defaults of a Breaker's zero fields.
const (
	DefaultBreakerFailures    = 5
	DefaultBreakerWindow      = 10 * time.Second
	DefaultBreakerMinRequests = 20
	DefaultBreakerOpenFor     = 5 * time.Second
	DefaultBreakerMaxOpenFor  = 2 * time.Minute
)

// WithDefaults returns b with its zero fields set to their defaults.
func (b Breaker) WithDefaults() Breaker {
	if b.ConsecutiveFailures == 0 {
		b.ConsecutiveFailures = DefaultBreakerFailures
	}
	if b.Window == 0 {
		b.Window = DefaultBreakerWindow
	}
	if b.MinRequests == 0 {
		b.MinRequests = DefaultBreakerMinRequests
	}
	if b.OpenFor == 0 {
		b.OpenFor = DefaultBreakerOpenFor
	}
	if b.MaxOpenFor == 0 {
		b.MaxOpenFor = max(DefaultBreakerMaxOpenFor, b.OpenFor)
	}
	if b.Probes == 0 {
		b.Probes = 1
	}
	return b
}

// validate checks b's fields; path names b in the plan.
func (b Breaker) validate(path string) error {
	switch {
	case b.ConsecutiveFailures < -1:
		return fieldErr(path+".consecutive_failures", "%d, want >= 1 (0 for the default %d, -1 for off)", b.ConsecutiveFailures, DefaultBreakerFailures)
	case math.IsNaN(b.FailureRate) || b.FailureRate < 0 || b.FailureRate > 1:
		hint := ""
		if b.FailureRate > 1 && b.FailureRate <= 100 {
			hint = " (a fraction: 50% is 0.5)"
		}
		return fieldErr(path+".failure_rate", "%v, want a fraction in [0, 1]%s", b.FailureRate, hint)
	case b.Window < 0:
		return fieldErr(path+".window", "%v, want >= 0", b.Window)
	case b.MinRequests < 0:
		return fieldErr(path+".min_requests", "%d, want >= 0", b.MinRequests)
	case b.OpenFor < 0:
		return fieldErr(path+".open_for", "%v, want >= 0", b.OpenFor)
	case b.MaxOpenFor < 0:
		return fieldErr(path+".max_open_for", "%v, want >= 0", b.MaxOpenFor)
	case b.MaxOpenFor > 0 && b.MaxOpenFor < b.OpenFor:
		return fieldErr(path+".max_open_for", "%v is below open_for %v", b.MaxOpenFor, b.OpenFor)
	case b.Probes < 0:
		return fieldErr(path+".probes", "%d, want >= 0", b.Probes)
	case b.ConsecutiveFailures == -1 && b.FailureRate == 0 && !b.Disabled:
		return fieldErr(path, "no trigger: consecutive_failures is -1 and failure_rate is 0 (set disabled: true to turn the breaker off)")
	}
	return nil
}

// validateBreakers checks that every configured breaker names a variant of
// the plan and has valid fields.
func (p Plan) validateBreakers() error {
	if len(p.Breakers) == 0 {
		return nil
	}
	names := make([]string, 0, len(p.Breakers))
	for k := range p.Breakers {
		names = append(names, k)
	}
	slices.Sort(names) // report the same error every time
	variants := p.Variants()
	for _, v := range names {
		path := "breakers[" + strconv.Quote(v) + "]"
		if !slices.Contains(variants, v) {
			return fieldErr(path, "variant %q is not in the plan", v)
		}
		if err := p.Breakers[v].validate(path); err != nil {
			return err
		}
	}
	return nil
}

var breakerFields = []string{"disabled", "consecutive_failures", "failure_rate", "window", "min_requests", "open_for", "max_open_for", "probes"}

// decodeBreakers reads the breakers mapping: variant name to Breaker.
// Durations are strings such as "5s" or "1m30s".
func decodeBreakers(n *yaml.Node, path string) (map[string]Breaker, error) {
	if document.IsNull(n) {
		return nil, nil
	}
	m := make(map[string]Breaker, len(n.Content)/2)
	err := document.Entries(n, path, func(e document.Field) error {
		var b Breaker
		err := document.Fields(e.Value, e.Path, breakerFields, false, func(f document.Field) error {
			var err error
			switch f.Name {
			case "disabled":
				b.Disabled, err = boolField(f.Value, f.Path)
			case "consecutive_failures":
				b.ConsecutiveFailures, err = intField(f.Value, f.Path)
			case "failure_rate":
				b.FailureRate, err = document.Number(f.Value, f.Path)
			case "window":
				b.Window, err = durationField(f.Value, f.Path)
			case "min_requests":
				b.MinRequests, err = intField(f.Value, f.Path)
			case "open_for":
				b.OpenFor, err = durationField(f.Value, f.Path)
			case "max_open_for":
				b.MaxOpenFor, err = durationField(f.Value, f.Path)
			case "probes":
				b.Probes, err = intField(f.Value, f.Path)
			}
			return err
		})
		m[e.Name] = b
		return err
	})
	return m, err
}

func boolField(n *yaml.Node, path string) (bool, error) {
	n = document.Resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var v bool
		if n.Decode(&v) == nil {
			return v, nil
		}
	}
	return false, document.Errorf(n, path, "want true or false, not %s", document.Describe(n))
}

func intField(n *yaml.Node, path string) (int, error) {
	f, err := document.Number(n, path)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, document.Errorf(n, path, "want a whole number, not %v", f)
	}
	return int(f), nil
}

func durationField(n *yaml.Node, path string) (time.Duration, error) {
	s, err := document.Text(n, path)
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, document.Errorf(n, path, "want a duration such as \"5s\" or \"1m30s\", not %q", s)
	}
	return d, nil
}
