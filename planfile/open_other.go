//go:build !unix

package planfile

import "os"

// openFile opens path for reading. Outside Unix there are no FIFOs in the
// file system to block the open; the caller checked the file's mode.
func openFile(path string) (*os.File, error) {
	return os.Open(path)
}
