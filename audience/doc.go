// Package audience decides whether a request belongs to an audience: a
// named, described composition of conditions on the request's attributes,
// such as "users from california", "app version >= 2.3 on iOS" or
// "accounts in the EU with a premium plan".
//
// # Attributes
//
// A handler describes its request with Attributes, a typed list in the
// manner of log/slog:
//
//	attrs := audience.Attributes{
//		audience.String("location", loc),
//		audience.Int("age", 31),
//		audience.Strings("groups", "staff", "beta"),
//		audience.Time("signed_up", user.Created),
//		audience.Addr("client", clientAddr), // a netip.Addr
//	}
//
// Built as a composite literal and passed to Matcher.Match, the list stays
// on the stack: building and matching it allocates nothing. The kinds are
// string, bool, int64, uint64, float64, string list, time (an instant, a
// time.Time) and addr (an IP address, a netip.Addr). FromMap and Any
// convert interface values for convenience, at the price of allocating;
// they map time.Time, netip.Addr and net.IP to the time and addr kinds.
// If a key repeats, its first occurrence counts; an attribute whose Value
// is the zero Value counts as missing.
//
// # Conditions and operators
//
// A Condition is either a composition (All, Any, Not, nested freely) or a
// leaf testing one attribute: Key, Op and the operand in Value (or the
// list in Values). The zero Condition matches everything.
//
//	operator         operand              holds when the attribute ...
//	equals           string, bool, number equals the operand (see Comparison)
//	not_equals       string, bool, number does not equal it
//	equals_ci        string               equals it, ignoring case
//	not_equals_ci    string               does not equal it, ignoring case
//	in               list of scalars      equals one element (a compiled set)
//	not_in           list of scalars      equals no element
//	in_ci            list of strings      equals one element, ignoring case
//	not_in_ci        list of strings      equals no element, ignoring case
//	contains         string               contains the operand as a substring
//	not_contains     string               does not contain it
//	contains_ci      string               contains it, ignoring case
//	not_contains_ci  string               does not contain it, ignoring case
//	starts_with      string               starts with the operand
//	starts_with_ci   string               starts with it, ignoring case
//	ends_with        string               ends with the operand
//	ends_with_ci     string               ends with it, ignoring case
//	matches          RE2 regexp           matches (unanchored; write ^...$ for a whole match)
//	exists           none                 is present
//	not_exists       none                 is absent
//	lt, lte          number or string     is <, <= the operand
//	gt, gte          number or string     is >, >= the operand
//	between          [low, high]          low <= attribute <= high (inclusive)
//	semver_eq        version              is a version equal to the operand
//	semver_lt, semver_lte, semver_gt, semver_gte
//	                 version              is a version <, <=, >, >= the operand
//	semver_between   [low, high]          is a version in [low, high] (inclusive)
//	before           time                 is an instant before the operand
//	after            time                 is an instant after the operand
//	time_between     [low, high]          is an instant in [low, high] (inclusive)
//	in_cidr          list of prefixes     is an IP address in one of the CIDR prefixes
//	not_in_cidr      list of prefixes     is not in any of them
//
// The operand list of in, not_in, in_ci, not_in_ci, in_cidr and
// not_in_cidr may be empty, or left out, which is the same: "in: []"
// matches nothing and "not_in: []" matches everything, as in Unleash and GrowthBook, so a list emptied by a
// generator (whose encoder drops it as omitempty) loads and means what it
// says.
//
// The time operators compare instants, whatever the offsets:
// 2026-01-01T01:00:00+01:00 is neither before nor after 2026-01-01T00:00:00Z.
// They read time attributes, and string attributes that hold an RFC 3339
// date-time (section 5.6: "2026-01-01T09:30:00.25+02:00", 'T' and 'Z' in
// either case, a fraction of any length of which nanoseconds count, a Z or
// ±hh:mm offset with hh up to 23) or a full-date ("2026-01-01", which
// stands for its midnight UTC); a string that is neither, and every other
// kind, satisfies none of them. A leap second (second 60) is refused, as
// package time refuses it. Operands are such strings or time.Time values;
// unquoted YAML timestamps (value: 2026-01-01) decode to time.Time and are
// fine. An instant parsed from a string allocates nothing.
//
// in_cidr takes CIDR prefixes, IPv4 or IPv6 ("10.0.0.0/8",
// "2001:db8::/32"; host bits are ignored, so "10.1.2.3/8" is 10.0.0.0/8),
// or single addresses ("10.1.2.3" is 10.1.2.3/32), as strings,
// netip.Prefix or netip.Addr values, a list or one value. It reads addr
// attributes, and string attributes that netip.ParseAddr reads (parsed
// without allocating). An IPv4-mapped IPv6 address, ::ffff:10.1.2.3, which
// dual-stack listeners report for IPv4 clients, is the IPv4 address it
// maps: it is in 10.0.0.0/8, and a prefix written in the mapped form,
// ::ffff:10.0.0.0/104, is the IPv4 prefix 10.0.0.0/8. Otherwise the
// families stay apart, as in netip.Prefix.Contains: 0.0.0.0/0 holds every
// IPv4 address and no IPv6 one, ::/0 every IPv6 address and no IPv4 one.
// An IPv6 zone is ignored ("fe80::1%eth0" is in fe80::/10, where
// netip.Prefix.Contains says no); operands with zones are refused. A list
// costs one binary search per distinct prefix length, however long it is.
// In YAML, quote an address that starts with "::" inside a flow list
// (["::1"]); block lists and other addresses need no quotes.
//
// Qwak's audience files have no operator for times, addresses, sets or
// versions; these operators have only the varroute forms above.
//
// Only the _ci operators ignore case; they use Unicode simple case folding,
// the rule of strings.EqualFold ("Straße" and "STRASSE" differ, "K" and the
// Kelvin sign K agree). Regular expressions use package regexp (RE2): they
// run in time linear in the input, never backtrack exponentially, and are
// compiled once by Compile; see Limits for the bounds on their size and
// input.
//
// Semantic versions follow semver 2.0.0 strictly, with two documented
// exceptions: an optional leading "v" (or "V"), and MINOR and PATCH may be
// left out (they count as 0, so "2.3" is 2.3.0 and "v2" is 2.0.0). The
// rest is the standard's: MAJOR.MINOR.PATCH are numbers without leading
// zeros (§2: "01.2.3" is not a version, "0.1.0" is), an optional
// -PRERELEASE of dot-separated [0-9A-Za-z-] identifiers whose numeric ones
// have no leading zeros either (§9: "1.2.3-01" is not a version,
// "1.2.3-0a" is), and an optional +BUILD that is checked (§10; leading
// zeros allowed) and then ignored. MAJOR, MINOR and PATCH must each fit a
// uint64 (at most 18446744073709551615): a larger number makes the string
// no version; numeric pre-release identifiers may have any length.
// Precedence is §11's: 1.10.0 > 1.9.3; 1.0.0-alpha < 1.0.0-alpha.1 <
// 1.0.0-beta < 1.0.0-rc.1 < 1.0.0. An attribute that is not a valid
// version satisfies no semver operator, and Compile refuses an operand
// that is not one. Write version operands as strings: a YAML 2.10 is the
// number 2.1, so Compile refuses floating-point version operands.
//
// # Comparison
//
// Values compare only within five families, and never across them:
//
//   - strings compare byte-wise (equals, in, lt ... between with string
//     operands): "42" is not equal to 42, and "10" < "9";
//   - numbers compare by value whatever their kinds: int64 2, uint64 2 and
//     float64 2.0 are equal, and comparisons of int64 or uint64 with
//     float64 are exact (no rounding through float64);
//   - bools equal bools: true is not equal to 1 or "true";
//   - instants (time attributes, and strings that hold one) satisfy only
//     before, after and time_between, and addresses (addr attributes, and
//     strings that hold one) only in_cidr and not_in_cidr: equals does not
//     compare a time attribute with a string, and in_cidr does not read an
//     int.
//
// NaN equals nothing and is neither less nor greater than anything, so an
// attribute that is NaN satisfies no positive operator (and every not_
// operator); Compile refuses NaN operands. Attribute strings are never
// parsed as numbers: a handler that has a number in a header converts it,
// as with audience.Int("age", n).
//
// A string list attribute satisfies an operator when at least one of its
// elements, taken as a string attribute, does: equals "beta" holds for
// ["staff", "beta"], contains "bet" holds too, and not_equals "beta" does
// not (it is the negation of equals). An empty list satisfies no positive
// operator. Numeric operators never match a list.
//
// # Missing keys
//
// A missing key makes every positive operator false. Every not_ operator is
// exactly the negation of its positive form, so not_equals, not_in,
// not_contains (and their _ci forms) and not_exists hold when the key is
// missing, and also when the attribute has another kind (not_equals "x"
// holds for the int 5). For "the key is present and differs", combine
// exists with not_equals under all.
//
// # Limits
//
// Compile bounds what one audience can make Match do: MaxConditions
// conditions nested at most MaxNesting deep, regular expressions of at most
// MaxPatternSize bytes whose programs have at most MaxRegexProgram
// instructions together, each reading at most MaxRegexInput bytes (a longer
// string does not match). Every other operator costs time linear in the
// bytes of the attribute it reads, so one Match costs at most the sum of
// its conditions' bounds; BENCHMARKS.md has the worst cases measured.
//
// # Files
//
// Parse reads YAML or JSON in the package's own schema (a top-level
// "audiences" list) or in Qwak's (JFrog ML) audience schema as Qwak
// writes it, and reports errors with the line, column and field path.
package audience
