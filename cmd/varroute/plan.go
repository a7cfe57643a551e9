package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// A diagnostic is one problem found in a file, in the form editors and CI
// systems annotate: file:line:col: path: message.
type diagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line"`   // 1-based, 0 if unknown
	Column   int    `json:"column"` // 1-based, 0 if unknown
	Path     string `json:"path"`   // field path, "" for the whole file
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

const (
	severityError   = "error"
	severityWarning = "warning"
)

// String formats d as "file:line:col: path: message", warnings with
// "warning: " before the message, leaving out what is unknown.
func (d diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		b.WriteString(":" + strconv.Itoa(d.Line))
		if d.Column > 0 {
			b.WriteString(":" + strconv.Itoa(d.Column))
		}
	}
	b.WriteString(": ")
	if d.Path != "" {
		b.WriteString(d.Path + ": ")
	}
	if d.Severity == severityWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// diagnose turns an error of strategy.ParsePlan or audience.Parse into a
// diagnostic from its fields (not from its Error string).
func diagnose(file string, err error) diagnostic {
	d := diagnostic{File: file, Severity: severityError}
	var se *strategy.Error
	var ae *audience.Error
	switch {
	case errors.As(err, &se):
		d.Line, d.Column, d.Path, d.Message = se.Line, se.Column, se.Path, message(se.Err)
	case errors.As(err, &ae):
		d.Line, d.Column, d.Path, d.Message = ae.Line, ae.Column, ae.Path, message(ae.Err)
	default:
		d.Message = message(err)
	}
	return d
}

// message is err's text without the package prefixes that a diagnostic's
// position already makes redundant.
func message(err error) string {
	if err == nil {
		return "invalid"
	}
	s := err.Error()
	for _, p := range []string{"strategy: ", "audience: invalid: ", "audience: ", "yaml: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// planFile is a plan read from a file, with its YAML tree for positions.
type planFile struct {
	path string
	plan strategy.Plan
	root *yaml.Node
}

// loadPlan reads and validates the plan in the file at path. Its error is
// the diagnostic's text: "file:line:col: path: message".
func loadPlan(path string) (*planFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := strategy.ParsePlan(data)
	if err != nil {
		return nil, errors.New(diagnose(path, err).String())
	}
	pf := &planFile{path: path, plan: p, root: new(yaml.Node)}
	if yaml.Unmarshal(data, pf.root) != nil {
		pf.root = nil
	}
	return pf, nil
}

// nop is the predictor of every variant of a decider: it is never called.
type nop struct{}

func (nop) Predict(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil }

// decider is a router serving p with predictors that do nothing: its Decide
// is exactly what a service's router decides.
func decider(p strategy.Plan) (*router.Router[struct{}, struct{}], error) {
	vs := map[string]router.Predictor[struct{}, struct{}]{}
	for _, v := range p.Variants() {
		vs[v] = nop{}
	}
	return router.New(router.Config[struct{}, struct{}]{Variants: vs, Plan: p})
}

func closeRouter(r *router.Router[struct{}, struct{}]) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.Close(ctx)
}

// ruleName is a rule's name in decisions: its Name, or its audience's.
func ruleName(r strategy.Rule) string {
	if r.Name != "" {
		return r.Name
	}
	return r.Audience
}

// fmtSplit formats a split as "a 90%, b 10%".
func fmtSplit(s strategy.Split) string {
	parts := make([]string, len(s))
	for i, a := range s {
		parts[i] = fmt.Sprintf("%s %s%%", a.Variant, strconv.FormatFloat(a.Weight, 'f', -1, 64))
	}
	return strings.Join(parts, ", ")
}
