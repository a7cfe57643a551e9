package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel stop cmd (SIGTERM) if this program dies
// before it could stop it (killed, or by a signal it does not catch).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
