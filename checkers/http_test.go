package checkers_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

import (
	"github.com/dubbo-health/health/checkers"
)

// startHTTP starts a real HTTP server on 127.0.0.1 that is closed with the
// test.
func startHTTP(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// statusHandler answers /status/N with status N and /redirect/N with a
// redirect to /status/N.
func statusHandler(w http.ResponseWriter, r *http.Request) {
	if n, ok := strings.CutPrefix(r.URL.Path, "/redirect/"); ok {
		http.Redirect(w, r, "/status/"+n, http.StatusMovedPermanently)
		return
	}
	code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.WriteHeader(code)
	_, _ = fmt.Fprintln(w, http.StatusText(code))
}

func TestHTTPGetStatus(t *testing.T) {
	t.Parallel()
	srv := startHTTP(t, http.HandlerFunc(statusHandler))
	noRedirects := &http.Client{
		Transport: srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}

	tests := []struct {
		name    string
		path    string
		opts    []checkers.HTTPOption
		wantErr string // "" for a passing check
	}{
		{name: "200", path: "/status/200"},
		{name: "204", path: "/status/204"},
		{name: "299", path: "/status/299"},
		{name: "503", path: "/status/503", wantErr: "status 503 Service Unavailable, want 2xx"},
		{name: "404", path: "/status/404", wantErr: "status 404 Not Found, want 2xx"},
		{name: "300", path: "/status/300", wantErr: "status 300 Multiple Choices, want 2xx"},
		{name: "unknown code", path: "/status/599", wantErr: "status 599 status code 599, want 2xx"},
		{name: "redirect to 200", path: "/redirect/200"},
		{name: "redirect to 503", path: "/redirect/503", wantErr: "status 503 Service Unavailable, want 2xx"},
		{
			name: "redirect not followed", path: "/redirect/200",
			opts:    []checkers.HTTPOption{checkers.WithHTTPClient(noRedirects)},
			wantErr: "status 301 Moved Permanently, want 2xx",
		},
		{
			name: "expected redirect", path: "/redirect/200",
			opts: []checkers.HTTPOption{checkers.WithHTTPClient(noRedirects), checkers.WithExpectedStatus(301)},
		},
		{
			name: "expected 503", path: "/status/503",
			opts: []checkers.HTTPOption{checkers.WithExpectedStatus(http.StatusServiceUnavailable)},
		},
		{
			name: "200 not expected", path: "/status/200",
			opts:    []checkers.HTTPOption{checkers.WithExpectedStatus(503, 429)},
			wantErr: "status 200 OK, want 503 or 429",
		},
		{
			name: "last expected wins", path: "/status/204",
			opts: []checkers.HTTPOption{checkers.WithExpectedStatus(200), checkers.WithExpectedStatus(204)},
		},
		{
			name: "no codes restores 2xx", path: "/status/500",
			opts:    []checkers.HTTPOption{checkers.WithExpectedStatus(500), checkers.WithExpectedStatus()},
			wantErr: "status 500 Internal Server Error, want 2xx",
		},
		{
			name: "nil client is the default", path: "/status/200",
			opts: []checkers.HTTPOption{checkers.WithHTTPClient(nil)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := srv.URL + tt.path
			opts := append([]checkers.HTTPOption{checkers.WithHTTPClient(srv.Client())}, tt.opts...)
			err := checkers.HTTPGet(url, opts...).Check(testContext(t))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Check = %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("Check = nil, want an error with %q", tt.wantErr)
			case tt.wantErr != "" && !strings.HasPrefix(err.Error(), "http get "+url+": "+tt.wantErr):
				t.Errorf("Check = %q, want %q", err, "http get "+url+": "+tt.wantErr+"...")
			}
		})
	}
}

// TestHTTPGetFollowsServer uses the default client, as most users will.
func TestHTTPGetFollowsServer(t *testing.T) {
	t.Parallel()
	var code atomic.Int32
	code.Store(http.StatusOK)
	srv := startHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(int(code.Load()))
	}))
	check := checkers.HTTPGet(srv.URL + "/healthz")
	closer, ok := check.(io.Closer)
	if !ok {
		t.Fatal("an HTTPGet checker with its own client is not an io.Closer")
	}
	defer closer.Close()

	for _, step := range []struct {
		code int
		pass bool
	}{
		{http.StatusOK, true},
		{http.StatusServiceUnavailable, false},
		{http.StatusOK, true},
	} {
		code.Store(int32(step.code))
		err := check.Check(testContext(t))
		if (err == nil) != step.pass {
			t.Fatalf("server answers %d: Check = %v, want passing %v", step.code, err, step.pass)
		}
	}
}

func TestHTTPGetHonoursDeadline(t *testing.T) {
	t.Parallel()
	reached := make(chan struct{}, 1)
	srv := startHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached <- struct{}{}
		<-r.Context().Done() // until the client gives up
	}))
	check := checkers.HTTPGet(srv.URL, checkers.WithHTTPClient(srv.Client()))

	const timeout = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	start := time.Now()
	err := check.Check(ctx)
	elapsed := time.Since(start)

	select {
	case <-reached:
	default:
		t.Fatalf("Check = %v before the request reached the server", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("Check = %v, want an error about the deadline", err)
	}
	if want := "http get " + srv.URL + ": "; err != nil && !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Check = %q, want it to start %q", err, want)
	}
	if elapsed > timeout+time.Second {
		t.Errorf("Check returned %v after its deadline", elapsed-timeout)
	}
}

// TestHTTPGetEndlessBody shows that the checker reads only the start of a
// body: one that never ends passes at once.
func TestHTTPGetEndlessBody(t *testing.T) {
	t.Parallel()
	srv := startHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 1<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	check := checkers.HTTPGet(srv.URL, checkers.WithHTTPClient(srv.Client()))
	start := time.Now()
	// A checker that read the whole body would end with the context, after
	// 5 seconds.
	if err := check.Check(testContext(t)); err != nil {
		t.Fatalf("Check = %v, want nil", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Check took %v, want it to stop reading at once", elapsed)
	}
}

// TestHTTPGetReusesConnections shows that the body is read and closed, so
// that runs share one connection.
func TestHTTPGetReusesConnections(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(statusHandler))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	for _, path := range []string{"/status/200", "/status/503", "/redirect/200"} {
		t.Run(path, func(t *testing.T) {
			conns.Store(0)
			check := checkers.HTTPGet(srv.URL+path, checkers.WithHTTPClient(srv.Client()))
			for range 5 {
				_ = check.Check(testContext(t))
			}
			if n := conns.Load(); n > 1 {
				t.Errorf("5 runs opened %d connections, want at most 1", n)
			}
		})
	}
}

func TestHTTPGetErrors(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	up := startHTTP(t, http.HandlerFunc(statusHandler))
	upURL := strings.TrimPrefix(up.URL, "http://")

	tests := []struct {
		name, url string
		want      string // the whole error
		wantIs    error
	}{{
		name:   "refused",
		url:    down.URL + "/healthz",
		want:   "http get " + down.URL + "/healthz: connection refused",
		wantIs: syscall.ECONNREFUSED,
	}, {
		name: "invalid url",
		url:  "http://user:secret@[::1/healthz",
		want: `http get: invalid url: missing ']' in host`,
	}, {
		name: "unsupported scheme",
		url:  "ftp://127.0.0.1/healthz",
		want: `http get ftp://127.0.0.1/healthz: unsupported protocol scheme "ftp"`,
	}, {
		name: "password hidden",
		url:  "http://user:secret@" + upURL + "/status/503",
		want: "http get http://user:xxxxx@" + upURL + "/status/503: status 503 Service Unavailable, want 2xx",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkers.HTTPGet(tt.url, checkers.WithHTTPClient(up.Client())).Check(testContext(t))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Check = %v, want %q", err, tt.want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
		})
	}
}
