package exposure

import (
	"time"
	"unicode/utf8"
)

// appendExposure appends e as one JSON object, byte for byte what
// encoding/json gives for Exposure with HTML escaping off (json.Encoder's
// SetEscapeHTML(false)), without the trailing newline. It does not
// allocate beyond growing dst.
func appendExposure(dst []byte, e *Exposure) []byte {
	dst = append(dst, `{"time":"`...)
	dst = e.Time.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","plan":`...)
	dst = appendString(dst, e.Plan)
	if e.Rule != "" {
		dst = append(dst, `,"rule":`...)
		dst = appendString(dst, e.Rule)
	}
	dst = append(dst, `,"variant":`...)
	dst = appendString(dst, e.Variant)
	if e.Served != "" {
		dst = append(dst, `,"served":`...)
		dst = appendString(dst, e.Served)
	}
	dst = append(dst, `,"reason":`...)
	dst = appendString(dst, e.Reason)
	dst = append(dst, `,"unit":`...)
	dst = appendString(dst, e.Unit)
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json does
// with HTML escaping off: quote, backslash and control characters are
// escaped (\b \f \n \r \t or \u00XX), U+2028 and U+2029 become \u2028 and
// \u2029, and each byte of invalid UTF-8 becomes \ufffd.
// (strconv.AppendQuote would not do: its \x and \U escapes are not JSON.)
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
