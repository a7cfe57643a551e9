//go:build unix

package planfile_test

import (
	"errors"
	"io/fs"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/varroute/varroute/planfile"
	"github.com/varroute/varroute/strategy"
)

// TestFIFO puts a FIFO with no writer at the watched path, which would
// block an open for reading forever: Load and Check refuse it at once.
func TestFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := planfile.Load(path)
	var pe *fs.PathError
	if !errors.Is(err, planfile.ErrNotRegular) || !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("Load: %v, want an *fs.PathError matching ErrNotRegular", err)
	}
	w, err := planfile.NewWatcher(path, strategy.TargetFunc(func(strategy.Plan) error { return nil }), planfile.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Check(); !errors.Is(err, planfile.ErrNotRegular) {
		t.Fatalf("Check: %v, want ErrNotRegular", err)
	}
}
