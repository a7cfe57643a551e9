package audience_test

import (
	"errors"
	"fmt"
	"os"

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
