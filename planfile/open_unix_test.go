//go:build unix

package planfile

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestOpenFIFO checks the second defence: a FIFO that appears between the
// mode check and the open (a swap at that instant) does not block the
// open, and the check on the opened file refuses it.
func TestOpenFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	f, err := openFile(path) // with a blocking open, this never returns
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkFile(path, info, DefaultMaxSize); err == nil {
		t.Fatal("checkFile accepted a FIFO")
	}
}
