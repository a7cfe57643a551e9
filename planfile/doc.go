// Package planfile keeps a router's plan in a file. It holds:
//
//   - Load, which reads a plan written in YAML or JSON and validates it;
//   - Watcher (NewWatcher, Start, Check, Close), which polls the file and
//     applies every valid change to a strategy.Target — a router, or
//     strategy.Targets fanning plans out — atomically;
//   - Options and Change, which configure a Watcher and report what it
//     applied; Summary, which formats a split for logs;
//   - Target (NewTarget, SetPlan, Path), which publishes plans to a plan file
//     atomically, in the layout of a Kubernetes ConfigMap volume, so that one
//     controller drives the Watchers of every replica;
//   - ErrTooLarge and ErrNotRegular, for files that are refused unread.
//
// Errors name where: a file that does not parse or validate, or that a
// router refuses, gives a *strategy.Error whose File is the plan file and
// which names the line, column and field (errors.As works the same for
// every plan-file problem), formatted as editors and CI annotations read it:
//
//	plan.yaml:4:3: default: weights sum to 95, want 100
//
// A file that cannot be read gives an *fs.PathError.
//
// # Watching
//
// A Watcher reads the file every Options.Interval (one second by default)
// and compares the SHA-256 of its content with the last content it
// processed. Time stamps are not trusted: a rewrite of equal size within the
// file system's time stamp granularity would fool a (size, mtime) check, and
// a plan file is small enough to read every second. So a touch that leaves
// the content alone does nothing, and every real change is seen. The path
// is followed through symbolic links at every read, so a Kubernetes
// ConfigMap volume, which swaps a "..data" link to a new directory, is
// followed as it changes. Only regular files are read: a directory, FIFO or
// device at the path is refused without being opened for a blocking read.
//
// A changed file is parsed and validated (strategy.ParsePlan), then handed to
// the target's SetPlan, which validates it against the variants it knows and
// swaps it in atomically: each request sees the old plan or the new one,
// never a mix. A file that cannot be read, does not parse, fails validation or
// is refused by the target is refused as a whole — the old plan keeps serving —
// and the refusal is logged once (log/slog) with the file, the field path and,
// where the file tells, its line and column. Every applied change is logged
// too, with the old and new plan names and default weights. A plan refused
// only because it names a variant the target does not know yet is retried at
// every poll, so "register the model with AddVariant, then name it in the
// plan file" and the other order both end with the plan applied.
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
