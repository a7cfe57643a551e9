package audience

// Operators on instants and IP addresses. They read attributes of kind
// time and addr, and strings that hold one (RFC 3339 times, textual
// addresses), as the package overview says.
const (
	OpBefore      Op = "before"       // instant < Value (an RFC 3339 time or a date)
	OpAfter       Op = "after"        // instant > Value
	OpTimeBetween Op = "time_between" // Values[0] <= instant <= Values[1]
	OpInCIDR      Op = "in_cidr"      // address is in one of the CIDR prefixes Values
	OpNotInCIDR   Op = "not_in_cidr"  // not in_cidr
)
