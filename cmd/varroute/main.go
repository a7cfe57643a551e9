// Command varroute checks, previews and explains varroute plans, and
// analyses the experiments they run.
//
//	varroute lint FILE...                      check plans and audience files (for CI)
//	varroute preview OLD NEW                   how many units a plan change moves, and where
//	varroute explain PLAN -key K [-attr k=v]   the decision for one unit, and why
//	varroute analyze -exposures F -outcomes F  the A/B analysis, as text and HTML
//
// Install it with
//
//	go install github.com/varroute/varroute/cmd/varroute@latest
//
// Every subcommand prints its flags and an example with -h. Flags may come
// before or after the arguments, with one dash or two. Exit status: 0 for
// success, 1 when a check fails (lint errors, too much movement) or the
// input is bad, 2 for a usage error.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, progress: isTerminal(os.Stderr)}))
}

// env is what a subcommand writes to.
type env struct {
	stdout, stderr io.Writer
	// progress enables progress bars on stderr (a terminal).
	progress bool
	// now is the clock of the progress bars; nil means time.Now.
	now func() time.Time
}

func (e env) clock() func() time.Time {
	if e.now == nil {
		return time.Now
	}
	return e.now
}

// errorf prints a message prefixed with the command's name to stderr.
func (e env) errorf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "varroute: "+format+"\n", args...)
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

type command struct {
	name, summary string
	run           func(args []string, e env) int
}

var commands = []command{
	{"lint", "check plan and audience files; exit status 1 on any error", runLint},
	{"preview", "how many units a plan change moves, from which variant to which", runPreview},
	{"explain", "the decision for one unit and why: rules, split, variant, shadows, fallbacks", runExplain},
	{"analyze", "analyse an A/B test from its exposure log and outcomes, as text and HTML", runAnalyze},
}

func run(args []string, e env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(e.stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], e)
		}
	}
	e.errorf("unknown command %q", args[0])
	usage(e.stderr)
	return 2
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("varroute checks, previews and explains plans, and analyses experiments.\n\nusage: varroute COMMAND [flags] [args]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun varroute COMMAND -h for its flags and an example.\n")
	io.WriteString(w, b.String())
}
