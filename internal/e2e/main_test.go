package e2e_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

import (
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dubbo-health-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := buildAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	addGoBinToPath()
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// addGoBinToPath appends the directory go install writes to (GOBIN, or
// GOPATH's first bin) to PATH, so the tools make tools installed are found
// even when a user has not put that directory on PATH. Tools already on
// PATH come first.
func addGoBinToPath() {
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return
	}
	lines := strings.Split(string(out), "\n") // GOBIN's line may be empty
	dir := ""
	if len(lines) > 0 {
		dir = strings.TrimSpace(lines[0])
	}
	if dir == "" && len(lines) > 1 {
		if list := filepath.SplitList(strings.TrimSpace(lines[1])); len(list) > 0 {
			dir = filepath.Join(list[0], "bin")
		}
	}
	if dir != "" {
		os.Setenv("PATH", os.Getenv("PATH")+string(filepath.ListSeparator)+dir)
	}
}
