package audience

import (
	"math"
	"net/netip"
	"testing"
	"time"
)

func leaf(key string, op Op, value any) Condition { return Condition{Key: key, Op: op, Value: value} }

func leafs(key string, op Op, values ...any) Condition {
	return Condition{Key: key, Op: op, Values: values}
}

func TestMatchOperators(t *testing.T) {
	nan := math.NaN()
	inf := math.Inf(1)
	type tc struct {
		name  string
		cond  Condition
		attrs Attributes
		want  bool
	}
	a := func(as ...Attr) Attributes { return as }
	tests := []tc{
		// equals × kinds
		{"equals/string", leaf("k", OpEquals, "ca"), a(String("k", "ca")), true},
		{"equals/string differs", leaf("k", OpEquals, "ca"), a(String("k", "CA")), false},
		{"equals/empty string", leaf("k", OpEquals, ""), a(String("k", "")), true},
		{"equals/empty vs missing", leaf("k", OpEquals, ""), nil, false},
		{"equals/unicode", leaf("k", OpEquals, "São Paulo"), a(String("k", "São Paulo")), true},
		{"equals/unicode NFD differs", leaf("k", OpEquals, "São"), a(String("k", "Sa\u0303o")), false},
		{"equals/string 42 vs int 42", leaf("k", OpEquals, "42"), a(Int("k", 42)), false},
		{"equals/int 42 vs string 42", leaf("k", OpEquals, 42), a(String("k", "42")), false},
		{"equals/bool", leaf("k", OpEquals, true), a(Bool("k", true)), true},
		{"equals/bool false", leaf("k", OpEquals, false), a(Bool("k", false)), true},
		{"equals/bool vs 1", leaf("k", OpEquals, true), a(Int("k", 1)), false},
		{"equals/1 vs bool", leaf("k", OpEquals, 1), a(Bool("k", true)), false},
		{"equals/bool vs string", leaf("k", OpEquals, true), a(String("k", "true")), false},
		{"equals/int", leaf("k", OpEquals, 7), a(Int("k", 7)), true},
		{"equals/int vs uint", leaf("k", OpEquals, 7), a(Uint64("k", 7)), true},
		{"equals/int vs float", leaf("k", OpEquals, 7), a(Float64("k", 7.0)), true},
		{"equals/float vs int", leaf("k", OpEquals, 7.0), a(Int64("k", 7)), true},
		{"equals/float fraction vs int", leaf("k", OpEquals, 7.5), a(Int("k", 7)), false},
		{"equals/negative int vs uint", leaf("k", OpEquals, -1), a(Uint64("k", math.MaxUint64)), false},
		{"equals/max uint", leaf("k", OpEquals, uint64(math.MaxUint64)), a(Uint64("k", math.MaxUint64)), true},
		{"equals/2^53+1 vs float 2^53 exact", leaf("k", OpEquals, float64(1<<53)), a(Int64("k", 1<<53+1)), false},
		{"equals/max int64 vs float 2^63", leaf("k", OpEquals, float64(1<<63)), a(Int64("k", math.MaxInt64)), false},
		{"equals/uint 2^63 vs float 2^63", leaf("k", OpEquals, float64(1<<63)), a(Uint64("k", 1<<63)), true},
		{"equals/max uint vs float 2^64", leaf("k", OpEquals, float64(1<<64)), a(Uint64("k", math.MaxUint64)), false},
		{"equals/NaN attribute", leaf("k", OpEquals, 1.0), a(Float64("k", nan)), false},
		{"equals/inf", leaf("k", OpEquals, inf), a(Float64("k", inf)), true},
		{"equals/negative zero", leaf("k", OpEquals, 0), a(Float64("k", math.Copysign(0, -1))), true},
		{"equals/list element", leaf("k", OpEquals, "beta"), a(Strings("k", "staff", "beta")), true},
		{"equals/list no element", leaf("k", OpEquals, "beta"), a(Strings("k", "staff")), false},
		{"equals/empty list", leaf("k", OpEquals, ""), a(Strings("k")), false},
		{"equals/missing", leaf("k", OpEquals, "x"), a(String("j", "x")), false},
		{"equals/nil attrs", leaf("k", OpEquals, "x"), nil, false},
		{"equals/zero value is missing", leaf("k", OpEquals, "x"), a(Attr{Key: "k"}), false},
		{"equals/first duplicate wins", leaf("k", OpEquals, "x"), a(String("k", "y"), String("k", "x")), false},

		// not_equals: exact negation
		{"not_equals/differs", leaf("k", OpNotEquals, "ca"), a(String("k", "ny")), true},
		{"not_equals/same", leaf("k", OpNotEquals, "ca"), a(String("k", "ca")), false},
		{"not_equals/missing", leaf("k", OpNotEquals, "ca"), nil, true},
		{"not_equals/other kind", leaf("k", OpNotEquals, "5"), a(Int("k", 5)), true},
		{"not_equals/NaN", leaf("k", OpNotEquals, 1), a(Float64("k", nan)), true},
		{"not_equals/list with element", leaf("k", OpNotEquals, "b"), a(Strings("k", "a", "b")), false},
		{"not_equals/list without element", leaf("k", OpNotEquals, "c"), a(Strings("k", "a", "b")), true},

		// equals_ci
		{"equals_ci/ascii", leaf("k", OpEqualsCI, "Premium"), a(String("k", "PREMIUM")), true},
		{"equals_ci/unicode", leaf("k", OpEqualsCI, "ÉCOLE"), a(String("k", "école")), true},
		{"equals_ci/kelvin", leaf("k", OpEqualsCI, "k"), a(String("k", "\u212a")), true},
		{"equals_ci/sharp s is not ss", leaf("k", OpEqualsCI, "STRASSE"), a(String("k", "straße")), false},
		{"equals_ci/int attr", leaf("k", OpEqualsCI, "1"), a(Int("k", 1)), false},
		{"not_equals_ci/same", leaf("k", OpNotEqualsCI, "a"), a(String("k", "A")), false},
		{"not_equals_ci/missing", leaf("k", OpNotEqualsCI, "a"), nil, true},

		// in / not_in
		{"in/string", leafs("k", OpIn, "ca", "or"), a(String("k", "or")), true},
		{"in/string absent", leafs("k", OpIn, "ca", "or"), a(String("k", "wa")), false},
		{"in/number kinds", leafs("k", OpIn, 1, uint64(2), 3.0), a(Float64("k", 2)), true},
		{"in/int vs float element", leafs("k", OpIn, 1, 3.0), a(Uint64("k", 3)), true},
		{"in/fraction", leafs("k", OpIn, 2.5), a(Float64("k", 2.5)), true},
		{"in/fraction vs int", leafs("k", OpIn, 2.5), a(Int("k", 2)), false},
		{"in/big uint", leafs("k", OpIn, uint64(math.MaxUint64)), a(Uint64("k", math.MaxUint64)), true},
		{"in/big uint as float", leafs("k", OpIn, float64(1<<63)), a(Uint64("k", 1<<63)), true},
		{"in/NaN attr", leafs("k", OpIn, 1.0, inf), a(Float64("k", nan)), false},
		{"in/inf", leafs("k", OpIn, 1.0, inf), a(Float64("k", inf)), true},
		{"in/string 1 vs int 1", leafs("k", OpIn, "1"), a(Int("k", 1)), false},
		{"in/bool", leafs("k", OpIn, true), a(Bool("k", true)), true},
		{"in/bool false absent", leafs("k", OpIn, true), a(Bool("k", false)), false},
		{"in/bool vs 1", leafs("k", OpIn, 1), a(Bool("k", true)), false},
		{"in/mixed set", leafs("k", OpIn, "a", 1, false), a(Bool("k", false)), true},
		{"in/empty string element", leafs("k", OpIn, "", "x"), a(String("k", "")), true},
		{"in/list attr", leafs("k", OpIn, "x", "y"), a(Strings("k", "a", "y")), true},
		{"in/missing", leafs("k", OpIn, "x"), nil, false},
		{"in/value as list", leaf("k", OpIn, []string{"x", "y"}), a(String("k", "y")), true},
		{"not_in/absent", leafs("k", OpNotIn, "x"), a(String("k", "y")), true},
		{"not_in/present", leafs("k", OpNotIn, "x"), a(String("k", "x")), false},
		{"not_in/missing", leafs("k", OpNotIn, "x"), nil, true},
		{"not_in/other kind", leafs("k", OpNotIn, "1"), a(Int("k", 1)), true},

		// empty lists: in matches nothing, not_in everything, whatever the
		// attribute (as Unleash and GrowthBook do); an absent list is empty.
		{"in/empty values", leafs("k", OpIn), a(String("k", "")), false},
		{"in/empty value list", leaf("k", OpIn, []any{}), a(Int("k", 0)), false},
		{"in/empty list attr", leaf("k", OpIn, []string{}), a(Strings("k", "a")), false},
		{"in/no operand", Condition{Key: "k", Op: OpIn}, a(Bool("k", false)), false},
		{"in/empty missing", leafs("k", OpIn), nil, false},
		{"not_in/empty values", leafs("k", OpNotIn), a(String("k", "x")), true},
		{"not_in/empty list attr", leafs("k", OpNotIn), a(Strings("k")), true},
		{"not_in/empty missing", leafs("k", OpNotIn), nil, true},
		{"not_in/no operand", Condition{Key: "k", Op: OpNotIn}, a(Float64("k", nan)), true},
		{"in_ci/empty", leaf("k", OpInCI, []string{}), a(String("k", "x")), false},
		{"not_in_ci/empty", leafs("k", OpNotInCI), a(String("k", "x")), true},

		// in_ci / not_in_ci
		{"in_ci/ascii", leafs("k", OpInCI, "Gold", "Premium"), a(String("k", "pREMIUM")), true},
		{"in_ci/unicode", leafs("k", OpInCI, "ÅLAND"), a(String("k", "åland")), true},
		{"in_ci/kelvin", leafs("k", OpInCI, "kelvin"), a(String("k", "\u212aELVIN")), true},
		{"in_ci/absent", leafs("k", OpInCI, "gold"), a(String("k", "golden")), false},
		{"in_ci/int attr", leafs("k", OpInCI, "1"), a(Int("k", 1)), false},
		{"not_in_ci/present", leafs("k", OpNotInCI, "gold"), a(String("k", "GOLD")), false},
		{"not_in_ci/missing", leafs("k", OpNotInCI, "gold"), nil, true},

		// contains, prefix, suffix
		{"contains/yes", leaf("k", OpContains, "ell"), a(String("k", "hello")), true},
		{"contains/no", leaf("k", OpContains, "ELL"), a(String("k", "hello")), false},
		{"contains/empty operand", leaf("k", OpContains, ""), a(String("k", "x")), true},
		{"contains/empty attr", leaf("k", OpContains, "x"), a(String("k", "")), false},
		{"contains/unicode", leaf("k", OpContains, "日本"), a(String("k", "ja-日本語")), true},
		{"contains/list element", leaf("k", OpContains, "bet"), a(Strings("k", "x", "beta")), true},
		{"contains/number attr", leaf("k", OpContains, "4"), a(Int("k", 42)), false},
		{"not_contains/no", leaf("k", OpNotContains, "x"), a(String("k", "abc")), true},
		{"not_contains/yes", leaf("k", OpNotContains, "b"), a(String("k", "abc")), false},
		{"not_contains/missing", leaf("k", OpNotContains, "b"), nil, true},
		{"contains_ci/yes", leaf("k", OpContainsCI, "ELL"), a(String("k", "hello")), true},
		{"contains_ci/unicode", leaf("k", OpContainsCI, "ÜBER"), a(String("k", "Das über-Ich")), true},
		{"contains_ci/kelvin width", leaf("k", OpContainsCI, "ok"), a(String("k", "bo\u212a!")), true},
		{"contains_ci/no", leaf("k", OpContainsCI, "xyz"), a(String("k", "hello")), false},
		{"contains_ci/empty operand", leaf("k", OpContainsCI, ""), a(String("k", "")), true},
		{"not_contains_ci/yes", leaf("k", OpNotContainsCI, "L"), a(String("k", "hello")), false},
		{"not_contains_ci/missing", leaf("k", OpNotContainsCI, "L"), nil, true},
		{"starts_with/yes", leaf("k", OpStartsWith, "/v2/"), a(String("k", "/v2/predict")), true},
		{"starts_with/no", leaf("k", OpStartsWith, "/V2/"), a(String("k", "/v2/predict")), false},
		{"starts_with/longer operand", leaf("k", OpStartsWith, "abcd"), a(String("k", "abc")), false},
		{"starts_with/empty operand", leaf("k", OpStartsWith, ""), a(String("k", "")), true},
		{"starts_with/bool attr", leaf("k", OpStartsWith, "t"), a(Bool("k", true)), false},
		{"starts_with_ci/yes", leaf("k", OpStartsWithCI, "/V2/"), a(String("k", "/v2/predict")), true},
		{"starts_with_ci/unicode", leaf("k", OpStartsWithCI, "ΣΊΣΥ"), a(String("k", "σίσυφος")), true},
		{"starts_with_ci/short attr", leaf("k", OpStartsWithCI, "abc"), a(String("k", "AB")), false},
		{"ends_with/yes", leaf("k", OpEndsWith, "@example.com"), a(String("k", "a@example.com")), true},
		{"ends_with/no", leaf("k", OpEndsWith, "@example.com"), a(String("k", "a@example.co")), false},
		{"ends_with_ci/yes", leaf("k", OpEndsWithCI, "@EXAMPLE.com"), a(String("k", "a@example.COM")), true},
		{"ends_with_ci/unicode", leaf("k", OpEndsWithCI, "ÇA"), a(String("k", "voilà ça")), true},
		{"ends_with_ci/long operand", leaf("k", OpEndsWithCI, "xabc"), a(String("k", "abc")), false},
		{"ends_with_ci/invalid utf8", leaf("k", OpEndsWithCI, "a"), a(String("k", "\xffA")), true},

		// matches
		{"matches/unanchored", leaf("k", OpMatches, `[0-9]+`), a(String("k", "build 42")), true},
		{"matches/anchored", leaf("k", OpMatches, `^[0-9]+$`), a(String("k", "build 42")), false},
		{"matches/unicode class", leaf("k", OpMatches, `^\p{Greek}+$`), a(String("k", "αβγ")), true},
		{"matches/empty attr", leaf("k", OpMatches, `^$`), a(String("k", "")), true},
		{"matches/int attr", leaf("k", OpMatches, `4`), a(Int("k", 4)), false},
		{"matches/list element", leaf("k", OpMatches, `^be`), a(Strings("k", "x", "beta")), true},
		{"matches/missing", leaf("k", OpMatches, `.*`), nil, false},

		// exists
		{"exists/yes", Condition{Key: "k", Op: OpExists}, a(String("k", "")), true},
		{"exists/empty list", Condition{Key: "k", Op: OpExists}, a(Strings("k")), true},
		{"exists/no", Condition{Key: "k", Op: OpExists}, a(String("j", "")), false},
		{"exists/zero value", Condition{Key: "k", Op: OpExists}, a(Attr{Key: "k"}), false},
		{"exists/NaN", Condition{Key: "k", Op: OpExists}, a(Float64("k", nan)), true},
		{"not_exists/yes", Condition{Key: "k", Op: OpNotExists}, nil, true},
		{"not_exists/no", Condition{Key: "k", Op: OpNotExists}, a(Bool("k", false)), false},

		// ordering
		{"lt/int", leaf("age", OpLess, 18), a(Int("age", 17)), true},
		{"lt/int equal", leaf("age", OpLess, 18), a(Int("age", 18)), false},
		{"lte/int equal", leaf("age", OpLessOrEqual, 18), a(Int("age", 18)), true},
		{"gt/uint vs negative", leaf("n", OpGreater, -1), a(Uint64("n", 0)), true},
		{"gt/float vs int", leaf("n", OpGreater, 2), a(Float64("n", 2.0000001)), true},
		{"gte/float vs uint", leaf("n", OpGreaterOrEqual, uint64(math.MaxUint64)), a(Float64("n", 1<<64)), true},
		{"gt/int vs float operand", leaf("n", OpGreater, 2.5), a(Int("n", 3)), true},
		{"lt/big int64 vs float exact", leaf("n", OpLess, float64(1<<53)), a(Int64("n", 1<<53+1)), false},
		{"gt/big int64 vs float exact", leaf("n", OpGreater, float64(1<<53)), a(Int64("n", 1<<53+1)), true},
		{"lt/inf", leaf("n", OpLess, inf), a(Float64("n", math.MaxFloat64)), true},
		{"lt/NaN attr", leaf("n", OpLess, 1), a(Float64("n", nan)), false},
		{"gte/NaN attr", leaf("n", OpGreaterOrEqual, 1), a(Float64("n", nan)), false},
		{"lt/string attr vs number", leaf("n", OpLess, 100), a(String("n", "5")), false},
		{"lt/bool attr", leaf("n", OpLess, 100), a(Bool("n", false)), false},
		{"lt/string", leaf("d", OpLess, "2024-06-01"), a(String("d", "2024-05-31")), true},
		{"lt/string bytewise", leaf("d", OpLess, "9"), a(String("d", "10")), true},
		{"gt/string vs int attr", leaf("d", OpGreater, "1"), a(Int("d", 5)), false},
		{"gt/missing", leaf("d", OpGreater, 1), nil, false},
		{"lt/list attr", leaf("d", OpLess, "b"), a(Strings("d", "a")), true},
		{"between/inside", leafs("age", OpBetween, 10, 30), a(Int("age", 25)), true},
		{"between/low edge", leafs("age", OpBetween, 10, 30), a(Int("age", 10)), true},
		{"between/high edge", leafs("age", OpBetween, 10, 30), a(Uint64("age", 30)), true},
		{"between/below", leafs("age", OpBetween, 10, 30), a(Float64("age", 9.99)), false},
		{"between/above", leafs("age", OpBetween, 10, 30), a(Float64("age", 30.01)), false},
		{"between/mixed operand kinds", leafs("x", OpBetween, -1, 2.5), a(Int("x", 2)), true},
		{"between/NaN", leafs("x", OpBetween, 0, 1), a(Float64("x", nan)), false},
		{"between/strings", leafs("d", OpBetween, "a", "m"), a(String("d", "hello")), true},
		{"between/string attr vs numbers", leafs("d", OpBetween, 1, 9), a(String("d", "5")), false},
		{"between/missing", leafs("d", OpBetween, 1, 9), nil, false},

		// semver
		{"semver_gt/1.10.0 > 1.9.3", leaf("v", OpSemverGreater, "1.9.3"), a(String("v", "1.10.0")), true},
		{"semver_lt/1.10.0 < 1.9.3 is false", leaf("v", OpSemverLess, "1.9.3"), a(String("v", "1.10.0")), false},
		{"semver_gte/short operand", leaf("v", OpSemverGreaterEq, "2.3"), a(String("v", "v2.3.0")), true},
		{"semver_gte/below", leaf("v", OpSemverGreaterEq, "2.3"), a(String("v", "2.2.99")), false},
		{"semver_eq/build ignored", leaf("v", OpSemverEquals, "1.2.3"), a(String("v", "1.2.3+sha.5")), true},
		{"semver_eq/v prefix", leaf("v", OpSemverEquals, "v1.2.3"), a(String("v", "1.2.3")), true},
		{"semver_lt/prerelease", leaf("v", OpSemverLess, "1.0.0"), a(String("v", "1.0.0-rc.1")), true},
		{"semver_lt/prerelease numeric", leaf("v", OpSemverLess, "1.0.0-rc.10"), a(String("v", "1.0.0-rc.9")), true},
		{"semver_lt/prerelease alpha", leaf("v", OpSemverLess, "1.0.0-beta"), a(String("v", "1.0.0-alpha.1")), true},
		{"semver_lt/numeric before alpha", leaf("v", OpSemverLess, "1.0.0-alpha.beta"), a(String("v", "1.0.0-alpha.1")), true},
		{"semver_lt/shorter first", leaf("v", OpSemverLess, "1.0.0-alpha.1"), a(String("v", "1.0.0-alpha")), true},
		{"semver_lte/equal", leaf("v", OpSemverLessEq, "1.0.0"), a(String("v", "1.0.0")), true},
		{"semver_gt/invalid attr", leaf("v", OpSemverGreater, "1.0.0"), a(String("v", "latest")), false},
		{"semver_gt/empty attr", leaf("v", OpSemverGreater, "0.0.0"), a(String("v", "")), false},
		{"semver_gt/int attr", leaf("v", OpSemverGreater, "1.0.0"), a(Int("v", 2)), false},
		{"semver_gt/list attr", leaf("v", OpSemverGreater, "1.0.0"), a(Strings("v", "0.1", "3.0")), true},
		{"semver_gt/huge numbers", leaf("v", OpSemverGreater, "18446744073709551614.0.0"), a(String("v", "18446744073709551615.0.0")), true},
		{"semver_gt/overflow attr", leaf("v", OpSemverGreater, "1.0.0"), a(String("v", "18446744073709551616.0.0")), false},
		{"semver_gte/leading zero attr is no version", leaf("v", OpSemverGreaterEq, "1.0.0"), a(String("v", "01.2.3")), false},
		{"semver_lt/leading zero prerelease is no version", leaf("v", OpSemverLess, "2.0.0"), a(String("v", "1.2.3-01")), false},
		{"semver_eq/leading zero in build is fine", leaf("v", OpSemverEquals, "1.2.3"), a(String("v", "1.2.3+001")), true},
		{"semver_gt/zero prerelease", leaf("v", OpSemverGreater, "1.0.0-0"), a(String("v", "1.0.0-1")), true},
		{"semver_lt/long numeric prerelease", leaf("v", OpSemverLess, "1.0.0-100000000000000000000"), a(String("v", "1.0.0-99999999999999999999")), true},
		{"semver_between/inside", leafs("v", OpSemverBetween, "1.2", "1.4"), a(String("v", "1.3.7")), true},
		{"semver_between/edge", leafs("v", OpSemverBetween, "1.2", "1.4"), a(String("v", "1.4.0")), true},
		{"semver_between/prerelease of high edge", leafs("v", OpSemverBetween, "1.2", "1.4"), a(String("v", "1.4.0-rc.1")), true},
		{"semver_between/above", leafs("v", OpSemverBetween, "1.2", "1.4"), a(String("v", "1.4.1")), false},

		// time: instants, whatever the offset
		{"after/later", leaf("t", OpAfter, "2026-01-01T00:00:00Z"), a(String("t", "2026-01-01T00:00:01Z")), true},
		{"after/equal", leaf("t", OpAfter, "2026-01-01T00:00:00Z"), a(String("t", "2026-01-01T00:00:00Z")), false},
		{"after/same instant other offset", leaf("t", OpAfter, "2026-01-01T00:00:00Z"), a(String("t", "2026-01-01T01:00:00+01:00")), false},
		{"before/same instant other offset", leaf("t", OpBefore, "2026-01-01T00:00:00Z"), a(String("t", "2026-01-01T01:00:00+01:00")), false},
		{"before/earlier by offset", leaf("t", OpBefore, "2026-01-01T00:00:00Z"), a(String("t", "2026-01-01T00:30:00+01:00")), true},
		{"after/later by negative offset", leaf("t", OpAfter, "2026-01-01T00:00:00Z"), a(String("t", "2025-12-31T23:30:00-00:31")), true},
		{"after/-00:00 is UTC", leaf("t", OpAfter, "2026-01-01T00:00:00-00:00"), a(String("t", "2026-01-01T00:00:00Z")), false},
		{"after/nanosecond", leaf("t", OpAfter, "2026-01-01T00:00:00Z"), a(String("t", "2026-01-01T00:00:00.000000001Z")), true},
		{"after/beyond nanoseconds truncated", leaf("t", OpAfter, "2026-01-01T00:00:00Z"), a(String("t", "2026-01-01T00:00:00.0000000009Z")), false},
		{"after/lower-case t and z", leaf("t", OpAfter, "2026-01-01t00:00:00z"), a(String("t", "2026-01-01t00:00:00.5z")), true},
		{"after/date operand is midnight UTC", leaf("t", OpAfter, "2026-01-01"), a(String("t", "2026-01-01T00:00:00.001Z")), true},
		{"after/date attribute", leaf("t", OpAfter, "2025-12-31T23:59:59Z"), a(String("t", "2026-01-01")), true},
		{"before/time attribute", leaf("t", OpBefore, "2026-01-01"), a(Time("t", time.Date(2025, 12, 31, 23, 59, 59, 999999999, time.UTC))), true},
		{"before/time attribute in a zone", leaf("t", OpBefore, "2026-01-01T00:00:00Z"), a(Time("t", time.Date(2026, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600)))), true},
		{"after/time.Time operand", leaf("t", OpAfter, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), a(String("t", "2026-01-01T00:00:00.1Z")), true},
		{"after/year 0000 and 9999", leaf("t", OpAfter, "0000-01-01T00:00:00Z"), a(String("t", "9999-12-31T23:59:59.999999999Z")), true},
		{"after/before 1970", leaf("t", OpAfter, "1969-12-31T23:59:59Z"), a(Time("t", time.Unix(0, 0))), true},
		{"after/leap day", leaf("t", OpAfter, "2024-02-28"), a(String("t", "2024-02-29T00:00:00Z")), true},
		{"after/no leap day", leaf("t", OpAfter, "2000-01-01"), a(String("t", "2023-02-29T00:00:00Z")), false},
		{"after/leap second refused", leaf("t", OpAfter, "2000-01-01"), a(String("t", "2016-12-31T23:59:60Z")), false},
		{"after/not a time", leaf("t", OpAfter, "2000-01-01"), a(String("t", "yesterday")), false},
		{"after/space separator", leaf("t", OpAfter, "2000-01-01"), a(String("t", "2026-01-01 00:00:00Z")), false},
		{"after/no offset", leaf("t", OpAfter, "2000-01-01"), a(String("t", "2026-01-01T00:00:00")), false},
		{"after/offset hour 24", leaf("t", OpAfter, "2000-01-01"), a(String("t", "2026-01-01T00:00:00+24:00")), false},
		{"after/int attribute", leaf("t", OpAfter, "2000-01-01"), a(Int64("t", 2000000000)), false},
		{"after/list attribute", leaf("t", OpAfter, "2000-01-01"), a(Strings("t", "x", "2026-01-01")), true},
		{"after/missing", leaf("t", OpAfter, "2000-01-01"), nil, false},
		{"time_between/inside", leafs("t", OpTimeBetween, "2026-01-01", "2026-02-01"), a(String("t", "2026-01-15T12:00:00+05:30")), true},
		{"time_between/low edge", leafs("t", OpTimeBetween, "2026-01-01", "2026-02-01"), a(String("t", "2025-12-31T19:00:00-05:00")), true},
		{"time_between/high edge", leafs("t", OpTimeBetween, "2026-01-01", "2026-02-01"), a(Time("t", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))), true},
		{"time_between/after", leafs("t", OpTimeBetween, "2026-01-01", "2026-02-01"), a(String("t", "2026-02-01T00:00:00.000000001Z")), false},
		{"time_between/one instant", leafs("t", OpTimeBetween, "2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00"), a(String("t", "2026-01-01")), true},

		// in_cidr: IPv4 and IPv6, addresses or strings
		{"in_cidr/v4", leafs("ip", OpInCIDR, "10.0.0.0/8", "192.168.0.0/16"), a(String("ip", "192.168.7.1")), true},
		{"in_cidr/v4 outside", leafs("ip", OpInCIDR, "10.0.0.0/8", "192.168.0.0/16"), a(String("ip", "172.16.0.1")), false},
		{"in_cidr/single value", leaf("ip", OpInCIDR, "10.0.0.0/8"), a(String("ip", "10.255.255.255")), true},
		{"in_cidr/addr attribute", leafs("ip", OpInCIDR, "10.0.0.0/8"), a(Addr("ip", netip.MustParseAddr("10.1.2.3"))), true},
		{"in_cidr/v6", leafs("ip", OpInCIDR, "2001:db8::/32"), a(String("ip", "2001:db8:ffff::1")), true},
		{"in_cidr/v6 outside", leafs("ip", OpInCIDR, "2001:db8::/32"), a(String("ip", "2001:db9::1")), false},
		{"in_cidr/v6 addr attribute", leafs("ip", OpInCIDR, "fd00::/8"), a(Addr("ip", netip.MustParseAddr("fd12:3456::1"))), true},
		{"in_cidr/host bits of the operand ignored", leafs("ip", OpInCIDR, "10.1.2.3/8"), a(String("ip", "10.200.0.1")), true},
		{"in_cidr/bare address", leafs("ip", OpInCIDR, "10.1.2.3"), a(String("ip", "10.1.2.3")), true},
		{"in_cidr/bare address is /32", leafs("ip", OpInCIDR, "10.1.2.3"), a(String("ip", "10.1.2.4")), false},
		{"in_cidr/bare v6 address is /128", leafs("ip", OpInCIDR, "::1"), a(String("ip", "::1")), true},
		{"in_cidr/netip operands", leafs("ip", OpInCIDR, netip.MustParsePrefix("10.0.0.0/8"), netip.MustParseAddr("::1")), a(String("ip", "::1")), true},
		{"in_cidr/mapped address is IPv4", leafs("ip", OpInCIDR, "10.0.0.0/8"), a(String("ip", "::ffff:10.1.2.3")), true},
		{"in_cidr/mapped addr attribute is IPv4", leafs("ip", OpInCIDR, "10.0.0.0/8"), a(Addr("ip", netip.MustParseAddr("::ffff:10.1.2.3"))), true},
		{"in_cidr/mapped prefix is IPv4", leafs("ip", OpInCIDR, "::ffff:10.0.0.0/104"), a(String("ip", "10.1.2.3")), true},
		{"in_cidr/mapped prefix outside", leafs("ip", OpInCIDR, "::ffff:10.0.0.0/104"), a(String("ip", "11.1.2.3")), false},
		{"in_cidr/all IPv4", leafs("ip", OpInCIDR, "0.0.0.0/0"), a(String("ip", "::ffff:1.2.3.4")), true},
		{"in_cidr/all IPv4 is not IPv6", leafs("ip", OpInCIDR, "0.0.0.0/0"), a(String("ip", "::1")), false},
		{"in_cidr/all IPv6 is not IPv4", leafs("ip", OpInCIDR, "::/0"), a(String("ip", "1.2.3.4")), false},
		{"in_cidr/all IPv6 is not mapped IPv4", leafs("ip", OpInCIDR, "::/0"), a(String("ip", "::ffff:1.2.3.4")), false},
		{"in_cidr/all IPv6", leafs("ip", OpInCIDR, "::/0"), a(String("ip", "2001:db8::1")), true},
		{"in_cidr/zone ignored", leafs("ip", OpInCIDR, "fe80::/10"), a(String("ip", "fe80::1%eth0")), true},
		{"in_cidr/zone ignored in addr", leafs("ip", OpInCIDR, "fe80::/10"), a(Addr("ip", netip.MustParseAddr("fe80::1%eth0"))), true},
		{"in_cidr/empty zone refused", leafs("ip", OpInCIDR, "fe80::/10"), a(String("ip", "fe80::1%")), false},
		{"in_cidr/embedded IPv4", leafs("ip", OpInCIDR, "64:ff9b::/96"), a(String("ip", "64:ff9b::192.0.2.33")), true},
		{"in_cidr/leading zero refused", leafs("ip", OpInCIDR, "10.0.0.0/8"), a(String("ip", "010.1.2.3")), false},
		{"in_cidr/short refused", leafs("ip", OpInCIDR, "10.0.0.0/8"), a(String("ip", "10.1.2")), false},
		{"in_cidr/port refused", leafs("ip", OpInCIDR, "10.0.0.0/8"), a(String("ip", "10.1.2.3:80")), false},
		{"in_cidr/int attribute", leafs("ip", OpInCIDR, "0.0.0.0/0"), a(Int64("ip", 167772161)), false},
		{"in_cidr/list attribute", leafs("ip", OpInCIDR, "10.0.0.0/8"), a(Strings("ip", "203.0.113.9", "10.0.0.7")), true},
		{"in_cidr/missing", leafs("ip", OpInCIDR, "0.0.0.0/0"), nil, false},
		{"in_cidr/empty list", leafs("ip", OpInCIDR), a(String("ip", "10.0.0.1")), false},
		{"in_cidr/nested prefixes", leafs("ip", OpInCIDR, "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24"), a(String("ip", "10.9.9.9")), true},
		{"not_in_cidr/inside", leafs("ip", OpNotInCIDR, "10.0.0.0/8"), a(String("ip", "10.1.2.3")), false},
		{"not_in_cidr/outside", leafs("ip", OpNotInCIDR, "10.0.0.0/8"), a(String("ip", "11.1.2.3")), true},
		{"not_in_cidr/missing", leafs("ip", OpNotInCIDR, "10.0.0.0/8"), nil, true},
		{"not_in_cidr/not an address", leafs("ip", OpNotInCIDR, "10.0.0.0/8"), a(String("ip", "localhost")), true},
		{"not_in_cidr/empty list", leafs("ip", OpNotInCIDR), a(String("ip", "10.0.0.1")), true},

		// composition
		{"zero condition", Condition{}, nil, true},
		{"all/true", Condition{All: []Condition{leaf("a", OpEquals, 1), leaf("b", OpEquals, 2)}}, a(Int("a", 1), Int("b", 2)), true},
		{"all/false", Condition{All: []Condition{leaf("a", OpEquals, 1), leaf("b", OpEquals, 2)}}, a(Int("a", 1)), false},
		{"any/true", Condition{Any: []Condition{leaf("a", OpEquals, 1), leaf("b", OpEquals, 2)}}, a(Int("b", 2)), true},
		{"any/false", Condition{Any: []Condition{leaf("a", OpEquals, 1), leaf("b", OpEquals, 2)}}, nil, false},
		{"not/missing", Condition{Not: &Condition{Key: "a", Op: OpEquals, Value: 1}}, nil, true},
		{"nested", Condition{All: []Condition{
			{Any: []Condition{leaf("os", OpEquals, "ios"), leaf("os", OpEquals, "android")}},
			{Not: &Condition{Any: []Condition{leaf("country", OpIn, []any{"kp", "ir"})}}},
			leaf("app", OpSemverGreaterEq, "2.3"),
		}}, a(String("os", "android"), String("country", "fr"), String("app", "2.10")), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Compile(Audience{Name: "t", Conditions: tc.cond})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got := m.Match(tc.attrs); got != tc.want {
				t.Errorf("Match(%v) = %v, want %v", tc.attrs, got, tc.want)
			}
		})
	}
}

func TestNilMatcher(t *testing.T) {
	var m *Matcher
	if !m.Match(nil) || m.Name() != "" {
		t.Fatal("nil Matcher should match everything and have no name")
	}
}
