// Package shadowctx holds the context key that marks a shadow call. Package
// shadow owns the marker — NewContext sets it, FromContext and IsShadow read
// it — and the router's shadow pool (internal/shadowpool) answers it from
// the call's own context, which saves an allocation per call. The key lives
// here, not in shadow, because the pool imports shadow for its Config, Info
// and Stats: an unexported key of shadow would be out of the pool's reach,
// and an exported one would be API that no user should touch.
package shadowctx

// Key is the context key of the shadow marker. Its value is a *shadow.Info.
type Key struct{}
