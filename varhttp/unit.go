package varhttp

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
)

// ErrConfig is matched by the errors of NewUnitExtractor.
var ErrConfig = errors.New("varhttp: invalid unit config")

// UnitConfig says where requests carry their unit. Every zero field means
// "not there": the zero UnitConfig gives anonymous units without attributes.
type UnitConfig struct {
	// KeyHeader names the header that holds the unit's key (a user,
	// account or device id), such as "X-User-ID". Empty means none.
	KeyHeader string
	// KeyCookie names the cookie that holds the key when the header is
	// absent or empty, read as http.Request.Cookie reads it (see Key). It
	// must be a valid cookie name (an RFC 7230 token). Empty means none.
	KeyCookie string
	// KeyQuery names the query parameter that holds the key when neither
	// the header nor the cookie does. Empty means none.
	KeyQuery string

	// Headers maps attribute names to the headers they are read from, such
	// as {"location": "X-Location"}. Nil means none.
	Headers map[string]string
	// Query maps attribute names to the query parameters they are read
	// from. An attribute may not be in both Headers and Query. Nil means
	// none.
	Query map[string]string
	// Kinds gives the kind of attributes that are not strings:
	// audience.KindInt64, KindUint64, KindFloat64 or KindBool, parsed with
	// package strconv (base 10 integers; booleans as ParseBool reads them).
	// A value that does not parse gives no attribute, so no positive
	// condition on it holds. Attributes not in Kinds (or of KindString or
	// KindAny) are strings. Nil means all are strings.
	Kinds map[string]audience.Kind
}

// A UnitExtractor builds the router.Unit of an HTTP request as its
// UnitConfig says. It is immutable and safe for concurrent use. The zero
// UnitExtractor gives every request an anonymous Unit without attributes.
type UnitExtractor struct {
	keyHeader string // canonical
	keyCookie string
	keyQuery  string
	attrs     []attrSpec // sorted by name
}

// attrSpec says where one attribute is read from.
type attrSpec struct {
	name   string
	header string // canonical header name, or ""
	query  string // query parameter, if header is ""
	kind   audience.Kind
}

// NewUnitExtractor checks cfg and returns a UnitExtractor for it, with
// header names canonicalized and attributes ordered by name once and for all.
// It returns an error matching ErrConfig for an empty attribute, header or
// parameter name, a KeyCookie that is not a valid cookie name, an attribute
// in both Headers and Query, or an unsupported kind.
func NewUnitExtractor(cfg UnitConfig) (*UnitExtractor, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	x := &UnitExtractor{keyCookie: cfg.KeyCookie, keyQuery: cfg.KeyQuery}
	if cfg.KeyCookie != "" && !isToken(cfg.KeyCookie) {
		return nil, bad("KeyCookie %q is not a valid cookie name (letters, digits and !#$%%&'*+-.^_`|~)", cfg.KeyCookie)
	}
	if cfg.KeyHeader != "" {
		x.keyHeader = textproto.CanonicalMIMEHeaderKey(cfg.KeyHeader)
	}
	for name, h := range cfg.Headers {
		if name == "" || h == "" {
			return nil, bad("header attribute %q from header %q: empty name", name, h)
		}
		if _, dup := cfg.Query[name]; dup {
			return nil, bad("attribute %q is in both Headers and Query", name)
		}
		x.attrs = append(x.attrs, attrSpec{name: name, header: textproto.CanonicalMIMEHeaderKey(h)})
	}
	for name, q := range cfg.Query {
		if name == "" || q == "" {
			return nil, bad("query attribute %q from parameter %q: empty name", name, q)
		}
		x.attrs = append(x.attrs, attrSpec{name: name, query: q})
	}
	for name, k := range cfg.Kinds {
		i := slices.IndexFunc(x.attrs, func(a attrSpec) bool { return a.name == name })
		if i < 0 {
			return nil, bad("Kinds names %q, which is in neither Headers nor Query", name)
		}
		switch k {
		case audience.KindAny, audience.KindString, audience.KindBool, audience.KindInt64, audience.KindUint64, audience.KindFloat64:
			x.attrs[i].kind = k
		default:
			return nil, bad("attribute %q: unsupported kind %v", name, k)
		}
	}
	slices.SortFunc(x.attrs, func(a, b attrSpec) int { return strings.Compare(a.name, b.name) })
	return x, nil
}

// Unit returns the Unit of r: its key is the first non-empty of the key
// header, cookie and query parameter (surrounding spaces trimmed), or "" —
// an anonymous unit, which routers do not hash (see router.Unit); its
// attributes are those present and non-empty in r, in name order. It
// allocates one Attributes slice when any attribute is configured, and
// nothing else (header, cookie and query values are not copied unless a query
// value is %-escaped). A nil receiver behaves as the zero UnitExtractor.
func (x *UnitExtractor) Unit(r *http.Request) router.Unit {
	if x == nil {
		return router.Unit{}
	}
	u := router.Unit{Key: x.Key(r)}
	if len(x.attrs) > 0 {
		u.Attrs = x.AppendAttrs(make(audience.Attributes, 0, len(x.attrs)), r)
	}
	return u
}

// Key returns the unit key of r, as Unit does. The cookie is the value
// r.Cookie(KeyCookie) gives, found without parsing the other cookies: the
// first cookie of that name whose value net/http accepts (printable ASCII
// but for '"', ';' and '\', once a pair of surrounding double quotes is
// removed), none at all if the Cookie headers hold more than 3,000 cookies
// (net/http's default limit), and then trimmed of spaces as the header and
// query values are. It allocates nothing unless the key is a %-escaped query
// value.
func (x *UnitExtractor) Key(r *http.Request) string {
	if x == nil {
		return ""
	}
	if x.keyHeader != "" {
		if k := headerValue(r.Header, x.keyHeader); k != "" {
			return k
		}
	}
	if x.keyCookie != "" {
		if k := strings.TrimSpace(cookieValue(r.Header, x.keyCookie)); k != "" {
			return k
		}
	}
	if x.keyQuery != "" && r.URL != nil {
		if k := strings.TrimSpace(queryValue(r.URL.RawQuery, x.keyQuery)); k != "" {
			return k
		}
	}
	return ""
}

// AppendAttrs appends the attributes of r to dst, in name order, and returns
// the extended slice: a handler that reuses dst (from a sync.Pool, say)
// extracts attributes without allocating.
func (x *UnitExtractor) AppendAttrs(dst audience.Attributes, r *http.Request) audience.Attributes {
	if x == nil {
		return dst
	}
	for i := range x.attrs {
		a := &x.attrs[i]
		var v string
		if a.header != "" {
			v = headerValue(r.Header, a.header)
		} else if r.URL != nil {
			v = queryValue(r.URL.RawQuery, a.query)
		}
		if v == "" {
			continue
		}
		switch a.kind {
		case audience.KindBool:
			if b, err := strconv.ParseBool(v); err == nil {
				dst = append(dst, audience.Bool(a.name, b))
			}
		case audience.KindInt64:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				dst = append(dst, audience.Int64(a.name, n))
			}
		case audience.KindUint64:
			if n, err := strconv.ParseUint(v, 10, 64); err == nil {
				dst = append(dst, audience.Uint64(a.name, n))
			}
		case audience.KindFloat64:
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				dst = append(dst, audience.Float64(a.name, f))
			}
		default:
			dst = append(dst, audience.String(a.name, v))
		}
	}
	return dst
}

// headerValue returns the first value of the header of canonical name key,
// trimmed of spaces, without canonicalizing (and so without allocating).
func headerValue(h http.Header, key string) string {
	if vs := h[key]; len(vs) > 0 {
		return strings.TrimSpace(vs[0])
	}
	return ""
}

// maxCookies is net/http's default limit on the cookies of a request
// (GODEBUG httpcookiemaxnum): over it, r.Cookie finds none.
const maxCookies = 3000

// cookieValue returns what r.Cookie(name) returns as the Value for a
// request with headers h, or "" for http.ErrNoCookie, following net/http's
// readCookies without building an http.Cookie for every pair: the Cookie
// lines are split at ';', each pair trimmed of HTTP spaces and cut at the
// first '=', the name trimmed and compared (names must be tokens, so an
// invalid name matches nothing), the value stripped of one pair of
// surrounding double quotes and refused, so that the search goes on, if a
// byte is not a valid cookie value byte.
func cookieValue(h http.Header, name string) string {
	lines := h["Cookie"]
	if len(lines) == 0 || !isToken(name) {
		return ""
	}
	n := 0
	for _, line := range lines {
		n += strings.Count(line, ";") + 1
	}
	if n > maxCookies {
		return ""
	}
	for _, line := range lines {
		line = trimHTTPSpace(line)
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, _ := strings.Cut(trimHTTPSpace(part), "=")
			if trimHTTPSpace(k) != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if validCookieValue(v) {
				return v
			}
		}
	}
	return ""
}

// trimHTTPSpace trims the spaces of textproto.TrimString: ' ', '\t', '\n'
// and '\r' (not every Unicode space, as strings.TrimSpace does).
func trimHTTPSpace(s string) string {
	for len(s) > 0 && isHTTPSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isHTTPSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isHTTPSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// isToken reports whether s is a non-empty RFC 7230 token, as net/http
// requires of cookie names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validCookieValue reports whether every byte of v may be in a cookie
// value for net/http: printable ASCII (0x20-0x7e) but '"', ';' and '\'.
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f || c == '"' || c == ';' || c == '\\' {
			return false
		}
	}
	return true
}

// queryValue returns the first value of the query parameter name in the raw
// query, exactly as url.ParseQuery(raw).Get(name) would, without building
// url.Values: an empty pair, a pair that does not unescape, or one that
// contains a semicolon (which net/url refuses as a separator), is skipped.
func queryValue(raw, name string) string {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" || strings.IndexByte(part, ';') >= 0 {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if strings.ContainsAny(k, "%+") { // compare the key as net/url would
			uk, err := url.QueryUnescape(k)
			if err != nil {
				continue
			}
			k = uk
		}
		if k != name {
			continue
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			return uv
		}
	}
	return ""
}
