package varfeature_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"

	varfeature "github.com/varroute/varroute/contrib/openfeature"
	"github.com/varroute/varroute/planfile"
)

// Evaluate a varroute plan as an OpenFeature flag: the flag key is the
// plan's name, the targeting key the unit key, the value the variant.
func Example() {
	dir, err := os.MkdirTemp("", "plans")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ranker.yaml")
	err = os.WriteFile(path, []byte(`
name: ranker
audiences:
  - name: europe
    conditions: {key: country, op: in, values: [fr, de]}
rules:
  - {name: eu, audience: europe, split: [{variant: v2, weight: 100}]}
default: [{variant: v1, weight: 50}, {variant: v2, weight: 50}]
`), 0o600)
	if err != nil {
		panic(err)
	}

	p, err := varfeature.NewProvider(varfeature.Config{
		Flags: map[string]string{"ranker": path},
		Watch: planfile.Options{Interval: 10 * time.Second, Logger: slog.New(slog.DiscardHandler)},
	})
	if err != nil {
		panic(err)
	}
	api := isolated.NewAPI() // or the global API: openfeature.SetProviderAndWait(p)
	defer api.Shutdown(context.Background())
	if err := api.SetProviderAndWait(context.Background(), p); err != nil {
		panic(err)
	}
	client := api.NewClient()

	for _, u := range []struct {
		user    string
		country string
	}{{"alice", "us"}, {"bob", "us"}, {"carol", "us"}, {"dave", "fr"}} {
		ec := openfeature.NewEvaluationContext(u.user, map[string]any{"country": u.country})
		d, err := client.StringValueDetails(context.Background(), "ranker", "v1", ec)
		if err != nil {
			panic(err)
		}
		rule, _ := d.FlagMetadata.GetString(varfeature.MetadataRule)
		fmt.Printf("%s: %s (%s %s)\n", u.user, d.Value, d.Reason, rule)
	}

	_, err = client.BooleanValue(context.Background(), "ranker", false, openfeature.NewEvaluationContext("alice", nil))
	fmt.Println(err)
	// Output:
	// alice: v2 (SPLIT )
	// bob: v2 (SPLIT )
	// carol: v1 (SPLIT )
	// dave: v2 (TARGETING_MATCH eu)
	// error code: TYPE_MISMATCH: varfeature: flag "ranker" is a string (the variant), not a boolean
}
