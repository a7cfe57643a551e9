package varprom_test

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel stop cmd (SIGTERM) if the test binary dies
// before its cleanup could (a test timeout, a signal).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
