package planfile_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/varroute/varroute/planfile"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// ExampleTarget drives the routers of three replicas from one controller:
// the controller publishes plans through a Target, each replica follows the
// plan file with a Watcher (Start in a service; Check here, to poll once).
func ExampleTarget() {
	dir, err := os.MkdirTemp("", "plans")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	target, err := planfile.NewTarget(dir, planfile.TargetOptions{})
	if err != nil {
		panic(err)
	}
	if err := target.SetPlan(strategy.BigBang("v1")); err != nil {
		panic(err)
	}

	echo := func(name string) router.Predictor[string, string] {
		return router.PredictorFunc[string, string](func(context.Context, string) (string, error) { return name, nil })
	}
	var replicas []*router.Router[string, string]
	var watchers []*planfile.Watcher
	for range 3 {
		plan, err := planfile.Load(target.Path())
		if err != nil {
			panic(err)
		}
		r, err := router.New(router.Config[string, string]{
			Variants: map[string]router.Predictor[string, string]{"v1": echo("v1"), "v2": echo("v2")},
			Plan:     plan,
		})
		if err != nil {
			panic(err)
		}
		defer r.Close(context.Background())
		w, err := planfile.NewWatcher(target.Path(), r, planfile.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			panic(err)
		}
		replicas, watchers = append(replicas, r), append(watchers, w)
	}

	// The controller's step: a rollout.Rollout calls SetPlan the same way.
	step := strategy.Canary("v1", "v2", 25)
	if err := target.SetPlan(step); err != nil {
		panic(err)
	}
	for i, w := range watchers {
		_ = w.Check()
		// Every replica reports the step's revision (what a controller
		// reading many replicas waits for).
		fmt.Printf("replica %d: %s, step's revision: %v\n", i, planfile.Summary(replicas[i].Plan().Default),
			replicas[i].Metrics().Revision == router.Revision(step))
	}
	// Output:
	// replica 0: v1=75,v2=25, step's revision: true
	// replica 1: v1=75,v2=25, step's revision: true
	// replica 2: v1=75,v2=25, step's revision: true
}
