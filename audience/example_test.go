package audience_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/varroute/varroute/audience"
)

// Build an audience in Go, compile it once, and match each request's
// attributes.
func Example() {
	m, err := audience.Compile(audience.Audience{
		Name:        "new-ios",
		Description: "app version >= 2.3 on iOS, outside the EU",
		Conditions: audience.Condition{All: []audience.Condition{
			{Key: "os", Op: audience.OpEqualsCI, Value: "iOS"},
			{Key: "app_version", Op: audience.OpSemverGreaterEq, Value: "2.3"},
			{Key: "country", Op: audience.OpNotIn, Values: []any{"de", "fr", "it"}},
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, version := range []string{"2.10.0", "2.2.9"} {
		attrs := audience.Attributes{
			audience.String("os", "ios"),
			audience.String("app_version", version),
			audience.String("country", "us"),
		}
		fmt.Println(version, m.Match(attrs))
	}
	// Output:
	// 2.10.0 true
	// 2.2.9 false
}

// Load a Qwak (JFrog ML) audience file as it is.
func ExampleParse_qwak() {
	data, err := os.ReadFile("testdata/qwak.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	list, err := audience.Parse(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	ny, err := audience.Compile(list[0])
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ny.Name(), "-", list[0].Description)
	fmt.Println(ny.Match(audience.Attributes{audience.String("location", "new-york"), audience.Int("age", 25)}))
	fmt.Println(ny.Match(audience.Attributes{audience.String("location", "new-york"), audience.Int("age", 31)}))
	// Output:
	// New-York - Users from New York aged 10-30
	// true
	// false
}

// Errors in files name the line, column and field path.
func ExampleParse_error() {
	_, err := audience.Parse([]byte(`audiences:
  - name: eu
    conditions:
      - {key: region, op: one_of, values: [de, fr]}
`))
	var e *audience.Error
	if errors.As(err, &e) {
		fmt.Println(e.Line, e.Column, e.Path)
	}
	// Output:
	// 4 27 audiences[0].conditions[0].op
}

// Match reads typed attributes; numbers compare by value across kinds, and
// strings are never numbers.
func ExampleMatcher_Match() {
	m, _ := audience.Compile(audience.Audience{
		Name:       "adults",
		Conditions: audience.Condition{Key: "age", Op: audience.OpBetween, Values: []any{18, 65}},
	})
	fmt.Println(m.Match(audience.Attributes{audience.Int("age", 31)}))
	fmt.Println(m.Match(audience.Attributes{audience.Float64("age", 18.0)}))
	fmt.Println(m.Match(audience.Attributes{audience.String("age", "31")}))
	fmt.Println(m.Match(nil))
	// Output:
	// true
	// true
	// false
	// false
}

// FromMap converts a map for convenience; it allocates, so hot paths build
// Attributes directly.
func ExampleFromMap() {
	attrs := audience.FromMap(map[string]any{"plan": "premium", "seats": 12})
	fmt.Println(attrs)
	// Output:
	// plan=premium seats=12
}

// Users who signed up in 2026: times compare as instants, whatever offset
// they are written with, as time.Time attributes or as RFC 3339 strings.
func ExampleTime() {
	m, _ := audience.Compile(audience.Audience{
		Name: "signed-up-2026",
		Conditions: audience.Condition{Key: "signed_up", Op: audience.OpTimeBetween,
			Values: []any{"2026-01-01", "2026-12-31T23:59:59.999999999Z"}},
	})
	fmt.Println(m.Match(audience.Attributes{audience.Time("signed_up", time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))}))
	fmt.Println(m.Match(audience.Attributes{audience.String("signed_up", "2026-01-01T00:30:00+01:00")})) // 2025-12-31T23:30Z
	fmt.Println(m.Match(audience.Attributes{audience.String("signed_up", "last week")}))
	// Output:
	// true
	// false
	// false
}

// An internal network gets the candidate: in_cidr takes IPv4 and IPv6
// prefixes; an IPv4-mapped address, as a dual-stack listener reports IPv4
// clients, counts as the IPv4 address.
func ExampleAddr() {
	m, _ := audience.Compile(audience.Audience{
		Name: "internal",
		Conditions: audience.Condition{Key: "client", Op: audience.OpInCIDR,
			Values: []any{"10.0.0.0/8", "fd00::/8"}},
	})
	for _, s := range []string{"10.1.2.3", "::ffff:10.1.2.3", "fd00::1", "203.0.113.7"} {
		fmt.Println(s, m.Match(audience.Attributes{audience.Addr("client", netip.MustParseAddr(s))}))
	}
	// Output:
	// 10.1.2.3 true
	// ::ffff:10.1.2.3 true
	// fd00::1 true
	// 203.0.113.7 false
}

// An empty list is a valid operand: in matches nothing, not_in everything.
func ExampleCondition_emptyList() {
	var blocked []any // emptied by a generator
	m, _ := audience.Compile(audience.Audience{
		Name:       "allowed",
		Conditions: audience.Condition{Key: "country", Op: audience.OpNotIn, Values: blocked},
	})
	fmt.Println(m.Match(audience.Attributes{audience.String("country", "fr")}))
	// Output:
	// true
}

// Limits keep the cost of a match bounded; the error names the limit.
func ExampleCompile_limits() {
	_, err := audience.Compile(audience.Audience{
		Name:       "greedy",
		Conditions: audience.Condition{Key: "ua", Op: audience.OpMatches, Value: `(?:\pL|\pN){1,1000}x`},
	})
	fmt.Println(err)
	// Output:
	// audience: conditions.value: the regular expression compiles to 2002 instructions, over audience.MaxRegexProgram (128)
}
