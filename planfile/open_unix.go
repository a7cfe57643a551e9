//go:build unix

package planfile

import (
	"os"
	"syscall"
)

// openFile opens path for reading without blocking: opening a FIFO that
// has no writer returns at once, and the caller's Stat refuses it.
func openFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
