// Package planfile keeps a router's plan in a file: Load reads a plan written
// in YAML or JSON, and a Watcher polls the file and applies every valid change
// to a strategy.Target — a router, or a controller that fans plans out —
// atomically.
//
// # Watching
//
// A Watcher reads the file every Options.Interval (one second by default)
// and compares the SHA-256 of its content with the last content it
// processed. Time stamps are not trusted: a rewrite of equal size within the
// file system's time stamp granularity would fool a (size, mtime) check, and
// a plan file is small enough to read every second. So a touch that leaves
// the content alone does nothing, and every real change is seen.
//
// A changed file is parsed and validated (strategy.ParsePlan), then handed to
// the target's SetPlan, which validates it against the variants it knows and
// swaps it in atomically: each request sees the old plan or the new one,
// never a mix. A file that cannot be read, does not parse, fails validation or
// is refused by the target is refused as a whole — the old plan keeps serving —
// and the refusal is logged once (log/slog) with the file, the field path and,
// where the file tells, its line and column. Every applied change is logged
// too, with the old and new plan names and default weights.
//
// # Writing plan files
//
// Replace a plan file atomically: write the new content to a temporary file
// in the same directory, then rename it over the old one (what most
// configuration management tools and Kubernetes ConfigMap volumes do).
// A writer that truncates the file and writes it in place can be caught half
// way: the Watcher skips a read during which the file's size or modification
// time changed, and refuses a truncated file that does not parse or validate,
// but a truncation that happens to be a valid plan (a plan cut just before
// its rules, say) would be applied until the complete file is read at the
// next poll.
package planfile
