package audience

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"
)

// AnyValue converts a Go value to a Value. It is a convenience for code
// that holds attributes as interface values; it may allocate.
//
//   - a time.Time becomes a time Value (TimeValue);
//   - a netip.Addr becomes an addr Value (AddrValue), and so does a
//     net.IP of 4 or 16 bytes (a 16-byte IPv4-mapped one, the form
//     net.ParseIP gives IPv4 addresses, as the IPv4 address);
//   - another fmt.Stringer (time.Duration, an enum type ...) becomes its
//     String();
//   - string, bool, every int and uint kind, float32 and float64, and
//     types whose underlying type is one of those, keep their kind (ints
//     become int64, uints uint64, floats float64);
//   - json.Number becomes an int64, a uint64 or a float64, whichever holds
//     it exactly in that order, or a string if it is not a number;
//   - []string becomes a string list that shares the slice;
//   - other slices and arrays ([]any, []int ...) become string lists, each
//     element converted as here and then formatted as text;
//   - nil becomes the zero Value, which Match treats as a missing key;
//   - anything else becomes the string fmt.Sprint gives.
func AnyValue(v any) Value {
	switch x := v.(type) {
	case nil:
		return Value{}
	case Value:
		return x
	case []string:
		return StringsValue(x)
	case json.Number:
		if n, ok := numberValue(string(x)); ok {
			return n
		}
		return StringValue(string(x))
	case time.Time:
		return TimeValue(x)
	case netip.Addr:
		return AddrValue(x)
	case net.IP:
		if a, ok := netip.AddrFromSlice(x); ok {
			return AddrValue(a.Unmap())
		}
		if x == nil {
			return Value{}
		}
	}
	if s, ok := v.(fmt.Stringer); ok {
		return StringValue(s.String())
	}
	if sv, ok := toScalar(v); ok {
		return sv
	}
	if list, ok := asList(v); ok {
		out := make([]string, len(list))
		for i, e := range list {
			out[i] = AnyValue(e).String()
			if e == nil {
				out[i] = ""
			}
		}
		return StringsValue(out)
	}
	return StringValue(fmt.Sprint(v))
}

// Any returns an Attr for an arbitrary Go value, converted by AnyValue.
func Any(key string, value any) Attr { return Attr{key, AnyValue(value)} }

// FromMap converts a map of attributes to Attributes, each value
// converted by AnyValue, sorted by key so the result is deterministic. A
// nil map gives nil Attributes. It allocates: build Attributes directly on
// hot paths.
func FromMap(m map[string]any) Attributes {
	if m == nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(Attributes, len(keys))
	for i, k := range keys {
		out[i] = Attr{k, AnyValue(m[k])}
	}
	return out
}
