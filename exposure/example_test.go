package exposure_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/varroute/varroute/exposure"
)

// A Writer logs exposures as JSON lines in the background; Close writes
// what is queued.
func ExampleWriter() {
	ctx := context.Background()
	w, err := exposure.NewWriter(os.Stdout, exposure.WriterOptions{})
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	w.Log(ctx, exposure.Exposure{Time: at, Plan: "checkout-2026", Variant: "control", Reason: "default", Unit: "user-1"})
	w.Log(ctx, exposure.Exposure{Time: at, Plan: "checkout-2026", Rule: "beta", Variant: "treatment", Served: "control", Reason: "rule", Unit: "user-2"})
	if err := w.Close(ctx); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", w.Stats())
	// Output:
	// {"time":"2026-03-01T12:00:00Z","plan":"checkout-2026","variant":"control","reason":"default","unit":"user-1"}
	// {"time":"2026-03-01T12:00:00Z","plan":"checkout-2026","rule":"beta","variant":"treatment","served":"control","reason":"rule","unit":"user-2"}
	// {Logged:2 Written:2 Dropped:0 Deduplicated:0 Failed:0 Oversized:0 Errors:0}
}

// With Dedup, repeated exposures of a unit to the same variant within the
// window are written once.
func ExampleWriterOptions_dedup() {
	ctx := context.Background()
	var out strings.Builder
	w, err := exposure.NewWriter(&out, exposure.WriterOptions{Dedup: time.Hour, Block: true})
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		w.Log(ctx, exposure.Exposure{Time: at.Add(time.Duration(i) * 30 * time.Minute), Plan: "p", Variant: "a", Reason: "default", Unit: "user-1"})
	}
	if err := w.Close(ctx); err != nil {
		panic(err)
	}
	fmt.Print(out.String())
	fmt.Printf("%+v\n", w.Stats())
	// Output:
	// {"time":"2026-03-01T12:00:00Z","plan":"p","variant":"a","reason":"default","unit":"user-1"}
	// {"time":"2026-03-01T13:00:00Z","plan":"p","variant":"a","reason":"default","unit":"user-1"}
	// {"time":"2026-03-01T14:00:00Z","plan":"p","variant":"a","reason":"default","unit":"user-1"}
	// {Logged:5 Written:3 Dropped:0 Deduplicated:2 Failed:0 Oversized:0 Errors:0}
}

// Read parses a log back, naming the line of anything it cannot parse.
func ExampleRead() {
	log := `{"time":"2026-03-01T12:00:00Z","plan":"p","variant":"control","reason":"default","unit":"user-1"}
{"time":"2026-03-01T12:00:01Z","plan":"p","variant":"treatment"
{"time":"2026-03-01T12:00:02Z","plan":"p","variant":"treatment","reason":"default","unit":"user-2"}
`
	for e, err := range exposure.Read(strings.NewReader(log)) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(e.Unit, e.Variant, e.Time.Format(time.TimeOnly))
	}
	// Output:
	// user-1 control 12:00:00
	// exposure: line 2: unexpected end of JSON input
	// user-2 treatment 12:00:02
}
