package shadow

import (
	"context"

	"github.com/varroute/varroute/internal/shadowctx"
)

// Info describes the shadow call a context belongs to. A predictor reads it
// with FromContext to suppress side effects (writes, emails, billing) when it
// runs as a shadow. The zero Info is valid: it marks a shadow call whose
// variants are unknown.
type Info struct {
	// Primary names the variant that served the request. Empty when unknown.
	Primary string `json:"primary,omitempty"`
	// Shadow names the variant being mirrored to. Empty when unknown.
	Shadow string `json:"shadow,omitempty"`
	// NoiseFloor reports that the shadow is a second call of the primary
	// itself, made to measure the primary's own disagreement.
	NoiseFloor bool `json:"noise_floor,omitempty"`
}

// NewContext returns a copy of ctx marked as a shadow call described by
// info, so that FromContext(result) reports (info, true). The router marks
// the contexts of its shadow calls itself; NewContext is for code that runs
// a shadow outside a router (tests, synchronous mirrors). It allocates; it
// is safe for concurrent use.
func NewContext(ctx context.Context, info Info) context.Context {
	return context.WithValue(ctx, shadowctx.Key{}, &info)
}

// FromContext reports whether ctx belongs to a shadow call and, if so, which
// one. A predictor with side effects should skip them when ok is true. It
// does not allocate and is safe for concurrent use. A nil ctx is not a
// shadow call.
func FromContext(ctx context.Context) (info Info, ok bool) {
	if ctx == nil {
		return Info{}, false
	}
	p, ok := ctx.Value(shadowctx.Key{}).(*Info)
	if !ok || p == nil {
		return Info{}, false
	}
	return *p, true
}

// IsShadow reports whether ctx belongs to a shadow call. It is shorthand
// for the second result of FromContext.
func IsShadow(ctx context.Context) bool {
	_, ok := FromContext(ctx)
	return ok
}
