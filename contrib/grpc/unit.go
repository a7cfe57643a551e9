package vargrpc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
)

// Default limits of a UnitExtractor.
const (
	// DefaultMaxKeyLen is the longest unit key, in bytes, accepted when
	// UnitConfig.MaxKeyLen is zero: ample for user, account and device ids,
	// UUIDs and e-mail addresses.
	DefaultMaxKeyLen = 512
	// DefaultMaxValueLen is the longest attribute value, in bytes, accepted
	// when UnitConfig.MaxValueLen is zero. It bounds what an audience
	// condition (a regular expression, say) reads per request.
	DefaultMaxValueLen = 1024
)

// ErrConfig is matched by the errors of NewUnitExtractor, NewServer and
// NewClient.
var ErrConfig = errors.New("vargrpc: invalid config")

// ErrBadMetadata is matched by the error for incoming metadata that the
// server interceptors refuse (a *MetadataError).
var ErrBadMetadata = errors.New("vargrpc: bad unit metadata")

// UnitConfig says which metadata entries of an RPC carry its unit. It
// mirrors varhttp.UnitConfig: every zero field means "not there", so the
// zero UnitConfig gives anonymous units without attributes.
//
// Metadata entry names are case-insensitive (gRPC lowercases them); they
// must be made of [0-9a-z-_.], must not start with "grpc-" (reserved) and
// must not end with "-bin" (binary entries are not read).
type UnitConfig struct {
	// Key names the metadata entry that holds the unit's key (a user,
	// account or device id), such as "x-user-id". Empty means none: every
	// unit is anonymous (see router.Unit).
	Key string
	// Attrs maps attribute names to the metadata entries they are read
	// from, such as {"country": "x-country"}. Nil means none.
	Attrs map[string]string
	// Kinds gives the kind of attributes that are not strings:
	// audience.KindInt64, KindUint64, KindFloat64 or KindBool, parsed with
	// package strconv (base 10 integers; booleans as ParseBool reads
	// them). Unlike varhttp, a value that does not parse is refused with
	// InvalidArgument rather than dropped: a gRPC client is a program, and
	// telling it is better than routing it silently by the default split.
	// Attributes not in Kinds (or of KindString or KindAny) are strings.
	// Nil means all are strings.
	Kinds map[string]audience.Kind
	// MaxKeyLen is the longest key, in bytes, accepted; a longer one is
	// refused with InvalidArgument. Zero means DefaultMaxKeyLen.
	MaxKeyLen int
	// MaxValueLen is the longest attribute value, in bytes, accepted; a
	// longer one is refused with InvalidArgument. Zero means
	// DefaultMaxValueLen.
	MaxValueLen int
}

// A UnitExtractor builds the router.Unit of an RPC from its incoming
// metadata, as its UnitConfig says. It is immutable and safe for concurrent
// use. A nil *UnitExtractor gives every RPC an anonymous Unit without
// attributes.
type UnitExtractor struct {
	key         string
	attrs       []attrSpec // sorted by attribute name
	maxKeyLen   int
	maxValueLen int
}

// attrSpec says where one attribute is read from.
type attrSpec struct {
	name  string
	entry string // lowercase metadata entry name
	kind  audience.Kind
}

// NewUnitExtractor checks cfg and returns a UnitExtractor for it, with entry
// names lowercased and attributes ordered by name once and for all. It
// returns an error matching ErrConfig for an empty attribute name, an entry
// name that gRPC metadata cannot carry as text, a Kinds entry for an
// attribute not in Attrs, an unsupported kind or a negative limit.
func NewUnitExtractor(cfg UnitConfig) (*UnitExtractor, error) {
	x := &UnitExtractor{maxKeyLen: cfg.MaxKeyLen, maxValueLen: cfg.MaxValueLen}
	switch {
	case cfg.MaxKeyLen < 0:
		return nil, configErr("MaxKeyLen is %d, want >= 0", cfg.MaxKeyLen)
	case cfg.MaxValueLen < 0:
		return nil, configErr("MaxValueLen is %d, want >= 0", cfg.MaxValueLen)
	}
	if x.maxKeyLen == 0 {
		x.maxKeyLen = DefaultMaxKeyLen
	}
	if x.maxValueLen == 0 {
		x.maxValueLen = DefaultMaxValueLen
	}
	if cfg.Key != "" {
		k, err := entryName("Key", cfg.Key)
		if err != nil {
			return nil, err
		}
		x.key = k
	}
	for name, e := range cfg.Attrs {
		if name == "" {
			return nil, configErr("Attrs: empty attribute name (entry %q)", e)
		}
		k, err := entryName(fmt.Sprintf("Attrs[%q]", name), e)
		if err != nil {
			return nil, err
		}
		x.attrs = append(x.attrs, attrSpec{name: name, entry: k})
	}
	for name, k := range cfg.Kinds {
		i := slices.IndexFunc(x.attrs, func(a attrSpec) bool { return a.name == name })
		if i < 0 {
			return nil, configErr("Kinds names %q, which is not in Attrs", name)
		}
		switch k {
		case audience.KindAny, audience.KindString, audience.KindBool, audience.KindInt64, audience.KindUint64, audience.KindFloat64:
			x.attrs[i].kind = k
		default:
			return nil, configErr("Kinds[%q]: unsupported kind %v", name, k)
		}
	}
	slices.SortFunc(x.attrs, func(a, b attrSpec) int { return strings.Compare(a.name, b.name) })
	return x, nil
}

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// entryName lowercases a metadata entry name and checks that gRPC can carry
// it as a text entry.
func entryName(field, name string) (string, error) {
	k := strings.ToLower(name)
	switch {
	case k == "":
		return "", configErr("%s: empty metadata entry name", field)
	case strings.HasPrefix(k, "grpc-"):
		return "", configErr("%s: metadata entry %q: the grpc- prefix is reserved", field, name)
	case strings.HasSuffix(k, "-bin"):
		return "", configErr("%s: metadata entry %q: binary (-bin) entries are not read", field, name)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "", configErr("%s: metadata entry %q: character %q not in [0-9a-z-_.]", field, name, c)
		}
	}
	return k, nil
}

// Unit returns the Unit of the RPC whose incoming metadata ctx carries: its
// key is the key entry's value with surrounding spaces trimmed, or "" (an
// anonymous unit, which routers do not hash); its attributes are those
// present and non-empty, in name order. It returns a *MetadataError,
// matching ErrBadMetadata and carrying codes.InvalidArgument for gRPC, when
// an entry it reads has more than one value, is longer than its limit, or
// holds a typed attribute that does not parse. It allocates the Attributes
// slice when any attribute is configured, and gRPC's copy of each entry's
// values.
func (x *UnitExtractor) Unit(ctx context.Context) (router.Unit, error) {
	if x == nil {
		return router.Unit{}, nil
	}
	var u router.Unit
	if x.key != "" {
		k, err := x.value(ctx, x.key, "", x.maxKeyLen)
		if err != nil {
			return router.Unit{}, err
		}
		u.Key = k
	}
	if len(x.attrs) == 0 {
		return u, nil
	}
	u.Attrs = make(audience.Attributes, 0, len(x.attrs))
	for i := range x.attrs {
		a := &x.attrs[i]
		v, err := x.value(ctx, a.entry, a.name, x.maxValueLen)
		if err != nil {
			return router.Unit{}, err
		}
		if v == "" {
			continue
		}
		attr, err := parseAttr(a, v)
		if err != nil {
			return router.Unit{}, err
		}
		u.Attrs = append(u.Attrs, attr)
	}
	return u, nil
}

// value returns the single value of entry, trimmed, or "" when absent.
func (x *UnitExtractor) value(ctx context.Context, entry, attr string, max int) (string, error) {
	vs := metadata.ValueFromIncomingContext(ctx, entry)
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", &MetadataError{Entry: entry, Attr: attr, Problem: fmt.Sprintf("%d values, limit 1", len(vs))}
	}
	if n := len(vs[0]); n > max {
		return "", &MetadataError{Entry: entry, Attr: attr, Problem: fmt.Sprintf("%d bytes, limit %d", n, max)}
	}
	return strings.TrimSpace(vs[0]), nil
}

func parseAttr(a *attrSpec, v string) (audience.Attr, error) {
	var err error
	switch a.kind {
	case audience.KindBool:
		var b bool
		if b, err = strconv.ParseBool(v); err == nil {
			return audience.Bool(a.name, b), nil
		}
	case audience.KindInt64:
		var n int64
		if n, err = strconv.ParseInt(v, 10, 64); err == nil {
			return audience.Int64(a.name, n), nil
		}
	case audience.KindUint64:
		var n uint64
		if n, err = strconv.ParseUint(v, 10, 64); err == nil {
			return audience.Uint64(a.name, n), nil
		}
	case audience.KindFloat64:
		var f float64
		if f, err = strconv.ParseFloat(v, 64); err == nil {
			return audience.Float64(a.name, f), nil
		}
	default:
		return audience.String(a.name, v), nil
	}
	return audience.Attr{}, &MetadataError{Entry: a.entry, Attr: a.name, Problem: "not a valid " + a.kind.String(), Err: err}
}

// A MetadataError reports an incoming metadata entry that a UnitExtractor
// refuses. It matches ErrBadMetadata, and gRPC sends it to the client as
// status code InvalidArgument with the error's text as the message.
type MetadataError struct {
	// Entry is the metadata entry.
	Entry string
	// Attr is the attribute the entry holds, or "" for the unit key.
	Attr string
	// Problem says what is wrong, naming the limit where one was passed,
	// as "2000 bytes, limit 512".
	Problem string
	// Err is the parse error of a typed attribute, or nil.
	Err error
}

// Error formats the error as
// `vargrpc: metadata entry "x-age" (attribute "age"): not a valid int64`.
func (e *MetadataError) Error() string {
	what := "unit key"
	if e.Attr != "" {
		what = "attribute " + strconv.Quote(e.Attr)
	}
	s := "vargrpc: metadata entry " + strconv.Quote(e.Entry) + " (" + what + "): " + e.Problem
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the parse error, if any.
func (e *MetadataError) Unwrap() error { return e.Err }

// Is reports whether target is ErrBadMetadata.
func (e *MetadataError) Is(target error) bool { return target == ErrBadMetadata }

// GRPCStatus returns the error as a status of code InvalidArgument, so that
// an interceptor returning it sends that code.
func (e *MetadataError) GRPCStatus() *status.Status {
	return status.New(codes.InvalidArgument, e.Error())
}
