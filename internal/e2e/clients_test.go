package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

import (
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// These tests ask real servers with real clients: grpc-go's health client,
// the generated Triple client, and the go-client sample.

func TestGRPCGoClient(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)
		cli := healthpb.NewHealthClient(dial(t, s.Addr))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()

		resp, err := cli.Check(ctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("Check = %v, %v; want SERVING", resp, err)
		}
		_, err = cli.Check(ctx, &healthpb.HealthCheckRequest{Service: "no.such.Service"})
		if status.Code(err) != codes.NotFound {
			t.Errorf("Check of an unknown service: %v, want code NotFound", err)
		}
		list, err := cli.List(ctx, &healthpb.HealthListRequest{})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if list.GetStatuses()["greet.GreetService"].GetStatus() != healthpb.HealthCheckResponse_SERVING ||
			list.GetStatuses()[""].GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("List = %v, want greet.GreetService and \"\" SERVING", list)
		}

		stream, err := cli.Watch(ctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, stream, healthpb.HealthCheckResponse_SERVING)
		s.set("greet.GreetService", "NOT_SERVING")
		expectStatus(t, stream, healthpb.HealthCheckResponse_NOT_SERVING)
		s.set("greet.GreetService", "SERVING")
		expectStatus(t, stream, healthpb.HealthCheckResponse_SERVING)

		unknown, err := cli.Watch(ctx, &healthpb.HealthCheckRequest{Service: "later.Service"})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, unknown, healthpb.HealthCheckResponse_SERVICE_UNKNOWN)
		s.set("later.Service", "SERVING")
		expectStatus(t, unknown, healthpb.HealthCheckResponse_SERVING)
	})
}

// openWatch opens a grpc-go Watch of service on addr, ended with the test,
// and fails unless its first message is first.
func openWatch(t *testing.T, addr, service string, first healthpb.HealthCheckResponse_ServingStatus) healthpb.Health_WatchClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	stream, err := healthpb.NewHealthClient(dial(t, addr)).Watch(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, stream, first)
	return stream
}

// expectStatus fails unless the next message on stream is want.
func expectStatus(t *testing.T, stream healthpb.Health_WatchClient, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	resp, err := stream.Recv()
	if err != nil {
		t.Fatalf("Watch: %v, want %s", err, want)
	}
	if resp.GetStatus() != want {
		t.Fatalf("Watch sent %s, want %s", resp.GetStatus(), want)
	}
}

func TestTripleClient(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin, "-group", "g1", "-version", "1.0.0")
		url := "tri://" + s.Addr

		// The seed program of dubbo-go's health documentation.
		lines := programLines(t, 60*time.Second, bins.goClient, "-addr", url)
		want := "[greet.GreetService's health status:SERVING]"
		if len(lines) != 2 || lines[0] != want || lines[1] != want {
			t.Errorf("go-client printed %q, want %q twice", lines, want)
		}

		tclient := func(args ...string) []string {
			return programLines(t, 60*time.Second, bins.tclient, append([]string{"-addr", url}, args...)...)
		}
		if got := tclient("check", "g1/greet.GreetService:1.0.0"); len(got) != 1 || got[0] != "status SERVING" {
			t.Errorf("check by service key = %q", got)
		}
		// NotFound comes back as NotFound. The stub sets no cluster of its
		// own (dubbo-go would apply it to the client's later references),
		// so dubbo-go's failover may retry it first.
		if got := tclient("check", "no.such.Service"); len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "error not_found") {
			t.Errorf("check of an unknown service = %q, want a not_found error last", got)
		}
		got := strings.Join(tclient("list"), "\n")
		for _, want := range []string{"=SERVING", "greet.GreetService=SERVING", "g1/greet.GreetService:1.0.0=SERVING"} {
			if !strings.Contains(got, want) {
				t.Errorf("list lacks %q:\n%s", want, got)
			}
		}

		w := startProgram(t, bins.tclient, "-addr", url, "watch", "greet.GreetService")
		w.expect(t, 60*time.Second, "open")
		w.expect(t, 10*time.Second, "status SERVING")

		// Programs written for dubbo-go's built-in health service keep
		// working: its own client (Check and Watch) reads our handler.
		builtin := func(args ...string) []string {
			return programLines(t, 60*time.Second, bins.tclient, append([]string{"-addr", url, "-stub", "builtin"}, args...)...)
		}
		if got := builtin("check", "greet.GreetService"); len(got) != 1 || got[0] != "status SERVING" {
			t.Errorf("dubbo-go's client: check = %q", got)
		}
		// Its stub is not fail-fast: dubbo-go's failover retries the
		// NotFound twice (and logs a stack trace on stdout), then returns it.
		if got := builtin("check", "no.such.Service"); len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "error not_found") {
			t.Errorf("dubbo-go's client: check of an unknown service = %q, want a not_found error last", got)
		}
		bw := startProgram(t, bins.tclient, "-addr", url, "-stub", "builtin", "watch", "greet.GreetService")
		bw.expect(t, 60*time.Second, "open")
		bw.expect(t, 10*time.Second, "status SERVING")

		s.set("greet.GreetService", "NOT_SERVING")
		w.expect(t, 10*time.Second, "status NOT_SERVING")
		bw.expect(t, 10*time.Second, "status NOT_SERVING")
	})
}

// TestExportAfterStart: a service exported after the server started is
// picked up (SERVING), and turns unknown when it is unexported.
func TestExportAfterStart(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)
		cli := healthpb.NewHealthClient(dial(t, s.Addr))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		stream, err := cli.Watch(ctx, &healthpb.HealthCheckRequest{Service: "late.GreetService"})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, stream, healthpb.HealthCheckResponse_SERVICE_UNKNOWN)
		s.control("export late.GreetService")
		expectStatus(t, stream, healthpb.HealthCheckResponse_SERVING)
		if out, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr, "-service", "late.GreetService"); code != 0 {
			t.Errorf("probe of the late service: exit %d %s", code, out)
		}
		s.control("unexport late.GreetService")
		expectStatus(t, stream, healthpb.HealthCheckResponse_SERVICE_UNKNOWN)
		if _, err := cli.Check(ctx, &healthpb.HealthCheckRequest{Service: "late.GreetService"}); status.Code(err) != codes.NotFound {
			t.Errorf("Check of the unexported service: %v, want NotFound", err)
		}
	})
}
