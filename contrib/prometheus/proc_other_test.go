//go:build !linux

package varprom_test

import "os/exec"

// dieWithParent does nothing here: only Linux stops a child when its parent
// dies. The tests' cleanup stops Prometheus.
func dieWithParent(*exec.Cmd) {}
