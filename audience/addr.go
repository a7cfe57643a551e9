package audience

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
)

// An ip is an address as in_cidr sees it: the 128 bits of its 16-byte form
// (IPv4 addresses in their IPv4-mapped form, ::ffff:a.b.c.d) and whether it
// is an IPv4 address, which an IPv4-mapped IPv6 address counts as. Zones
// are dropped.
type ip struct {
	hi, lo uint64
	v4     bool
}

// mapped reports whether hi, lo is an IPv4-mapped address ::ffff:a.b.c.d.
func mapped(hi, lo uint64) bool { return hi == 0 && lo>>32 == 0xffff }

// ipValue returns the address of an addr attribute, or of a string
// attribute that parseIP reads.
func ipValue(v *Value) (ip, bool) {
	switch v.k {
	case KindAddr:
		return ip{hi: v.n, lo: v.m, v4: mapped(v.n, v.m)}, true
	case KindString:
		return parseIP(v.str())
	}
	return ip{}, false
}

// parseIP parses an IPv4 or IPv6 address exactly as netip.ParseAddr does
// (dotted decimal without leading zeros; RFC 4291 text with at most one
// "::", an optional embedded IPv4 tail and an optional non-empty %zone),
// but without allocating, even on error, and dropping the zone.
func parseIP(s string) (ip, bool) {
	// The first '.', ':' or '%' of an address comes within its first five
	// bytes ("255." or "ffff:"); netip.ParseAddr refuses a string whose
	// first one comes later, so a long string is refused without reading
	// it all.
	for i := 0; i < len(s) && i < 5; i++ {
		switch s[i] {
		case '.':
			a, ok := parseIPv4(s)
			return ip{lo: 0xffff<<32 | uint64(a), v4: true}, ok
		case ':':
			return parseIPv6(s)
		case '%':
			return ip{}, false
		}
	}
	return ip{}, false
}

// parseIPv4 parses four dot-separated decimal octets without leading zeros.
func parseIPv4(s string) (uint32, bool) {
	var a uint32
	fields, val, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits == 1 && val == 0 {
				return 0, false
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return 0, false
			}
		case c == '.':
			if digits == 0 || fields == 3 {
				return 0, false
			}
			a = a<<8 | uint32(val)
			fields++
			val, digits = 0, 0
		default:
			return 0, false
		}
	}
	if fields != 3 || digits == 0 {
		return 0, false
	}
	return a<<8 | uint32(val), true
}

// parseIPv6 is netip's parseIPv6 without its allocations.
func parseIPv6(s string) (ip, bool) {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		if i == len(s)-1 {
			return ip{}, false // an explicit zone may not be empty
		}
		s = s[:i]
	}
	var b [16]byte
	ellipsis := -1
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis = 0
		s = s[2:]
		if s == "" {
			return ip{}, true
		}
	}
	i := 0
	for i < 16 {
		off, acc := 0, uint32(0)
		for ; off < len(s); off++ {
			c := s[off]
			switch {
			case c >= '0' && c <= '9':
				acc = acc<<4 + uint32(c-'0')
			case c >= 'a' && c <= 'f':
				acc = acc<<4 + uint32(c-'a'+10)
			case c >= 'A' && c <= 'F':
				acc = acc<<4 + uint32(c-'A'+10)
			default:
				goto done
			}
			if off > 3 {
				return ip{}, false
			}
		}
	done:
		if off == 0 {
			return ip{}, false
		}
		if off < len(s) && s[off] == '.' {
			if ellipsis < 0 && i != 12 || i+4 > 16 {
				return ip{}, false
			}
			a, ok := parseIPv4(s)
			if !ok {
				return ip{}, false
			}
			b[i], b[i+1], b[i+2], b[i+3] = byte(a>>24), byte(a>>16), byte(a>>8), byte(a)
			s = ""
			i += 4
			break
		}
		b[i], b[i+1] = byte(acc>>8), byte(acc)
		i += 2
		s = s[off:]
		if s == "" {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return ip{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return ip{}, false
			}
			ellipsis = i
			s = s[1:]
			if s == "" {
				break
			}
		}
	}
	if s != "" {
		return ip{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return ip{}, false
		}
		n := 16 - i
		for j := i - 1; j >= ellipsis; j-- {
			b[j+n] = b[j]
		}
		clear(b[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 {
		return ip{}, false // "::" must stand for at least one group
	}
	hi, lo := beUint64(b[:8]), beUint64(b[8:])
	return ip{hi: hi, lo: lo, v4: mapped(hi, lo)}, true
}

// A prefixSet is the compiled operand list of in_cidr: its prefixes
// grouped by family and length, each group a sorted list of masked
// addresses, so that a lookup costs one binary search per distinct length
// (at most 33 IPv4 and 129 IPv6 lengths), whatever the number of prefixes.
type prefixSet struct {
	groups []prefixGroup
}

type prefixGroup struct {
	v4     bool
	hiMask uint64
	loMask uint64
	keys   []u128 // sorted, distinct
}

type u128 struct{ hi, lo uint64 }

func cmpU128(a, b u128) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

// contains reports whether a prefix of s holds a: an IPv4 prefix holds
// IPv4 addresses (and IPv4-mapped IPv6 ones), an IPv6 prefix holds the
// other IPv6 addresses.
func (s *prefixSet) contains(a ip) bool {
	for i := range s.groups {
		g := &s.groups[i]
		if g.v4 != a.v4 {
			continue
		}
		k := u128{a.hi & g.hiMask, a.lo & g.loMask}
		lo, hi := 0, len(g.keys)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			switch c := cmpU128(g.keys[m], k); {
			case c == 0:
				return true
			case c < 0:
				lo = m + 1
			default:
				hi = m
			}
		}
	}
	return false
}

// newPrefixSet compiles prefixes (normalized by cidrOperand).
func newPrefixSet(prefixes []netip.Prefix) *prefixSet {
	s := &prefixSet{}
	byLen := map[[2]int]int{} // {v4, bits in the 128-bit form} -> group
	for _, p := range prefixes {
		v4, bits := 0, p.Bits()
		if p.Addr().Is4() {
			v4, bits = 1, bits+96
		}
		b := p.Addr().As16()
		key := u128{beUint64(b[:8]), beUint64(b[8:])}
		gi, ok := byLen[[2]int{v4, bits}]
		if !ok {
			gi = len(s.groups)
			byLen[[2]int{v4, bits}] = gi
			g := prefixGroup{v4: v4 == 1}
			g.hiMask, g.loMask = mask128(bits)
			s.groups = append(s.groups, g)
		}
		s.groups[gi].keys = append(s.groups[gi].keys, key)
	}
	for i := range s.groups {
		g := &s.groups[i]
		slices.SortFunc(g.keys, cmpU128)
		g.keys = slices.Compact(g.keys)
	}
	return s
}

// mask128 returns the two halves of a mask of the first bits of 128.
func mask128(bits int) (hi, lo uint64) {
	switch {
	case bits <= 0:
		return 0, 0
	case bits < 64:
		return ^uint64(0) << (64 - bits), 0
	case bits < 128:
		return ^uint64(0), ^uint64(0) << (128 - bits)
	}
	return ^uint64(0), ^uint64(0)
}

// cidrPrefix converts an in_cidr operand to a masked prefix: a CIDR prefix
// ("10.0.0.0/8", "2001:db8::/32") or a single address ("10.1.2.3", a /32 or
// /128), as a string, netip.Prefix or netip.Addr. A prefix written in the
// IPv4-mapped form, ::ffff:a.b.c.d/n with n >= 96, is the IPv4 prefix
// a.b.c.d/(n-96); a mapped address alone is the IPv4 address. Zones are
// refused, as netip.ParsePrefix refuses them.
func cidrPrefix(x any, op Op) (netip.Prefix, error) {
	var p netip.Prefix
	var a netip.Addr
	switch v := x.(type) {
	case netip.Prefix:
		p = v
	case netip.Addr:
		a = v
	case string:
		var err error
		if strings.IndexByte(v, '/') >= 0 {
			if p, err = netip.ParsePrefix(v); err != nil {
				return netip.Prefix{}, invalid("operator %s: %q is not a CIDR prefix such as 10.0.0.0/8 or 2001:db8::/32: %w", op, v, err)
			}
		} else if a, err = netip.ParseAddr(v); err != nil {
			return netip.Prefix{}, invalid("operator %s: %q is not a CIDR prefix such as 10.0.0.0/8, or an IP address: %w", op, v, err)
		}
	default:
		return netip.Prefix{}, invalid("operator %s needs a CIDR prefix or an IP address, as a string, not %s", op, describe(x))
	}
	if a.IsValid() {
		if a.Zone() != "" {
			return netip.Prefix{}, invalid("operator %s: %v has an IPv6 zone, which a prefix cannot have", op, x)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if !p.IsValid() {
		return netip.Prefix{}, invalid("operator %s: %v is not a valid prefix or address", op, x)
	}
	p = p.Masked()
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p, nil
}
