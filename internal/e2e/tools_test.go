package e2e_test

import (
	"strings"
	"testing"
	"time"
)

// These tests ask real servers with the standard tools, unchanged:
// grpc-health-probe, grpcurl and curl.

func TestProbe(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin, "-group", "g1", "-version", "1.0.0")
		probe := func(args ...string) (string, int) {
			return tool(t, 30*time.Second, "grpc-health-probe", append([]string{"-addr", s.Addr}, args...)...)
		}
		for _, svc := range []string{"", "greet.GreetService", "g1/greet.GreetService:1.0.0", "grpc.health.v1.Health"} {
			out, code := probe("-service", svc)
			if code != 0 || !strings.Contains(out, "status: SERVING") {
				t.Errorf("probe -service %q: exit %d, %s; want 0 and SERVING", svc, code, out)
			}
		}
		out, code := probe("-service", "no.such.Service")
		if code != 3 || !strings.Contains(out, "code = NotFound") {
			t.Errorf("probe of an unknown service: exit %d, %s; want 3 with NotFound", code, out)
		}

		// A status set through this module's API is what the probe sees, so
		// this module's handler is the one answering (dubbo-go's built-in
		// knows nothing of it).
		s.set("greet.GreetService", "NOT_SERVING")
		// The service key follows its interface name: dubbo-go consumers,
		// which ask by key, see the NOT_SERVING too.
		for _, svc := range []string{"greet.GreetService", "g1/greet.GreetService:1.0.0"} {
			out, code = probe("-service", svc)
			if code != 4 || !strings.Contains(out, "NOT_SERVING") {
				t.Errorf("probe -service %q after NOT_SERVING on the interface: exit %d, %s; want 4", svc, code, out)
			}
		}
		// A key set on its own does not move the interface name.
		s.set("greet.GreetService", "SERVING")
		s.set("g1/greet.GreetService:1.0.0", "NOT_SERVING")
		if out, code = probe("-service", "greet.GreetService"); code != 0 {
			t.Errorf("probe of the interface after NOT_SERVING on the key: exit %d, %s; want 0", code, out)
		}
		if out, code = probe("-service", "g1/greet.GreetService:1.0.0"); code != 4 {
			t.Errorf("probe of the key set NOT_SERVING: exit %d, %s; want 4", code, out)
		}
		s.set("custom.Dependency", "SERVING")
		if out, code = probe("-service", "custom.Dependency"); code != 0 {
			t.Errorf("probe of a status set by the program: exit %d, %s; want 0", code, out)
		}
	})
}

// TestSetBeforeServing: a NOT_SERVING the program sets before the server
// serves (a warm-up gate) is kept by the export, for the interface name and,
// through it, the service key; the program then sets SERVING.
func TestSetBeforeServing(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin, "-group", "g1", "-version", "1.0.0", "-not-serving", "greet.GreetService")
		probe := func(svc string) (string, int) {
			return tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr, "-service", svc)
		}
		for _, svc := range []string{"greet.GreetService", "g1/greet.GreetService:1.0.0"} {
			if out, code := probe(svc); code != 4 {
				t.Errorf("probe -service %q: exit %d, %s; want 4 (NOT_SERVING set before serving)", svc, code, out)
			}
		}
		if out, code := probe(""); code != 0 {
			t.Errorf("probe of the whole server: exit %d, %s; want 0", code, out)
		}
		s.set("greet.GreetService", "SERVING")
		for _, svc := range []string{"greet.GreetService", "g1/greet.GreetService:1.0.0"} {
			if out, code := probe(svc); code != 0 {
				t.Errorf("probe -service %q after SERVING: exit %d, %s; want 0", svc, code, out)
			}
		}
	})
}

func TestGrpcurl(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)
		grpcurl := func(args ...string) string {
			t.Helper()
			out, code := tool(t, 30*time.Second, "grpcurl", append([]string{"-plaintext"}, args...)...)
			if code != 0 {
				t.Fatalf("grpcurl %v: exit %d\n%s", args, code, out)
			}
			return out
		}
		list := grpcurl(s.Addr, "list")
		if n := strings.Count(list, "grpc.health.v1.Health\n"); n != 1 {
			t.Errorf("grpcurl list shows grpc.health.v1.Health %d times, want once:\n%s", n, list)
		}
		desc := grpcurl(s.Addr, "describe", "grpc.health.v1.Health")
		for _, rpc := range []string{"rpc Check", "rpc Watch", "rpc List"} {
			if !strings.Contains(desc, rpc) {
				t.Errorf("describe lacks %q:\n%s", rpc, desc)
			}
		}
		got := grpcurl("-d", "{}", s.Addr, "grpc.health.v1.Health/List")
		for _, want := range []string{`"greet.GreetService"`, `"": {`} {
			if !strings.Contains(got, want) {
				t.Errorf("List lacks %s:\n%s", want, got)
			}
		}
		got = grpcurl("-d", `{"service":"greet.GreetService"}`, s.Addr, "grpc.health.v1.Health/Check")
		if !strings.Contains(got, `"status": "SERVING"`) {
			t.Errorf("Check through grpcurl: %s", got)
		}
	})
}

func TestCurlJSON(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)
		url := "http://" + s.Addr + "/grpc.health.v1.Health/Check"
		curl := func(body string) string {
			t.Helper()
			out, code := tool(t, 30*time.Second, "curl", "-sS", "-X", "POST", "-H", "Content-Type: application/json",
				"-d", body, "-w", "\n%{http_code}", url)
			if code != 0 {
				t.Fatalf("curl: exit %d\n%s", code, out)
			}
			return out
		}
		if got, want := curl(`{"service":"greet.GreetService"}`), "{\"status\":\"SERVING\"}\n200"; got != want {
			t.Errorf("curl Check = %q, want %q", got, want)
		}
		got := curl(`{"service":"no.such.Service"}`)
		if !strings.HasSuffix(got, "\n404") || !strings.Contains(got, `"code":"not_found"`) || !strings.Contains(got, "unknown service") {
			t.Errorf("curl Check of an unknown service = %q, want 404 not_found", got)
		}
		s.set("greet.GreetService", "NOT_SERVING")
		if got, want := curl(`{"service":"greet.GreetService"}`), "{\"status\":\"NOT_SERVING\"}\n200"; got != want {
			t.Errorf("curl Check after NOT_SERVING = %q, want %q", got, want)
		}
	})
}

// TestStartStyles: health is served whichever way the framework starts the
// server: dubbo.NewInstance(...).NewServer() and dubbo.Load with a YAML file.
func TestStartStyles(t *testing.T) {
	styles := []struct {
		name string
		args []string
	}{
		{"instance", []string{"-instance"}},
		{"load", []string{"-load"}},
	}
	for _, st := range styles {
		t.Run(st.name, func(t *testing.T) {
			forEachVariant(t, func(t *testing.T, bin string) {
				s := startServer(t, bin, st.args...)
				out, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr, "-service", "greet.GreetService")
				if code != 0 {
					t.Errorf("probe: exit %d %s", code, out)
				}
				s.set("greet.GreetService", "NOT_SERVING")
				if out, code = tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr, "-service", "greet.GreetService"); code != 4 {
					t.Errorf("probe after NOT_SERVING: exit %d %s, want 4", code, out)
				}
			})
		})
	}
}

// TestDisabled: DUBBO_HEALTH_AUTOREGISTER=false leaves the server without
// this module's health service (dubbo-go's built-in answers if linked).
func TestDisabled(t *testing.T) {
	s := launchServerEnv(t, bins.plain, []string{"DUBBO_HEALTH_AUTOREGISTER=false"})
	conn := dial(t, s.Addr)
	waitFor(t, 60*time.Second, "the server to answer", func() bool {
		return conn.GetState().String() == "READY" || probeCode(t, s.Addr) == 3
	})
	out, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr)
	if code == 0 || !strings.Contains(out, "does not implement the grpc health protocol") {
		t.Errorf("probe of a server with health disabled: exit %d %s, want it to say health is not implemented", code, out)
	}
}

func probeCode(t *testing.T, addr string) int {
	_, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", addr, "-connect-timeout", "200ms", "-rpc-timeout", "500ms")
	return code
}

// TestHTTPView: plain GET probes on the Triple port, for load balancers and
// Kubernetes httpGet probes, read the same statuses as gRPC.
func TestHTTPView(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)
		get := func(path string) string {
			t.Helper()
			out, code := tool(t, 30*time.Second, "curl", "-sS", "-w", " %{http_code}", "http://"+s.Addr+path)
			if code != 0 {
				t.Fatalf("curl %s: exit %d %s", path, code, out)
			}
			return out
		}
		for path, want := range map[string]string{
			"/healthz":                           `{"status":"ALIVE"}` + "\n 200",
			"/readyz":                            `{"service":"","status":"SERVING"}` + "\n 200",
			"/readyz?service=greet.GreetService": `{"service":"greet.GreetService","status":"SERVING"}` + "\n 200",
			"/readyz?service=no.Such":            `{"service":"no.Such","status":"SERVICE_UNKNOWN","error":"unknown service"}` + "\n 404",
			"/no/such/path":                      "404 page not found\n 404",
		} {
			if got := get(path); got != want {
				t.Errorf("GET %s = %q, want %q", path, got, want)
			}
		}
		s.set("greet.GreetService", "NOT_SERVING")
		if got, want := get("/readyz?service=greet.GreetService"), `{"service":"greet.GreetService","status":"NOT_SERVING"}`+"\n 503"; got != want {
			t.Errorf("GET /readyz after NOT_SERVING = %q, want %q", got, want)
		}
		// gRPC on the same port is unaffected.
		if out, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr); code != 0 {
			t.Errorf("probe: exit %d %s", code, out)
		}
	})
}
