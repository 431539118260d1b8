// Package control is the line protocol on which tests and benchmarks drive
// the servers they start as child processes (internal/testapp and
// internal/bench/cmd/grpcserver): one command per line on stdin, one answer
// per line, "ok" with optional fields or "error: " and a reason. Answers go
// to file descriptor 3 when the environment has TESTAPP_ANSWERS=3 (so they
// do not mix with the server's logs), else to stdout.
package control

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
)

import (
	"google.golang.org/grpc/health/grpc_health_v1"
)

// A Command runs one command line's arguments (the words after its name)
// and returns the fields of its "ok" answer.
type Command func(args ...string) (string, error)

// ErrStop is returned by a command to answer "ok" and end Serve.
var ErrStop = errors.New("stop")

// Serve reads command lines until stdin ends or a command returns ErrStop,
// and answers each with the command of its first word. Unknown commands are
// answered with an error. Serve reports whether a command stopped it.
func Serve(commands map[string]Command) bool {
	out := os.Stdout
	if os.Getenv("TESTAPP_ANSWERS") == "3" {
		out = os.NewFile(3, "answers")
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		cmd, ok := commands[f[0]]
		if !ok {
			fmt.Fprintln(out, "error: unknown command", in.Text())
			continue
		}
		answer, err := cmd(f[1:]...)
		switch {
		case errors.Is(err, ErrStop):
			fmt.Fprintln(out, "ok")
			return true
		case err != nil:
			fmt.Fprintln(out, "error:", err)
		case answer == "":
			fmt.Fprintln(out, "ok")
		default:
			fmt.Fprintln(out, "ok", answer)
		}
	}
	return false
}

// Set returns the command "set NAME STATUS", which calls set with the
// status named STATUS (SERVING, NOT_SERVING, ...). NAME "-" stands for "".
func Set(set func(name string, st grpc_health_v1.HealthCheckResponse_ServingStatus) error) Command {
	return func(args ...string) (string, error) {
		if len(args) != 2 {
			return "", fmt.Errorf("usage: set NAME STATUS")
		}
		name := args[0]
		if name == "-" {
			name = ""
		}
		st, ok := grpc_health_v1.HealthCheckResponse_ServingStatus_value[args[1]]
		if !ok {
			return "", fmt.Errorf("unknown status %s", args[1])
		}
		return "", set(name, grpc_health_v1.HealthCheckResponse_ServingStatus(st))
	}
}

// Mem returns the command "mem", which answers "HEAP_INUSE_BYTES GOROUTINES"
// after a garbage collection, for measuring the cost of open streams. When
// heapProfile is not empty it also writes the heap profile there.
func Mem(heapProfile string) Command {
	return func(...string) (string, error) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if heapProfile != "" {
			if err := writeHeapProfile(heapProfile); err != nil {
				return "", err
			}
		}
		return fmt.Sprint(m.HeapInuse, " ", runtime.NumGoroutine()), nil
	}
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
