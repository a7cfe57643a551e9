package audience

import (
	"math"
	"net/netip"
	"strconv"
	"time"
	"unsafe"
)

// Kind is the type of a Value.
type Kind uint8

// The kinds of Value. The zero Value has KindAny and means "no value".
const (
	KindAny Kind = iota
	KindString
	KindBool
	KindInt64
	KindUint64
	KindFloat64
	KindStrings
	KindTime // an instant, such as a sign-up time
	KindAddr // an IP address, IPv4 or IPv6
)

var kindNames = [...]string{"any", "string", "bool", "int64", "uint64", "float64", "strings", "time", "addr"}

// String returns the kind's name, such as "string" or "int64".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// A Value is a typed attribute value. It is a small immutable value type:
// building one never allocates, and copies share nothing mutable except the
// backing array of a string list, which callers must not modify while a
// Value refers to it.
//
// The zero Value has KindAny and behaves as an absent value.
type Value struct {
	// Four fields at most, 32 bytes: the compiler keeps such a struct in
	// registers and builds it in place, while a fifth field would make
	// every Attr literal go through a temporary copy.
	p unsafe.Pointer // KindString: the bytes; KindStrings: the first element; KindTime: the *time.Location
	n uint64         // string or list length; bool (0/1), int64, uint64, float64 bits; KindTime: Unix seconds; KindAddr: high half of As16
	m uint64         // KindTime: nanoseconds; KindAddr: low half of As16
	k Kind
}

// StringValue returns a Value of kind string.
func StringValue(v string) Value {
	return Value{p: unsafe.Pointer(unsafe.StringData(v)), n: uint64(len(v)), k: KindString}
}

// str returns the string of a KindString Value.
func (v Value) str() string { return unsafe.String((*byte)(v.p), int(v.n)) }

// BoolValue returns a Value of kind bool.
func BoolValue(v bool) Value {
	var n uint64
	if v {
		n = 1
	}
	return Value{n: n, k: KindBool}
}

// Int64Value returns a Value of kind int64.
func Int64Value(v int64) Value { return Value{n: uint64(v), k: KindInt64} }

// Uint64Value returns a Value of kind uint64.
func Uint64Value(v uint64) Value { return Value{n: v, k: KindUint64} }

// Float64Value returns a Value of kind float64.
func Float64Value(v float64) Value { return Value{n: math.Float64bits(v), k: KindFloat64} }

// StringsValue returns a Value of kind strings that refers to vs without
// copying it. The caller must not modify vs while the Value is in use.
func StringsValue(vs []string) Value {
	return Value{p: unsafe.Pointer(unsafe.SliceData(vs)), n: uint64(len(vs)), k: KindStrings}
}

// TimeValue returns a Value of kind time holding the instant t and its
// location (for Time and String; matching compares instants only). The
// monotonic clock reading, if any, is dropped. It does not allocate.
func TimeValue(t time.Time) Value {
	return Value{p: unsafe.Pointer(t.Location()), n: uint64(t.Unix()), m: uint64(t.Nanosecond()), k: KindTime}
}

// AddrValue returns a Value of kind addr holding a as in_cidr sees it: an
// IPv4-mapped IPv6 address (::ffff:10.1.2.3) becomes the IPv4 address it
// maps, and an IPv6 zone is dropped, so Addr returns a.Unmap().WithZone("").
// The zero netip.Addr, which is no address, gives the zero Value, which
// counts as missing. It does not allocate.
func AddrValue(a netip.Addr) Value {
	if !a.IsValid() {
		return Value{}
	}
	b := a.As16()
	return Value{n: beUint64(b[:8]), m: beUint64(b[8:]), k: KindAddr}
}

func beUint64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// Kind returns v's kind.
func (v Value) Kind() Kind { return v.k }

// Str returns v's string if v is of kind string, and "" otherwise.
func (v Value) Str() string {
	if v.k != KindString {
		return ""
	}
	return v.str()
}

// Bool returns v's bool if v is of kind bool, and false otherwise.
func (v Value) Bool() bool { return v.k == KindBool && v.n == 1 }

// Int64 returns v's int64 if v is of kind int64, and 0 otherwise.
func (v Value) Int64() int64 {
	if v.k != KindInt64 {
		return 0
	}
	return int64(v.n)
}

// Uint64 returns v's uint64 if v is of kind uint64, and 0 otherwise.
func (v Value) Uint64() uint64 {
	if v.k != KindUint64 {
		return 0
	}
	return v.n
}

// Float64 returns v's float64 if v is of kind float64, and 0 otherwise.
func (v Value) Float64() float64 {
	if v.k != KindFloat64 {
		return 0
	}
	return math.Float64frombits(v.n)
}

// Time returns v's instant, in the location it was given, if v is of kind
// time, and the zero time.Time otherwise.
func (v Value) Time() time.Time {
	if v.k != KindTime {
		return time.Time{}
	}
	loc := (*time.Location)(v.p)
	if loc == nil {
		loc = time.UTC
	}
	return time.Unix(int64(v.n), int64(v.m)).In(loc)
}

// Addr returns v's address if v is of kind addr (IPv4 addresses as such,
// even if given IPv4-mapped; no zone), and the zero netip.Addr otherwise.
func (v Value) Addr() netip.Addr {
	if v.k != KindAddr {
		return netip.Addr{}
	}
	var b [16]byte
	for i := range 8 {
		b[i] = byte(v.n >> (56 - 8*i))
		b[8+i] = byte(v.m >> (56 - 8*i))
	}
	return netip.AddrFrom16(b).Unmap()
}

// Strings returns v's string list if v is of kind strings, and nil
// otherwise. The result shares its backing array with the Value.
func (v Value) Strings() []string {
	if v.k != KindStrings || v.n == 0 {
		return nil
	}
	return unsafe.Slice((*string)(v.p), int(v.n))
}

// An Attr is a key and a Value, in the manner of log/slog's Attr.
type Attr struct {
	Key   string
	Value Value
}

// String returns an Attr for a string value.
func String(key, value string) Attr { return Attr{key, StringValue(value)} }

// Bool returns an Attr for a bool value.
func Bool(key string, value bool) Attr { return Attr{key, BoolValue(value)} }

// Int returns an Attr for an int value, stored as int64.
func Int(key string, value int) Attr { return Attr{key, Int64Value(int64(value))} }

// Int64 returns an Attr for an int64 value.
func Int64(key string, value int64) Attr { return Attr{key, Int64Value(value)} }

// Uint64 returns an Attr for a uint64 value.
func Uint64(key string, value uint64) Attr { return Attr{key, Uint64Value(value)} }

// Float64 returns an Attr for a float64 value.
func Float64(key string, value float64) Attr { return Attr{key, Float64Value(value)} }

// Strings returns an Attr for a string list. The Attr refers to values
// without copying; the caller must not modify values while it is in use.
func Strings(key string, values ...string) Attr { return Attr{key, StringsValue(values)} }

// Time returns an Attr for an instant, such as a sign-up time; see
// TimeValue.
func Time(key string, t time.Time) Attr { return Attr{key, TimeValue(t)} }

// Addr returns an Attr for an IP address, such as the client's; see
// AddrValue.
func Addr(key string, a netip.Addr) Attr { return Attr{key, AddrValue(a)} }

// Attributes is the list of attributes of one request. Build it per request
// as a composite literal; a literal that does not escape lives on the stack,
// so building and matching it allocates nothing.
//
// Keys should be unique; if a key repeats, the first occurrence wins.
type Attributes []Attr

// Get returns the value of the first attribute named key.
func (as Attributes) Get(key string) (Value, bool) {
	for i := range as {
		if as[i].Key == key {
			return as[i].Value, true
		}
	}
	return Value{}, false
}

// String formats v for people: strings as they are, lists as [a b], and the
// zero Value as "<nil>". It allocates; Match never calls it.
func (v Value) String() string {
	switch v.k {
	case KindString:
		return v.str()
	case KindBool:
		return strconv.FormatBool(v.n == 1)
	case KindInt64:
		return strconv.FormatInt(int64(v.n), 10)
	case KindUint64:
		return strconv.FormatUint(v.n, 10)
	case KindFloat64:
		return strconv.FormatFloat(math.Float64frombits(v.n), 'g', -1, 64)
	case KindTime:
		return v.Time().Format(time.RFC3339Nano)
	case KindAddr:
		return v.Addr().String()
	case KindStrings:
		b := []byte{'['}
		for i, s := range v.Strings() {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, s...)
		}
		return string(append(b, ']'))
	}
	return "<nil>"
}

// String formats as for people, as "key=value key=value". It allocates;
// Match never calls it.
func (as Attributes) String() string {
	var b []byte
	for i, a := range as {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, a.Key...)
		b = append(b, '=')
		b = append(b, a.Value.String()...)
	}
	return string(b)
}
