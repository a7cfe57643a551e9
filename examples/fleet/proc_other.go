//go:build !linux

package main

import "os/exec"

// dieWithParent does nothing here: only Linux stops a child when its parent
// dies. The program stops Prometheus on every exit it controls.
func dieWithParent(*exec.Cmd) {}
