package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// WRKOptions shape an HTTP load with wrk.
type WRKOptions struct {
	// Threads and Conns are wrk's -t and -c.
	Threads, Conns int
	// Duration is wrk's -d, in whole seconds (at least 1).
	Duration time.Duration
}

// HTTPResult is the outcome of one wrk run.
type HTTPResult struct {
	// Requests counts the responses, Non2xx those with another status,
	// SocketErrors wrk's connect, read, write and timeout errors.
	Requests, Non2xx, SocketErrors int64
	// RPS is wrk's Requests/sec.
	RPS float64
	// P50 and P99 are wrk's latency percentiles.
	P50, P99 time.Duration
	// ServerCPU is the CPU time the server used during the run, if the
	// caller measured it (Server.CPUTime), else 0.
	ServerCPU time.Duration
}

// RunWRK posts body as JSON to url with wrk for o.Duration. The URL is
// checked with one POST first, whose answer must contain want. wrk's output
// is returned along with the result.
func RunWRK(ctx context.Context, wrk, url, body, want string, o WRKOptions) (HTTPResult, string, error) {
	if err := postOnce(ctx, url, body, want); err != nil {
		return HTTPResult{}, "", err
	}
	dir, err := os.MkdirTemp("", "benchrun-wrk-")
	if err != nil {
		return HTTPResult{}, "", err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "post.lua")
	lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %s\nwrk.headers[\"Content-Type\"] = \"application/json\"\n", strconv.Quote(body))
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		return HTTPResult{}, "", err
	}
	// wrk stops by itself after -d; the context is a backstop.
	cctx, cancel := context.WithTimeout(ctx, o.Duration+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, wrk,
		"-t", strconv.Itoa(o.Threads), "-c", strconv.Itoa(o.Conns),
		"-d", fmt.Sprintf("%ds", max(1, int(o.Duration.Round(time.Second).Seconds()))), "--timeout", "5s",
		"--latency", "-s", script, url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return HTTPResult{}, string(out), fmt.Errorf("wrk: %v\n%s", err, out)
	}
	res, err := ParseWRK(string(out))
	return res, string(out), err
}

func postOnce(ctx context.Context, url, body, want string) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !bytes.Contains(got, []byte(want)) {
		return fmt.Errorf("POST %s: %s %s, want 200 and %s", url, resp.Status, got, want)
	}
	return nil
}

// ParseWRK reads the output of wrk --latency.
func ParseWRK(out string) (HTTPResult, error) {
	var res HTTPResult
	var haveRPS, haveP50, haveP99 bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return res, fmt.Errorf("wrk Requests/sec %q: %w", f[1], err)
			}
			res.RPS, haveRPS = v, true
		case len(f) == 2 && (f[0] == "50%" || f[0] == "99%"):
			d, err := parseWRKDuration(f[1])
			if err != nil {
				return res, err
			}
			if f[0] == "50%" {
				res.P50, haveP50 = d, true
			} else {
				res.P99, haveP99 = d, true
			}
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return res, fmt.Errorf("wrk request count %q: %w", f[0], err)
			}
			res.Requests = n
		case len(f) == 5 && f[0] == "Non-2xx":
			n, err := strconv.ParseInt(f[4], 10, 64)
			if err != nil {
				return res, fmt.Errorf("wrk Non-2xx count %q: %w", f[4], err)
			}
			res.Non2xx = n
		case len(f) > 2 && f[0] == "Socket" && f[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 3; i < len(f); i += 2 {
				n, err := strconv.ParseInt(strings.TrimSuffix(f[i], ","), 10, 64)
				if err == nil {
					res.SocketErrors += n
				}
			}
		}
	}
	if !haveRPS || !haveP50 || !haveP99 {
		return res, fmt.Errorf("wrk output without Requests/sec or latency distribution:\n%s", out)
	}
	return res, nil
}

// parseWRKDuration reads wrk's durations: 512.00us, 1.23ms, 2.00s, 1.00m.
func parseWRKDuration(s string) (time.Duration, error) {
	units := []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("wrk duration %q: %w", s, err)
			}
			return time.Duration(v * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("wrk duration %q: unknown unit", s)
}
