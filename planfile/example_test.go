package planfile_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/varroute/varroute/planfile"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// Example keeps a router's plan in a file: a valid change is applied, a bad
// one is refused and the old plan keeps serving. Check polls once; a service
// calls Start instead, and Close when it shuts down.
func Example() {
	dir, err := os.MkdirTemp("", "planfile")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "plan.yaml")
	write := func(s string) { // the recommended atomic write
		if err := os.WriteFile(path+".tmp", []byte(s), 0o644); err != nil {
			panic(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			panic(err)
		}
	}
	write("name: canary/v2\ndefault:\n  - {variant: v1, weight: 90}\n  - {variant: v2, weight: 10}\n")

	plan, err := planfile.Load(path)
	if err != nil {
		panic(err)
	}
	echo := func(name string) router.Predictor[string, string] {
		return router.PredictorFunc[string, string](func(context.Context, string) (string, error) { return name, nil })
	}
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"v1": echo("v1"), "v2": echo("v2")},
		Plan:     plan,
	})
	if err != nil {
		panic(err)
	}
	defer r.Close(context.Background())

	w, err := planfile.NewWatcher(path, r, planfile.Options{
		Logger: slog.New(slog.DiscardHandler),
		OnChange: func(c planfile.Change) {
			fmt.Printf("applied %s: %s -> %s\n", c.New.Name, planfile.Summary(c.Old.Default), planfile.Summary(c.New.Default))
		},
		OnError: func(err error) {
			var se *strategy.Error
			errors.As(err, &se)
			fmt.Printf("refused at %d:%d: %s: %v\n", se.Line, se.Column, se.Path, se.Err)
		},
	})
	if err != nil {
		panic(err)
	}
	_ = w.Check() // the plan serving already: nothing to do

	write("name: canary/v2\ndefault:\n  - {variant: v1, weight: 75}\n  - {variant: v2, weight: 25}\n")
	_ = w.Check()

	write("name: canary/v2\ndefault:\n  - {variant: v1, weight: 50}\n  - {variant: v3, weight: 50}\n")
	_ = w.Check()

	write("name: canary/v2\ndefault:\n  - {variant: v1, weight: 50}\n  - {variant: v2, weight: 60}\n")
	_ = w.Check()

	fmt.Println("serving", planfile.Summary(r.Plan().Default))
	// Output:
	// applied canary/v2: v1=90,v2=10 -> v1=75,v2=25
	// refused at 4:15: default[1].variant: unknown variant "v3"
	// refused at 3:3: default: weights sum to 110, want 100
	// serving v1=75,v2=25
}

// ExampleLoad shows the error for a plan file whose weights do not add up:
// the file, the line and column, and the field, in the form editors and CI
// annotations read.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "planfile")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(path, []byte("name: p\ndefault:\n  - {variant: v1, weight: 90}\n  - {variant: v2, weight: 5}\n"), 0o644); err != nil {
		panic(err)
	}
	_, err = planfile.Load(path)
	// The error starts with the path; the temporary directory is cut here.
	fmt.Println(strings.TrimPrefix(err.Error(), dir+string(filepath.Separator)))
	var se *strategy.Error
	fmt.Println(errors.Is(err, strategy.ErrInvalidPlan), errors.As(err, &se), se.File == path, se.Line, se.Column, se.Path)
	// Output:
	// plan.yaml:3:3: default: weights sum to 95, want 100
	// true true true 3 3 default
}
