package audience

// Limits of Compile (and so of Parse, which compiles what it reads), so
// that no audience can make one Match cost more than a bound. Each error
// that reports one names the constant and its value.
//
// Match visits each condition at most once, and every operator but
// matches costs time linear in the bytes of the attribute it reads (the
// case-insensitive ones are the slowest: one case fold per rune), plus a
// constant: sets are hash tables, in_cidr is a binary search per distinct
// prefix length, no operator backtracks. A regular expression costs up to
// (instructions of its program × bytes of input), so it is bounded twice:
// by the program, summed over the audience (MaxRegexProgram), and by the
// input (MaxRegexInput). A string list attribute is tested element by
// element, each within these bounds. BENCHMARKS.md has the measured worst
// cases.
const (
	// MaxConditions bounds the conditions of one audience, leaves and
	// compositions (all, any, not) alike.
	MaxConditions = 1024
	// MaxNesting bounds how deeply the conditions of an audience nest (a
	// leaf alone is level 1, all: [leaf] is level 2). Parse's MaxDepth
	// already keeps files below it.
	MaxNesting = 64
	// MaxPatternSize bounds the text of a regular expression (the operand
	// of matches, and of Qwak's SAFE_REGEX_MATCH once anchored), in bytes.
	MaxPatternSize = 1024
	// MaxRegexProgram bounds the programs of the regular expressions of one
	// audience, summed, in instructions of package regexp/syntax (those
	// regexp runs): a short pattern can stand for a long program, such as
	// x{1000}, 7 bytes and 1,000 instructions. A realistic pattern has one
	// to two instructions per byte: `^[a-z0-9._%+-]+@(example|corp)\.(com|org)$`
	// has 31; Envoy, which Qwak's "safe regex" comes from, allows 100 by
	// default.
	MaxRegexProgram = 128
	// MaxRegexInput bounds the string a regular expression reads, in bytes:
	// a longer string does not match it (and so satisfies Not of it), as if
	// it were not a string. Headers such as User-Agent are well within it.
	MaxRegexInput = 1024
)
