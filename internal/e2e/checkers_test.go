package e2e_test

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

import (
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// readyz returns the HTTP status of GET /readyz?service=NAME.
func readyz(t *testing.T, addr, service string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz?service=" + service)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// metric returns the line of the exposition at url that starts with prefix.
func metric(t *testing.T, url, prefix string) string {
	t.Helper()
	out, code := tool(t, 30*time.Second, "curl", "-sS", url)
	if code != 0 {
		t.Fatalf("curl %s: exit %d", url, code)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestTCPChecker: the Greeter depends on a real TCP listener that goes down
// and comes back. Its status flips after the threshold, a Watch sees it, the
// GET view flips 503/200, and the metrics follow.
func TestTCPChecker(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		dep, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		depAddr := dep.Addr().String()
		metricsAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		s := startServer(t, bin, "-check-tcp", depAddr, "-metrics-addr", metricsAddr)
		s.waitServing("greet.GreetService")
		metrics := "http://" + metricsAddr + "/metrics"

		stream := openWatch(t, s.Addr, "greet.GreetService", healthpb.HealthCheckResponse_SERVING)
		if got := metric(t, metrics, `dubbo_health_check_passing{checker="tcp",service="greet.GreetService"}`); !strings.HasSuffix(got, " 1") {
			t.Errorf("metric while passing: %q", got)
		}

		dep.Close()
		expectStatus(t, stream, healthpb.HealthCheckResponse_NOT_SERVING)
		if code := readyz(t, s.Addr, "greet.GreetService"); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz of the Greeter with its dependency down: %d, want 503", code)
		}
		if code := readyz(t, s.Addr, ""); code != http.StatusServiceUnavailable {
			t.Errorf(`/readyz of "" with a dependency down: %d, want 503`, code)
		}
		if got := metric(t, metrics, `dubbo_health_check_passing{checker="tcp",service="greet.GreetService"}`); !strings.HasSuffix(got, " 0") {
			t.Errorf("metric while failing: %q", got)
		}
		if got := metric(t, metrics, `dubbo_health_serving{service="greet.GreetService"}`); !strings.HasSuffix(got, " 0") {
			t.Errorf("serving metric while failing: %q", got)
		}

		dep, err = net.Listen("tcp", depAddr)
		if err != nil {
			t.Fatalf("reopen the dependency on %s: %v", depAddr, err)
		}
		defer dep.Close()
		expectStatus(t, stream, healthpb.HealthCheckResponse_SERVING)
		if code := readyz(t, s.Addr, "greet.GreetService"); code != http.StatusOK {
			t.Errorf("/readyz after the dependency came back: %d, want 200", code)
		}
	})
}

// TestHTTPChecker: the whole server depends on a real HTTP endpoint that
// answers 200, then 503, then 200.
func TestHTTPChecker(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		var down atomic.Bool
		dep := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = dep.Serve(l) }()
		defer dep.Close()
		s := startServer(t, bin, "-check-http", "http://"+l.Addr().String()+"/health")

		stream := openWatch(t, s.Addr, "", healthpb.HealthCheckResponse_SERVING)
		down.Store(true)
		expectStatus(t, stream, healthpb.HealthCheckResponse_NOT_SERVING)
		if out, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr); code != 4 {
			t.Errorf("probe of \"\" with the dependency answering 503: exit %d %s, want 4", code, out)
		}
		// The Greeter has no checker of its own: it keeps SERVING.
		if out, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr, "-service", "greet.GreetService"); code != 0 {
			t.Errorf("probe of the Greeter: exit %d %s, want 0", code, out)
		}
		down.Store(false)
		expectStatus(t, stream, healthpb.HealthCheckResponse_SERVING)
	})
}

// TestDownstreamChecker: the Greeter of server A depends on a second real
// dubbo-go server, B, through B's own health service.
func TestDownstreamChecker(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		b := startServer(t, bin)
		a := startServer(t, bin, "-check-grpc", b.Addr)
		a.waitServing("greet.GreetService")
		stream := openWatch(t, a.Addr, "greet.GreetService", healthpb.HealthCheckResponse_SERVING)
		b.set("", "NOT_SERVING")
		expectStatus(t, stream, healthpb.HealthCheckResponse_NOT_SERVING)
		b.set("", "SERVING")
		expectStatus(t, stream, healthpb.HealthCheckResponse_SERVING)
		b.signal(syscall.SIGKILL)
		expectStatus(t, stream, healthpb.HealthCheckResponse_NOT_SERVING)
	})
}
