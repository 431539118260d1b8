//go:build !linux

package bench

import (
	"syscall"
	"time"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

// residentBytes is unknown outside Linux.
func residentBytes(int) uint64 { return 0 }

// cpuTime is unknown outside Linux.
func cpuTime(int) time.Duration { return 0 }

// selfCPU is not measured outside Linux.
func selfCPU() time.Duration { return 0 }
