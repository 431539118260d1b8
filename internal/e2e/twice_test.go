package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLinkedTwice: a program that links this module twice, under two module
// paths (a fork beside the original), says so in one line at start, and the
// copy that installed itself first serves health.
func TestLinkedTwice(t *testing.T) {
	bin := buildTwice(t)
	s := startServer(t, bin)
	expectProbe(t, s.Addr, 0, "")
	const line = "[Health] dubbo-health is linked twice, as example.com/twice/forkhealth and as github.com/dubbo-health/health"
	if n := s.logLines(line); n != 1 {
		t.Errorf("%q logged %d times, want once", line, n)
	}
}

// forkPath is the module path of the copy of this module that buildTwice
// makes.
const forkPath = "example.com/twice/forkhealth"

// buildTwice builds a program that links this module twice: as itself, and
// as a copy of its packages under forkPath. The program is a dubbo-go
// server with dubbo-go's imports and one Triple port (-port), serving
// nothing but health.
func buildTwice(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	const self = "github.com/dubbo-health/health"
	pkgs, err := goCommand(root, "list", "-deps", "-f",
		`{{if .Module}}{{if eq .Module.Path "`+self+`"}}{{.ImportPath}} {{join .GoFiles ","}}{{end}}{{end}}`, ".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, l := range strings.Split(strings.TrimSpace(pkgs), "\n") {
		path, files, _ := strings.Cut(l, " ")
		rel := strings.TrimPrefix(strings.TrimPrefix(path, self), "/")
		if err := os.MkdirAll(filepath.Join(dir, "forkhealth", rel), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range strings.Split(files, ",") {
			src, err := os.ReadFile(filepath.Join(root, rel, f))
			if err != nil {
				t.Fatal(err)
			}
			forked := strings.ReplaceAll(string(src), self, forkPath)
			if err := os.WriteFile(filepath.Join(dir, "forkhealth", rel, f), []byte(forked), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The program's module requires what this module requires, and this
	// module from its directory.
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mod := strings.Replace(string(gomod), "module "+self, "module example.com/twice", 1) +
		"\nrequire " + self + " v0.0.0\n\nreplace " + self + " => " + root + "\n"
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"go.mod": mod, "go.sum": string(gosum), "main.go": twiceMain} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "twice")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = dir
	// Everything comes from the module cache that built this module.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the program that links the module twice: %v\n%s", err, out)
	}
	t.Logf("built the program that links the module twice in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// twiceMain is the program buildTwice builds.
const twiceMain = `package main

import (
	"flag"
	"fmt"
	"os"
)

import (
	_ "dubbo.apache.org/dubbo-go/v3/imports"
	"dubbo.apache.org/dubbo-go/v3/protocol"
	"dubbo.apache.org/dubbo-go/v3/server"

	_ "example.com/twice/forkhealth"
	_ "github.com/dubbo-health/health"
)

func main() {
	port := flag.Int("port", 20000, "Triple port")
	flag.Parse()
	srv, err := server.NewServer(server.WithServerProtocol(protocol.WithTriple(), protocol.WithPort(*port)))
	if err == nil {
		err = srv.Serve()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
`
