package router_test

import (
	"fmt"

	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// Preview how many users a canary step moves before applying it.
func ExamplePreview() {
	m, err := router.Preview(strategy.Canary("v1", "v2", 5), strategy.Canary("v1", "v2", 25), router.SampleUnits(100_000))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.1f%% of users move\n", 100*m.Share())
	for _, mv := range m.Moves {
		fmt.Printf("%s -> %s\n", mv.From, mv.To)
	}
	// Output:
	// 19.9% of users move
	// v1 -> v2
}

// Grow the middle arm of three with strategy.Split.WithWeight: units move
// only into it.
func ExamplePreview_withWeight() {
	s := strategy.Split{{Variant: "a", Weight: 30}, {Variant: "b", Weight: 30}, {Variant: "c", Weight: 40}}
	grown := s.WithWeight("b", 51)
	fmt.Println(grown)
	m, _ := router.Preview(strategy.ABTest("exp", s), strategy.ABTest("exp", grown), router.SampleUnits(100_000))
	for _, mv := range m.Moves {
		fmt.Printf("%s -> %s\n", mv.From, mv.To)
	}
	// Unordered output:
	// [{a 21} {b 51} {c 28}]
	// a -> b
	// c -> b
}
