package e2e_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

import (
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/dubbo-health/health/internal/testservice/greet"
)

// Credentials of the test servers: the server token (-token) and the
// header the test server's own filter e2e-auth wants (-filter e2e-auth).
const (
	testToken  = "s3cret"
	authHeader = "x-e2e-auth"
	authValue  = "ok"
)

// startWithMD starts bin like startServer, with env, and waits until a Check
// of "" carrying the metadata md (name, value, ...) answers SERVING.
func startWithMD(t *testing.T, bin string, env, md []string, args ...string) *server {
	t.Helper()
	s := launchServerEnv(t, bin, env, args...)
	cli := healthpb.NewHealthClient(dial(t, s.Addr))
	waitFor(t, 60*time.Second, "server "+s.Addr+" to serve", func() bool {
		select {
		case <-s.exited:
			t.Fatalf("server exited early: %v\n%s", s.exitErr, s.logs.tail(4000))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		resp, err := cli.Check(metadata.AppendToOutgoingContext(ctx, md...), &healthpb.HealthCheckRequest{})
		return err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
	return s
}

// curlStatus runs curl with args and returns the body and the HTTP status.
func curlStatus(t *testing.T, args ...string) (body, code string) {
	t.Helper()
	out, exit := tool(t, 30*time.Second, "curl", append([]string{"-sS", "-w", "\n%{http_code}"}, args...)...)
	if exit != 0 {
		t.Fatalf("curl %v: exit %d %s", args, exit, out)
	}
	i := strings.LastIndex(out, "\n")
	return out[:i], out[i+1:]
}

// healthCalls makes Check, List and Watch with the metadata md and returns
// their errors (nil when each answered SERVING, or a List that has the
// Greeter).
func healthCalls(t *testing.T, addr string, md ...string) (check, list, watch error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, md...)
	cli := healthpb.NewHealthClient(dial(t, addr))
	resp, err := cli.Check(ctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"})
	if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		err = fmt.Errorf("check answered %s", resp.GetStatus())
	}
	check = err
	lr, err := cli.List(ctx, &healthpb.HealthListRequest{})
	if err == nil && lr.GetStatuses()["greet.GreetService"] == nil {
		err = fmt.Errorf("list has no greet.GreetService: %v", lr)
	}
	list = err
	stream, err := cli.Watch(ctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"})
	if err == nil {
		var resp *healthpb.HealthCheckResponse
		if resp, err = stream.Recv(); err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			err = fmt.Errorf("watch sent %s", resp.GetStatus())
		}
	}
	watch = err
	return check, list, watch
}

// expectCalls fails unless Check, List and Watch with md all end with code
// want (codes.OK: all answered).
func expectCalls(t *testing.T, addr string, want codes.Code, md ...string) {
	t.Helper()
	check, list, watch := healthCalls(t, addr, md...)
	for name, err := range map[string]error{"Check": check, "List": list, "Watch": watch} {
		if status.Code(err) != want {
			t.Errorf("%s with metadata %q: %v, want code %s", name, md, err, want)
		}
	}
}

// TestHealthHonoursToken: with a server token (server.WithServerToken),
// health requires it as the business services do, from every kind of
// client: Check, List and Watch from grpc-go, grpc-health-probe, grpcurl,
// JSON over HTTP and the HTTP view. A request without it, or with a wrong
// one, is refused with Unauthenticated (HTTP 401).
func TestHealthHonoursToken(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	protoDir := filepath.Join(root, "triple_health")
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startWithMD(t, bin, nil, []string{"token", testToken}, "-token", testToken)

		expectCalls(t, s.Addr, codes.Unauthenticated)
		expectCalls(t, s.Addr, codes.Unauthenticated, "token", "guess")
		expectCalls(t, s.Addr, codes.OK, "token", testToken)

		probe := []string{"-addr", s.Addr, "-service", "greet.GreetService"}
		if out, code := tool(t, 30*time.Second, "grpc-health-probe", probe...); code != 3 || !strings.Contains(out, "Unauthenticated") {
			t.Errorf("grpc-health-probe without the token: exit %d %s, want 3 and Unauthenticated", code, out)
		}
		if out, code := tool(t, 30*time.Second, "grpc-health-probe", append(probe, "-rpc-header", "token: "+testToken)...); code != 0 {
			t.Errorf("grpc-health-probe -rpc-header token: exit %d %s", code, out)
		}

		grpcurl := []string{"-plaintext", "-import-path", protoDir, "-proto", "health.proto", "-d", `{"service":"greet.GreetService"}`}
		if out, code := tool(t, 30*time.Second, "grpcurl", append(grpcurl, s.Addr, "grpc.health.v1.Health/Check")...); code == 0 || !strings.Contains(out, "Unauthenticated") {
			t.Errorf("grpcurl without the token: exit %d %s, want Unauthenticated", code, out)
		}
		if out, code := tool(t, 30*time.Second, "grpcurl", append(grpcurl, "-H", "token: "+testToken, s.Addr, "grpc.health.v1.Health/Check")...); code != 0 || !strings.Contains(out, `"SERVING"`) {
			t.Errorf("grpcurl -H token: exit %d %s", code, out)
		}

		check := []string{"-X", "POST", "-H", "Content-Type: application/json", "-d", `{"service":"greet.GreetService"}`, "http://" + s.Addr + "/grpc.health.v1.Health/Check"}
		if body, code := curlStatus(t, check...); code != "401" || !strings.Contains(body, "unauthenticated") {
			t.Errorf("JSON Check without the token: HTTP %s %s, want 401", code, body)
		}
		if body, code := curlStatus(t, append([]string{"-H", "token: " + testToken}, check...)...); code != "200" || !strings.Contains(body, `"SERVING"`) {
			t.Errorf("JSON Check with the token: HTTP %s %s", code, body)
		}

		// Liveness is everyone's: a refused liveness probe would have
		// Kubernetes restart the container, and it tells nothing.
		if body, code := curlStatus(t, "http://"+s.Addr+"/healthz"); code != "200" || !strings.Contains(body, "ALIVE") {
			t.Errorf("GET /healthz without the token: HTTP %s %s, want 200 ALIVE", code, body)
		}
		for _, path := range []string{"/readyz", "/readyz?service=greet.GreetService"} {
			if body, code := curlStatus(t, "http://"+s.Addr+path); code != "401" || strings.Contains(body, "SERVING") {
				t.Errorf("GET %s without the token: HTTP %s %s, want 401 and no status", path, code, body)
			}
			if body, code := curlStatus(t, "-H", "token: "+testToken, "http://"+s.Addr+path); code != "200" {
				t.Errorf("GET %s with the token: HTTP %s %s, want 200", path, code, body)
			}
		}

		logs := s.logs.String()
		for _, want := range []string{"Kubelet gRPC probes cannot send credentials", "health.PublicProbes()", "DUBBO_HEALTH_PUBLIC=true"} {
			if !strings.Contains(logs, want) {
				t.Errorf("the log does not say %q", want)
			}
		}
	})
}

// TestHealthHonoursProviderFilters: health runs the application's own
// provider filters (server.WithServerFilter) too, without those that must
// not apply to probes (TPS and execute limits, graceful-shutdown counting,
// access log) and without names dubbo-go does not know (which would panic
// on every call). A request the filter refuses with an untyped error gets
// PermissionDenied (HTTP 403).
func TestHealthHonoursProviderFilters(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		auth := []string{authHeader, authValue}
		s := startWithMD(t, bin, nil, auth, "-filter", "e2e-auth,tps,execute,pshutdown,accesslog,no.such.filter,default")

		expectCalls(t, s.Addr, codes.PermissionDenied)
		expectCalls(t, s.Addr, codes.OK, auth...)
		if out, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr, "-rpc-header", authHeader+": "+authValue); code != 0 {
			t.Errorf("grpc-health-probe with the filter's header: exit %d %s", code, out)
		}
		if body, code := curlStatus(t, "http://"+s.Addr+"/readyz"); code != "403" || strings.Contains(body, "SERVING") {
			t.Errorf("GET /readyz without the filter's header: HTTP %s %s, want 403", code, body)
		}
		if body, code := curlStatus(t, "-H", authHeader+": "+authValue, "http://"+s.Addr+"/readyz"); code != "200" {
			t.Errorf("GET /readyz with the filter's header: HTTP %s %s, want 200", code, body)
		}
		logs := s.logs.String()
		if !strings.Contains(logs, "no.such.filter, default are not registered") {
			t.Errorf("the log does not name the provider filters health skips as unknown")
		}
		if !strings.Contains(logs, "health runs the application's provider filters e2e-auth") {
			t.Errorf("the log does not name the filters health runs")
		}
		if strings.Contains(logs, "panic") {
			t.Errorf("the server log has a panic:\n%s", s.logs.tail(4000))
		}
	})
}

// TestPublicProbes: health.PublicProbes (-public) and DUBBO_HEALTH_PUBLIC=true
// make health answer everyone, while the business services keep requiring
// the token.
func TestPublicProbes(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		for _, c := range []struct {
			name string
			env  []string
			args []string
		}{
			{"PublicProbes", nil, []string{"-token", testToken, "-public"}},
			{"DUBBO_HEALTH_PUBLIC", []string{"DUBBO_HEALTH_PUBLIC=true"}, []string{"-token", testToken}},
			{"PublicProbes with a filter", nil, []string{"-filter", "e2e-auth", "-public"}},
		} {
			s := startWithMD(t, bin, c.env, nil, c.args...)
			expectCalls(t, s.Addr, codes.OK)
			if out, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr, "-service", "greet.GreetService"); code != 0 {
				t.Errorf("%s: grpc-health-probe without credentials: exit %d %s", c.name, code, out)
			}
			if body, code := curlStatus(t, "http://"+s.Addr+"/readyz"); code != "200" {
				t.Errorf("%s: GET /readyz without credentials: HTTP %s %s", c.name, code, body)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := dial(t, s.Addr).Invoke(ctx, "/greet.GreetService/Greet", &greet.GreetRequest{Name: "x"}, &greet.GreetResponse{})
			cancel()
			if err == nil {
				t.Errorf("%s: the Greeter answered a call without credentials", c.name)
			}
			if !strings.Contains(s.logs.String(), "health is public") {
				t.Errorf("%s: the log does not say health is public", c.name)
			}
		}
	})
}

// TestShutdownWithSecuredHealth: with the application's filters on health,
// a graceful shutdown still drains as without them: an open Watch gets
// NOT_SERVING at once and ends after the drain delay, the process exits as
// fast as the same server without a Watch, and probes carrying the token
// read NOT_SERVING until the listener closes, never a refusal.
func TestShutdownWithSecuredHealth(t *testing.T) {
	const drain = 200 * time.Millisecond
	args := []string{"-token", testToken, "-drain", drain.String(), "-consumer-wait", "500ms"}
	md := []string{"token", testToken}
	forEachVariant(t, func(t *testing.T, bin string) {
		base := startWithMD(t, bin, nil, md, args...)
		start := time.Now()
		base.signal(syscall.SIGTERM)
		base.waitExit(30 * time.Second)
		baseline := time.Since(start)

		s := startWithMD(t, bin, nil, md, args...)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		ctx = metadata.AppendToOutgoingContext(ctx, md...)
		stream, err := healthpb.NewHealthClient(dial(t, s.Addr)).Watch(ctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, stream, healthpb.HealthCheckResponse_SERVING)
		watchEnd := make(chan error, 1)
		go func() {
			resp, err := stream.Recv()
			if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
				err = fmt.Errorf("the Watch sent %s, want NOT_SERVING", resp.GetStatus())
			} else if err == nil {
				_, err = stream.Recv()
			}
			watchEnd <- err
		}()

		probe := healthpb.NewHealthClient(dial(t, s.Addr))
		start = time.Now()
		s.signal(syscall.SIGTERM)
		var answers, notServing int
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for ; time.Since(start) < 30*time.Second; <-tick.C {
			pctx, pcancel := context.WithTimeout(ctx, time.Second)
			resp, err := probe.Check(pctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"})
			pcancel()
			if status.Code(err) == codes.Unavailable || status.Code(err) == codes.DeadlineExceeded {
				break // the listener is gone
			}
			if err != nil {
				t.Fatalf("a probe with the token during the shutdown: %v, want NOT_SERVING", err)
			}
			answers++
			if resp.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING {
				notServing++
			}
		}
		if err := <-watchEnd; status.Code(err) != codes.Unavailable {
			t.Errorf("the Watch ended with %v, want Unavailable", err)
		}
		s.waitExit(30 * time.Second)
		exit := time.Since(start)
		t.Logf("SIGTERM with a Watch, health behind the token: %d probes answered during the shutdown, %d NOT_SERVING; exit %v (without a Watch %v)", answers, notServing, exit, baseline)
		if notServing == 0 {
			t.Error("no probe read NOT_SERVING during the shutdown")
		}
		if limit := 2*baseline + drain + time.Second; exit > limit {
			t.Errorf("exit took %v, more than %v: twice the %v without a Watch, plus the drain delay and a second", exit, limit, baseline)
		}
	})
}

// TestAttachedHTTPHandler: on a port where the program attached its own
// HTTP handler, that handler (and its authentication) answers /healthz and
// /readyz; the program can serve the health view behind it. With
// PublicProbes the view answers in front of the program's handler, except
// where the program has a route of its own.
func TestAttachedHTTPHandler(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		get := func(s *server, path string, header ...string) string {
			t.Helper()
			var args []string
			for _, h := range header {
				args = append(args, "-H", h)
			}
			body, code := curlStatus(t, append(args, "http://"+s.Addr+path)...)
			return strings.TrimSpace(body) + " " + code
		}
		check := func(s *server, path, want string, header ...string) {
			t.Helper()
			if got := get(s, path, header...); got != want {
				t.Errorf("GET %s %v: %q, want %q", path, header, got, want)
			}
		}
		auth := authHeader + ": " + authValue

		// The program's handler has no route at the view's paths.
		s := startServer(t, bin, "-attach", "app")
		check(s, "/app", "app 200")
		check(s, "/readyz", "404 page not found 404")
		check(s, "/healthz", "404 page not found 404")
		if !strings.Contains(s.logs.String(), "are left to the HTTP handler the program attached") {
			t.Error("the log does not say the view's paths are left to the program's handler")
		}

		// The program serves the view behind its own authentication.
		s = startServer(t, bin, "-attach", "guarded")
		check(s, "/readyz", "program: unauthorized 401")
		check(s, "/readyz", `{"service":"","status":"SERVING"} 200`, auth)
		check(s, "/readyz?service=greet.GreetService", `{"service":"greet.GreetService","status":"SERVING"} 200`, auth)
		check(s, "/healthz", `{"status":"ALIVE"} 200`, auth)

		// Public: the view in front of the program's handler.
		s = startServer(t, bin, "-attach", "app", "-public")
		check(s, "/readyz", `{"service":"","status":"SERVING"} 200`)
		check(s, "/app", "app 200")

		// The program's own routes win, public or not.
		for _, public := range []bool{false, true} {
			args := []string{"-attach", "routes"}
			if public {
				args = append(args, "-public")
			}
			s = startServer(t, bin, args...)
			check(s, "/healthz", "program /healthz 200")
			check(s, "/readyz?service=greet.GreetService", "program /readyz 200")
			if public && !strings.Contains(s.logs.String(), "the program's own route for /healthz on :"+strconv.Itoa(s.Port)+" wins") {
				t.Error("the log does not say the program's route wins")
			}
		}
	})
}
