package e2e_test

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// lineStream is a program whose result lines arrive on a channel.
type lineStream struct {
	lines chan string
	done  chan struct{}
}

// startProgram starts bin with args and delivers its result lines (dubbo-go
// log lines dropped). The program is killed when the test ends.
func startProgram(t *testing.T, bin string, args ...string) *lineStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ls := &lineStream{lines: make(chan string, 1024), done: make(chan struct{})}
	go func() {
		defer close(ls.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			if l == "" || isLogLine(l) {
				continue
			}
			ls.lines <- l
		}
		_ = cmd.Wait()
		close(ls.lines)
	}()
	t.Cleanup(func() {
		cancel()
		<-ls.done
	})
	return ls
}

// next returns the next result line, failing after timeout.
func (ls *lineStream) next(t *testing.T, timeout time.Duration) string {
	t.Helper()
	select {
	case l, ok := <-ls.lines:
		if !ok {
			t.Fatal("program ended before the expected line")
		}
		return l
	case <-time.After(timeout):
		t.Fatalf("no line within %v", timeout)
	}
	return ""
}

// expect fails unless the next line is want.
func (ls *lineStream) expect(t *testing.T, timeout time.Duration, want string) {
	t.Helper()
	if got := ls.next(t, timeout); got != want {
		t.Fatalf("got line %q, want %q", got, want)
	}
}
