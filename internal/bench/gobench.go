package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// GoBench is one Go benchmark's results, one value per run (-count).
type GoBench struct {
	// Name is the benchmark's name without the -GOMAXPROCS suffix.
	Name string
	// NsPerOp, BytesPerOp and AllocsPerOp hold a value per run.
	NsPerOp, BytesPerOp, AllocsPerOp []float64
}

// RunGoBench runs the Go benchmarks of pkg (go test -run XXX -bench .
// -benchmem) in dir, copies go test's output to raw, and returns the results
// by name.
func RunGoBench(ctx context.Context, dir, pkg string, count int, benchtime string, raw io.Writer) (map[string]*GoBench, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "XXX", "-bench", ".", "-benchmem",
		"-count", strconv.Itoa(count), "-benchtime", benchtime, "-timeout", "10m", pkg)
	cmd.Dir = dir
	cmd.Stdout = io.MultiWriter(&out, raw)
	cmd.Stderr = raw
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test -bench %s: %w", pkg, err)
	}
	return ParseGoBench(out.String())
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// ParseGoBench reads the result lines of go test -bench -benchmem output.
func ParseGoBench(out string) (map[string]*GoBench, error) {
	res := make(map[string]*GoBench)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue // not a result line
		}
		name := procsSuffix.ReplaceAllString(f[0], "")
		b := res[name]
		if b == nil {
			b = &GoBench{Name: name}
			res[name] = b
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %w", sc.Text(), err)
			}
			switch f[i+1] {
			case "ns/op":
				b.NsPerOp = append(b.NsPerOp, v)
			case "B/op":
				b.BytesPerOp = append(b.BytesPerOp, v)
			case "allocs/op":
				b.AllocsPerOp = append(b.AllocsPerOp, v)
			}
		}
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("no benchmark results in:\n%s", out)
	}
	return res, nil
}
