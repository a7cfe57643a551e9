// Package varhttp connects a router to net/http: a UnitExtractor builds the
// router.Unit of a request (its key from a header, cookie or query parameter,
// its attributes from named headers and query parameters), WithUnit puts it in
// the request's context for handlers further down, and a StateHandler serves
// a router's state — the current plan, the shadow agreement, a rollout's
// status — as JSON for operators.
//
// The package does not depend on a router's type parameters: anything with
// the methods of RouterState (every *router.Router does) can be served.
//
//	x, err := varhttp.NewUnitExtractor(varhttp.UnitConfig{
//		KeyHeader: "X-User-ID",
//		KeyCookie: "uid",
//		Headers:   map[string]string{"location": "X-Location"},
//		Query:     map[string]string{"age": "age"},
//		Kinds:     map[string]audience.Kind{"age": audience.KindInt64},
//	})
//	...
//	mux.Handle("GET /state", varhttp.NewStateHandler(r, varhttp.StateOptions{}))
//	mux.Handle("POST /predict", varhttp.WithUnit(x, predictHandler))
package varhttp
