package varhttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
	"github.com/varroute/varroute/varhttp"
)

// ExampleUnitExtractor builds the Unit of a request: the key from a header
// (or else a cookie), attributes from a header and a typed query parameter.
func ExampleUnitExtractor() {
	x, err := varhttp.NewUnitExtractor(varhttp.UnitConfig{
		KeyHeader: "X-User-ID",
		KeyCookie: "uid",
		Headers:   map[string]string{"location": "X-Location"},
		Query:     map[string]string{"age": "age"},
		Kinds:     map[string]audience.Kind{"age": audience.KindInt64},
	})
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/predict?age=31", nil)
	r.Header.Set("Cookie", "uid=alice")
	r.Header.Set("X-Location", "california")
	u := x.Unit(r)
	fmt.Printf("key=%s %v\n", u.Key, u.Attrs)
	// Output:
	// key=alice age=31 location=california
}

// ExampleWithUnit routes each request by the Unit that WithUnit extracted.
func ExampleWithUnit() {
	echo := func(name string) router.Predictor[string, string] {
		return router.PredictorFunc[string, string](func(context.Context, string) (string, error) { return name, nil })
	}
	plan, err := strategy.ParsePlan([]byte(`
name: demo
audiences:
  - name: california
    conditions: {key: location, op: equals, value: california}
rules:
  - audience: california
    split: [{variant: regional, weight: 100}]
default: [{variant: global, weight: 100}]
`))
	if err != nil {
		panic(err)
	}
	rt, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"global": echo("global"), "regional": echo("regional")},
		Plan:     plan,
	})
	if err != nil {
		panic(err)
	}
	defer rt.Close(context.Background())
	x, err := varhttp.NewUnitExtractor(varhttp.UnitConfig{
		KeyHeader: "X-User-ID",
		Headers:   map[string]string{"location": "X-Location"},
	})
	if err != nil {
		panic(err)
	}
	h := varhttp.WithUnit(x, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := varhttp.UnitFrom(r.Context())
		out, err := rt.Predict(r.Context(), u, "input")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, out)
	}))
	for _, loc := range []string{"california", "texas"} {
		r := httptest.NewRequest(http.MethodPost, "/predict", nil)
		r.Header.Set("X-User-ID", "alice")
		r.Header.Set("X-Location", loc)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Print(loc, ": ", w.Body.String())
	}
	// Output:
	// california: regional
	// texas: global
}

// ExampleStateHandler serves a router's state as JSON for operators.
func ExampleStateHandler() {
	rt, err := router.New(router.Config[int, int]{
		Variants: map[string]router.Predictor[int, int]{
			"v1": router.PredictorFunc[int, int](func(_ context.Context, in int) (int, error) { return in, nil }),
			"v2": router.PredictorFunc[int, int](func(_ context.Context, in int) (int, error) { return in, nil }),
		},
		Plan: strategy.Canary("v1", "v2", 10),
	})
	if err != nil {
		panic(err)
	}
	defer rt.Close(context.Background())
	h := varhttp.NewStateHandler(rt, varhttp.StateOptions{
		Now: func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) },
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/state", nil))
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(strings.TrimSpace(w.Body.String()))
	// Output:
	// 200 application/json
	// {"time":"2026-05-01T12:00:00Z","plan":{"name":"canary/v2","default":[{"variant":"v1","weight":90},{"variant":"v2","weight":10}],"fallbacks":{"v2":"v1"}},"revision":"3247e4a47611","variants":["v1","v2"],"shadow":{"confidence":0.95,"shadows":[]},"shadow_stats":{"submitted":0,"dropped":0,"completed":0,"errors":0,"timed_out":0,"panicked":0,"in_flight":0},"breakers":[{"variant":"v2","state":"closed","reason":"no failures yet","open_for":5000000000}]}
}
