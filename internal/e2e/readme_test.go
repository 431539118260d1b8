package e2e_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// block is a fenced code block of the README.
type block struct {
	lang, body string
	line       int
}

// readmeBlocks returns the fenced code blocks of README.md.
func readmeBlocks(t *testing.T) []block {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	var cur *block
	for i, l := range strings.Split(string(data), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(l, "```"):
			cur = &block{lang: strings.TrimPrefix(l, "```"), line: i + 1}
		case cur != nil && l == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.body += l + "\n"
		}
	}
	return blocks
}

// TestReadme keeps the README true: it starts the sample server with the
// README's own command, runs every ```sh block against it, and checks that
// the ```text block after it appears in the output. ```shell blocks must be
// commands that .ci/run runs, or the server start this test does.
func TestReadme(t *testing.T) {
	blocks := readmeBlocks(t)
	root, _ := moduleRoot()
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	const serverCmd = "go run ./samples/go-server -port 20000"
	sawServer := false
	for _, b := range blocks {
		if b.lang != "shell" {
			continue
		}
		cmd := strings.TrimSpace(b.body)
		if cmd == serverCmd {
			sawServer = true
			continue
		}
		if !strings.Contains(string(ci), "\n"+cmd+"\n") {
			t.Errorf("README.md:%d: %q is neither run by .ci/run nor by this test", b.line, cmd)
		}
	}
	if !sawServer {
		t.Fatalf("README.md does not show %q", serverCmd)
	}

	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := strings.Replace(serverCmd, "20000", strconv.Itoa(port), 1)
	srv := exec.CommandContext(ctx, "bash", "-c", "exec "+start)
	srv.Dir = root
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logs := &syncBuffer{}
	srv.Stdout, srv.Stderr = logs, logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		// go run starts the program as a child: stop the whole group.
		_ = syscall.Kill(-srv.Process.Pid, syscall.SIGKILL)
		_ = srv.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.tail(4000))
		}
	}()
	s := &server{t: t, Addr: "127.0.0.1:" + strconv.Itoa(port), exited: make(chan struct{})}
	s.waitServing("")

	ran := 0
	for i, b := range blocks {
		if b.lang != "sh" {
			continue
		}
		ran++
		script := strings.ReplaceAll(b.body, "20000", strconv.Itoa(port))
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Minute)
		cmd := exec.CommandContext(cctx, "bash", "-euo", "pipefail", "-c", script)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		ccancel()
		if err != nil {
			t.Errorf("README.md:%d: %v\n%s\n%s", b.line, err, script, out)
			continue
		}
		if i+1 < len(blocks) && blocks[i+1].lang == "text" {
			for _, want := range strings.Split(strings.TrimSpace(blocks[i+1].body), "\n") {
				if !strings.Contains(string(out), strings.TrimSpace(want)) {
					t.Errorf("README.md:%d: output lacks %q:\n%s", blocks[i+1].line, want, out)
				}
			}
		}
	}
	if ran == 0 {
		t.Error("README.md has no ```sh block")
	}
}
