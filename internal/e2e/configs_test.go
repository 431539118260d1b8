package e2e_test

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

import (
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// These tests start real servers in configurations a user may give
// dubbo-go (issue 14) and ask them with the standard tools: health stays
// standard whatever the application configures.

// probeService runs grpc-health-probe against addr for service and returns
// its output and exit code (0 SERVING, 3 an RPC error such as NotFound, 4
// NOT_SERVING).
func probeService(t *testing.T, addr, service string) (string, int) {
	t.Helper()
	return tool(t, 30*time.Second, "grpc-health-probe", "-addr", addr, "-service", service)
}

// expectProbe fails unless grpc-health-probe exits with code for each of
// services.
func expectProbe(t *testing.T, addr string, code int, services ...string) {
	t.Helper()
	for _, svc := range services {
		if out, got := probeService(t, addr, svc); got != code {
			t.Errorf("grpc-health-probe -addr %s -service %q: exit %d, %s; want exit %d", addr, svc, got, strings.TrimSpace(out), code)
		}
	}
}

// curlCheck POSTs a JSON Check of service to addr with curl and returns the
// body and the HTTP status, as "BODY\nCODE".
func curlCheck(t *testing.T, addr, service string) string {
	t.Helper()
	out, code := tool(t, 30*time.Second, "curl", "-sS", "-X", "POST", "-H", "Content-Type: application/json",
		"-d", `{"service":"`+service+`"}`, "-w", "\n%{http_code}", "http://"+addr+"/grpc.health.v1.Health/Check")
	if code != 0 {
		t.Fatalf("curl: exit %d\n%s", code, out)
	}
	return out
}

// logLines counts the lines of the server's log that contain s.
func (s *server) logLines(sub string) int {
	return strings.Count(s.logs.String(), sub)
}

// TestServerGroupVersion: a server-wide group and version, which dubbo-go
// copies into every service, do not reach the health service: probes that
// send no group or version (grpc-health-probe, curl, Kubernetes, grpc-go and
// clienthealth) are answered, while the Greeter keeps its group and version
// and is marked under its interface name and its key. dubbo-go's Triple
// clients with the same client-wide group and version (they send them with
// every call) reach the health service too, through this module's stub and
// through dubbo-go's own.
func TestServerGroupVersion(t *testing.T) {
	styles := []struct {
		name   string
		args   []string
		key    string   // the Greeter's service key
		client []string // tclient flags of a client-wide group and version
	}{
		{"options", []string{"-server-group", "g1", "-server-version", "1.0.0"}, "g1/greet.GreetService:1.0.0", []string{"-group", "g1", "-version", "1.0.0"}},
		{"yaml", []string{"-load", "-app-version", "1.0.0"}, "greet.GreetService:1.0.0", []string{"-version", "1.0.0"}},
	}
	for _, st := range styles {
		t.Run(st.name, func(t *testing.T) {
			forEachVariant(t, func(t *testing.T, bin string) {
				s := startServer(t, bin, st.args...)
				expectProbe(t, s.Addr, 0, "", "greet.GreetService", st.key)
				if got, want := curlCheck(t, s.Addr, "greet.GreetService"), "{\"status\":\"SERVING\"}\n200"; got != want {
					t.Errorf("curl Check = %q, want %q", got, want)
				}
				if got, want := curlCheck(t, s.Addr, st.key), "{\"status\":\"SERVING\"}\n200"; got != want {
					t.Errorf("curl Check of the key = %q, want %q", got, want)
				}
				url := "tri://" + s.Addr
				for _, stub := range []string{"dubbo-health", "builtin"} {
					for _, flags := range [][]string{nil, st.client} {
						args := append(append([]string{"-addr", url, "-stub", stub}, flags...), "check", "greet.GreetService")
						if got := programLines(t, 60*time.Second, bins.tclient, args...); len(got) != 1 || got[0] != "status SERVING" {
							t.Errorf("tclient %v = %q, want status SERVING", args, got)
						}
					}
				}
				// One status, one answer, whichever way the health
				// service is reached.
				s.set("greet.GreetService", "NOT_SERVING")
				expectProbe(t, s.Addr, 4, "greet.GreetService", st.key)
				args := append(append([]string{"-addr", url}, st.client...), "check", st.key)
				if got := programLines(t, 60*time.Second, bins.tclient, args...); len(got) != 1 || got[0] != "status NOT_SERVING" {
					t.Errorf("tclient %v after NOT_SERVING = %q", args, got)
				}
				if st.name == "yaml" {
					return // a dubbo.Load server exits 60 s after SIGTERM
				}
				// Both exports of the health service leave dubbo-go
				// nothing to complain about at shutdown.
				s.signal(syscall.SIGTERM)
				exitCode(t, s, 60*time.Second)
				if strings.Contains(s.logs.String(), "unexport failed") {
					t.Errorf("dubbo-go logged an unexport error at shutdown:\n%s", s.logs.tail(3000))
				}
			})
		})
	}
}

// TestHandlerEntryInYAML: a business type named Handler, like the health
// handler's type, configured by a provider.services.Handler entry of a
// dubbo.Load YAML: the entry configures the business service and never the
// health service (dubbo-go looks the entry up by type name).
func TestHandlerEntryInYAML(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin, "-load", "-handler-entry")
		expectProbe(t, s.Addr, 0, "", "greet.GreetService", "g1/greet.GreetService:1.0.0")
		if got, want := curlCheck(t, s.Addr, "g1/greet.GreetService:1.0.0"), "{\"status\":\"SERVING\"}\n200"; got != want {
			t.Errorf("curl Check = %q, want %q", got, want)
		}
		// dubbo-go applies the entry once, to the business service, and
		// says nothing about the health handler's methods.
		if n := s.logLines("injected options from provider.services for Handler"); n != 1 {
			t.Errorf("dubbo-go applied the provider.services.Handler entry %d times, want once (to the business service)", n)
		}
		if n := s.logLines("[RPCService]"); n != 0 {
			t.Errorf("dubbo-go warned %d times about service methods", n)
		}
	})
}

// TestDubboProtocol: a server with a Dubbo (Dubbo2) port beside its Triple
// port reports the services it serves on Dubbo alone on its Triple port.
func TestDubboProtocol(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin, "-dubbo-port", strconv.Itoa(freePort(t)))
		const dubboOnly = "dubboonly.GreetService"
		expectProbe(t, s.Addr, 0, "", "greet.GreetService", dubboOnly)
		if code := readyz(t, s.Addr, dubboOnly); code != http.StatusOK {
			t.Errorf("/readyz?service=%s: %d, want 200", dubboOnly, code)
		}
		list := strings.Join(programLines(t, 60*time.Second, bins.tclient, "-addr", "tri://"+s.Addr, "list"), "\n")
		if !strings.Contains(list, dubboOnly+"=SERVING") {
			t.Errorf("List on the Triple port lacks %s:\n%s", dubboOnly, list)
		}
		s.set(dubboOnly, "NOT_SERVING")
		expectProbe(t, s.Addr, 4, dubboOnly)
		expectProbe(t, s.Addr, 0, "greet.GreetService")
	})
}

// TestNoTripleProtocol: a server with no Triple port serves no health and
// says so in one line at start.
func TestNoTripleProtocol(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		const line = "[Health] this server has no Triple protocol"
		dubboAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		s := launchServer(t, bin, "-no-triple", "-dubbo-port", dubboAddr[len("127.0.0.1:"):])
		// The server exports the Greeter on Dubbo first, then defines its
		// internal services.
		waitFor(t, 60*time.Second, "the line that says there is no Triple port", func() bool {
			select {
			case <-s.exited:
				t.Fatalf("server exited: %v\n%s", s.exitErr, s.logs.tail(4000))
			default:
			}
			return s.logLines(line) > 0
		})
		if c, err := net.Dial("tcp", dubboAddr); err != nil {
			t.Errorf("the Dubbo port: %v", err)
		} else {
			c.Close()
		}
		if n := s.logLines(line); n != 1 {
			t.Errorf("%q logged %d times, want once", line, n)
		}
	})
}

// TestOwnStore: the README's "serve a store of your own" (autoregistration
// off, the program's own store registered with
// triple_health.RegisterHealthHandler) works with and without dubbo-go's
// imports, whose built-in health service would otherwise clash with it.
func TestOwnStore(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin, "-own-store")
		// The program's store answers: it knows own.Marker, and nothing of
		// the exports (autoregistration is off).
		expectProbe(t, s.Addr, 0, "", "own.Marker")
		expectProbe(t, s.Addr, 3, "greet.GreetService")
		if n := s.logLines("service already defined"); n != 0 {
			t.Errorf(`the log says "service already defined" %d times`, n)
		}
	})
}

// TestProbeServerReadiness: dubbo-go's own Kubernetes probe server
// (dubbo.metrics.probe) answers readiness as health answers "": a team can
// point Kubernetes at either port and get the same answer. Its liveness is
// left alone.
func TestProbeServerReadiness(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		probePort := freePort(t)
		s := startServer(t, bin, "-probe-port", strconv.Itoa(probePort))
		// dubbo-go's probe server listens on all interfaces (":PORT");
		// the test asks it on 127.0.0.1.
		probeURL := "http://127.0.0.1:" + strconv.Itoa(probePort)
		get := func(url string) int {
			t.Helper()
			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		both := func(want int) {
			t.Helper()
			if got := get(probeURL + "/ready"); got != want {
				t.Errorf("dubbo-go's /ready: %d, want %d", got, want)
			}
			if got := readyz(t, s.Addr, ""); got != want {
				t.Errorf("/readyz on the Triple port: %d, want %d", got, want)
			}
			if got := get(probeURL + "/live"); got != http.StatusOK {
				t.Errorf("dubbo-go's /live: %d, want 200", got)
			}
		}
		both(http.StatusOK)
		s.set("", "NOT_SERVING")
		both(http.StatusServiceUnavailable)
		s.set("", "SERVING")
		both(http.StatusOK)
	})
}

// TestLoadOwnSignal: the README's recipe for dubbo.Load servers, which
// dubbo-go v3.3.2 lets exit only 60s after SIGTERM: with
// shutdown.internal-signal false and the program's own signal handling, the
// process exits about as fast as a server.NewServer one (the baseline,
// measured in the same test), and health still turns NOT_SERVING on the
// way down.
func TestLoadOwnSignal(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		exitAfterSIGTERM := func(s *server) time.Duration {
			t.Helper()
			start := time.Now()
			s.signal(syscall.SIGTERM)
			if code := s.waitExit(90 * time.Second); code != 0 {
				t.Errorf("exit code %d, want 0", code)
			}
			return time.Since(start)
		}
		baseline := exitAfterSIGTERM(startServer(t, bin))

		s := startServer(t, bin, "-load", "-own-signal")
		stream := openWatch(t, s.Addr, "", healthpb.HealthCheckResponse_SERVING)
		next := make(chan healthpb.HealthCheckResponse_ServingStatus, 1)
		go func() {
			resp, err := stream.Recv()
			if err != nil {
				next <- -1
				return
			}
			next <- resp.GetStatus()
		}()
		took := exitAfterSIGTERM(s)
		if st := <-next; st != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("Watch after SIGTERM: %v, want NOT_SERVING", st)
		}
		if bound := 3*baseline + 5*time.Second; took > bound {
			t.Errorf("dubbo.Load server with its own signal handling exited %v after SIGTERM, want at most %v (server.NewServer: %v)", took, bound, baseline)
		}
		t.Logf("exit after SIGTERM: dubbo.Load with the recipe %v, server.NewServer %v", took, baseline)
	})
}
