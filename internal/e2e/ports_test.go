package e2e_test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

import (
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// TestPerPort: a server with two Triple ports that exports the Greeter on
// the first only. Each port answers for itself: the Greeter is NotFound on
// the second, List is per port, "" is per port; a status the program sets
// reaches both.
func TestPerPort(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		port2 := freePort(t)
		s := startServer(t, bin, "-port2", strconv.Itoa(port2))
		addr2 := net.JoinHostPort("127.0.0.1", strconv.Itoa(port2))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cli1 := healthpb.NewHealthClient(dial(t, s.Addr))
		cli2 := healthpb.NewHealthClient(dial(t, addr2))

		expectProbe(t, s.Addr, 0, "", "greet.GreetService")
		expectProbe(t, addr2, 0, "")
		if _, err := cli2.Check(ctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"}); status.Code(err) != codes.NotFound {
			t.Errorf("Check of the Greeter on the port without it: %v, want NotFound", err)
		}
		if out, code := probeService(t, addr2, "greet.GreetService"); code != 3 {
			t.Errorf("grpc-health-probe of the Greeter on the port without it: exit %d, %s; want 3 (NotFound)", code, out)
		}
		if code := readyz(t, addr2, "greet.GreetService"); code != http.StatusNotFound {
			t.Errorf("/readyz?service=greet.GreetService on the port without it: %d, want 404", code)
		}
		if code := readyz(t, s.Addr, "greet.GreetService"); code != http.StatusOK {
			t.Errorf("/readyz?service=greet.GreetService on its port: %d, want 200", code)
		}

		list := func(cli healthpb.HealthClient) map[string]*healthpb.HealthCheckResponse {
			t.Helper()
			resp, err := cli.List(ctx, &healthpb.HealthListRequest{})
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			return resp.GetStatuses()
		}
		if l := list(cli1); l["greet.GreetService"].GetStatus() != healthpb.HealthCheckResponse_SERVING || l[""].GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("List on the Greeter's port = %v, want greet.GreetService and \"\" SERVING", l)
		}
		if l := list(cli2); l["greet.GreetService"] != nil || l[""].GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("List on the other port = %v, want \"\" SERVING and no greet.GreetService", l)
		}

		// What the program sets is the same everywhere.
		s.set("custom.Dependency", "NOT_SERVING")
		expectProbe(t, s.Addr, 4, "custom.Dependency")
		expectProbe(t, addr2, 4, "custom.Dependency")
		s.set("", "NOT_SERVING")
		expectProbe(t, s.Addr, 4, "")
		expectProbe(t, addr2, 4, "")
	})
}

// TestStartupWindow: with an etcd registry (which makes the start-up
// slower), GET /readyz never answers 200 before the Greeter is exported.
// It polls from the start of the process: each round asks /readyz and then
// /readyz?service=greet.GreetService; a 200 for "" followed by a 404 for the
// Greeter would be the window of issue 14.5.
func TestStartupWindow(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		reg := startEtcd(t)
		s := launchServer(t, bin, "-registry", reg.Addr)
		client := &http.Client{Timeout: 2 * time.Second}
		get := func(path string) int {
			resp, err := client.Get("http://" + s.Addr + path)
			if err != nil {
				return 0 // not listening yet
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		rounds, notReady := 0, 0
		waitFor(t, 60*time.Second, "the server to be ready", func() bool {
			select {
			case <-s.exited:
				t.Fatalf("server exited: %v\n%s", s.exitErr, s.logs.tail(4000))
			default:
			}
			for range 50 { // poll without pausing, in batches
				rounds++
				overall := get("/readyz")
				greeter := get("/readyz?service=greet.GreetService")
				if overall == http.StatusOK && greeter == http.StatusNotFound {
					t.Fatalf("round %d: /readyz answered 200 while the Greeter was not exported yet (404)", rounds)
				}
				if overall != http.StatusOK {
					notReady++
				}
				if overall == http.StatusOK && greeter == http.StatusOK {
					return true
				}
			}
			return false
		})
		t.Logf("%d rounds, %d of them not ready (refused or 503) before the server was", rounds, notReady)
	})
}
