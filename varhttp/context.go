package varhttp

import (
	"context"
	"net/http"

	"github.com/varroute/varroute/router"
)

// unitKey is the context key of a request's Unit.
type unitKey struct{}

// NewContext returns a copy of ctx that carries u.
func NewContext(ctx context.Context, u router.Unit) context.Context {
	return context.WithValue(ctx, unitKey{}, u)
}

// UnitFrom returns the Unit stored in ctx by WithUnit or NewContext, and
// whether there is one.
func UnitFrom(ctx context.Context) (router.Unit, bool) {
	u, ok := ctx.Value(unitKey{}).(router.Unit)
	return u, ok
}

// WithUnit returns a handler that extracts each request's Unit with x, stores
// it in the request's context (see UnitFrom) and calls next. It is safe for
// concurrent use if next is. Besides what x.Unit allocates, it costs the
// context value and the shallow copy of the request that r.WithContext makes.
// A nil x stores anonymous units.
func WithUnit(x *UnitExtractor, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), x.Unit(r))))
	})
}
