package varroute_test

import (
	"context"
	"fmt"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// A 10% canary of a new model version, with the stable version as its
// fallback, and a decision checked without calling any model.
func Example() {
	double := router.PredictorFunc[float64, float64](func(_ context.Context, x float64) (float64, error) { return 2 * x, nil })
	triple := router.PredictorFunc[float64, float64](func(_ context.Context, x float64) (float64, error) { return 3 * x, nil })

	r, err := router.New(router.Config[float64, float64]{
		Variants: map[string]router.Predictor[float64, float64]{"v1": double, "v2": triple},
		Plan:     strategy.Canary("v1", "v2", 10),
	})
	if err != nil {
		panic(err)
	}
	defer r.Close(context.Background())

	unit := router.Unit{Key: "user-7", Attrs: audience.Attributes{audience.String("location", "oregon")}}
	out, err := r.Predict(context.Background(), unit, 1.5)
	fmt.Println(r.Decide(unit).Variant, out, err)
	// Output: v1 3 <nil>
}
