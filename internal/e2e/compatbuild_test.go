//go:build compat

package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProviderDubboGoVersions: what a program gets that asks for an older
// dubbo-go beside this module. With a plain require of v3.3.1 (or v3.3.0),
// Go's version selection gives it dubbo-go v3.3.2, which go.mod requires,
// and it builds; forced onto v3.3.1 or v3.3.0 by a replace directive, it
// fails to build, in internal/dubbogo, whose version.go says why.
func TestProviderDubboGoVersions(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	program := `package main

import (
	_ "dubbo.apache.org/dubbo-go/v3/imports"

	_ "github.com/dubbo-health/health"
)

func main() {}
`
	module := func(t *testing.T, version string, force bool) string {
		dir := t.TempDir()
		mod := "module example.com/provider\n\ngo 1.25.0\n\nrequire (\n\tdubbo.apache.org/dubbo-go/v3 " + version +
			"\n\tgithub.com/dubbo-health/health v0.0.0\n)\n\nreplace github.com/dubbo-health/health => " + root + "\n"
		if force {
			mod += "\nreplace dubbo.apache.org/dubbo-go/v3 => dubbo.apache.org/dubbo-go/v3 " + version + "\n"
		}
		for name, body := range map[string]string{"go.mod": mod, "main.go": program} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	for _, version := range []string{"v3.3.0", "v3.3.1"} {
		t.Run(version, func(t *testing.T) {
			dir := module(t, version, false)
			if _, err := goCommand(dir, "mod", "tidy"); err != nil {
				t.Fatal(err)
			}
			selected, err := goCommand(dir, "list", "-m", "-f", "{{.Version}}", "dubbo.apache.org/dubbo-go/v3")
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(selected); got != "v3.3.2" {
				t.Errorf("a program that requires dubbo-go %s beside dubbo-health builds with %s, want v3.3.2", version, got)
			}
			if _, err := goCommand(dir, "build", "-o", os.DevNull, "."); err != nil {
				t.Errorf("it does not build: %v", err)
			}

			// Forced: go mod tidy already fails on a package the older
			// dubbo-go does not have (v3.3.1 has no metrics/probe); if it
			// did not, the build would fail on a missing symbol.
			forced := module(t, version, true)
			_, err = goCommand(forced, "mod", "tidy")
			if err == nil {
				_, err = goCommand(forced, "build", "-o", os.DevNull, ".")
			}
			switch {
			case err == nil:
				t.Errorf("a program forced onto dubbo-go %s builds: it must fail, as the module cannot work there", version)
			case !strings.Contains(err.Error(), "internal/dubbogo"):
				t.Errorf("forced onto dubbo-go %s, the build fails elsewhere than in internal/dubbogo:\n%v", version, err)
			default:
				t.Logf("forced onto dubbo-go %s, the build fails as it should:\n%s", version, firstLines(err.Error(), 12))
			}
		})
	}
}

// firstLines returns the first n lines of s.
func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
