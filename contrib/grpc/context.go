package vargrpc

import (
	"context"
	"strings"

	"google.golang.org/grpc/metadata"

	"github.com/varroute/varroute/router"
)

// infoKey is the context key of an RPC's unit and decision.
type infoKey struct{}

// infoContext is a context that carries an RPC's unit and decision: what
// context.WithValue would do with one allocation fewer (the value lives in
// the context).
type infoContext struct {
	context.Context
	unit     router.Unit
	decision router.Decision
	pinned   bool // decision is set
}

// Value returns the infoContext itself for infoKey, and the parent's values
// otherwise.
func (c *infoContext) Value(key any) any {
	if key == (infoKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// NewContext returns a copy of ctx that carries u, for UnitFrom and for the
// client interceptors, which forward its key.
func NewContext(ctx context.Context, u router.Unit) context.Context {
	return &infoContext{Context: ctx, unit: u}
}

// UnitFrom returns the Unit stored in ctx by a server interceptor or by
// NewContext, and whether there is one.
func UnitFrom(ctx context.Context) (router.Unit, bool) {
	if in, ok := ctx.Value(infoKey{}).(*infoContext); ok {
		return in.unit, true
	}
	return router.Unit{}, false
}

// DecisionFrom returns the decision a server interceptor pinned in ctx, and
// whether there is one. With several chained Servers it is the innermost
// one's; a router's own decision is router.Router.PinnedDecision's.
func DecisionFrom(ctx context.Context) (router.Decision, bool) {
	if in, ok := ctx.Value(infoKey{}).(*infoContext); ok && in.pinned {
		return in.decision, true
	}
	return router.Decision{}, false
}

// DecisionFromMetadata reads back the decision a server interceptor reported
// in md, the response header or trailer a client received (see Report). It
// returns false if md holds no decision. Decision.Shadows and
// Decision.NoiseFloor are not reported and are left zero.
func DecisionFromMetadata(md metadata.MD) (router.Decision, bool) {
	variant := md.Get(MetadataVariant)
	if len(variant) == 0 {
		return router.Decision{}, false
	}
	d := router.Decision{Variant: decodeValue(variant[0])}
	if v := md.Get(MetadataPlan); len(v) > 0 {
		d.Plan = decodeValue(v[0])
	}
	if v := md.Get(MetadataRule); len(v) > 0 {
		d.Rule = decodeValue(v[0])
	}
	if v := md.Get(MetadataReason); len(v) > 0 {
		d.Reason = router.Reason(decodeValue(v[0]))
	}
	return d, true
}

// encodeValue percent-encodes the bytes of s that a gRPC text metadata value
// cannot hold (outside printable ASCII), and '%' itself, as gRPC encodes
// grpc-message. Plan, rule and variant names are free text; most need no
// encoding and are returned as they are, without allocating.
func encodeValue(s string) string {
	i := 0
	for i < len(s) && needsNoEscape(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 2*(len(s)-i))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if needsNoEscape(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func needsNoEscape(c byte) bool { return c >= 0x20 && c <= 0x7e && c != '%' }

// decodeValue reverses encodeValue. A '%' not followed by two hex digits is
// kept as it is.
func decodeValue(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, hi<<4|lo)
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
