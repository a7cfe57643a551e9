package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// flags is a subcommand's flag set with its usage text.
type flags struct {
	*flag.FlagSet
	usage   string // "varroute lint [-json] FILE..."
	about   string // what it does
	example string // one or more example command lines
}

func newFlags(name, usage, about, example string) *flags {
	fs := flag.NewFlagSet("varroute "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flags{FlagSet: fs, usage: usage, about: about, example: example}
}

func (f *flags) printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n\nexample:\n", f.usage, strings.TrimSpace(f.about))
	for l := range strings.SplitSeq(strings.TrimSpace(f.example), "\n") {
		fmt.Fprintf(w, "  %s\n", l)
	}
	fmt.Fprintf(w, "\nflags:\n")
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

// parse parses args, flags anywhere among the positional arguments (until
// "--"), and returns the positional arguments. It returns ok false with the
// exit status when the command must stop: 0 after -h, 2 after a usage
// error, which it reports.
func (f *flags) parse(args []string, e env) (pos []string, status int, ok bool) {
	for {
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			f.printUsage(e.stdout)
			return nil, 0, false
		}
		if err != nil {
			e.errorf("%s: %v", strings.TrimPrefix(f.Name(), "varroute "), err)
			fmt.Fprintf(e.stderr, "run '%s -h' for usage\n", f.Name())
			return nil, 2, false
		}
		rest := f.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError reports a usage problem and returns exit status 2.
func (f *flags) usageError(e env, format string, args ...any) int {
	e.errorf("%s: %s", strings.TrimPrefix(f.Name(), "varroute "), fmt.Sprintf(format, args...))
	fmt.Fprintf(e.stderr, "usage: %s\nrun '%s -h' for more\n", f.usage, f.Name())
	return 2
}

// listFlag is a flag that may repeat; each value is appended.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}
