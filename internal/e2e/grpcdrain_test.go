package e2e_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
)

import (
	"github.com/dubbo-health/health/internal/testservice/greet"
)

// TestGRPCHealthCheckingDuringShutdown: grpc-go's client-side health
// checking opens a new Watch right after a Watch that has sent a message
// ends. While our server shuts down it must not make such a client spin:
// count the Watch streams the server opened from SIGTERM to exit.
func TestGRPCHealthCheckingDuringShutdown(t *testing.T) {
	metricsAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	// dubbo-go keeps serving for the consumer wait after the drain.
	s := startServer(t, bins.plain, "-drain", "200ms", "-consumer-wait", "2s", "-metrics-addr", metricsAddr)
	r := manual.NewBuilderWithScheme("drain")
	r.InitialState(resolver.State{Addresses: []resolver.Address{{Addr: s.Addr}}})
	conn := dial(t, r.Scheme()+":///greeter",
		grpc.WithResolvers(r),
		grpc.WithDefaultServiceConfig(`{
			"loadBalancingConfig": [{"round_robin": {}}],
			"healthCheckConfig": {"serviceName": "greet.GreetService"}
		}`),
	)
	waitFor(t, 30*time.Second, "a call through the health-checked connection", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return conn.Invoke(ctx, greet.GreetServiceGreetProcedure, &greet.GreetRequest{Name: "drain"}, new(greet.GreetResponse)) == nil
	})
	opened := func() (float64, bool) {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return 0, false
		}
		for _, l := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(l, "dubbo_health_watch_streams_opened_total "); ok {
				n, err := strconv.ParseFloat(v, 64)
				return n, err == nil
			}
		}
		return 0, false
	}
	before, ok := opened()
	if !ok {
		t.Fatal("no dubbo_health_watch_streams_opened_total metric")
	}

	start := time.Now()
	s.signal(syscall.SIGTERM)
	last := before
	for {
		n, ok := opened()
		if !ok {
			break // the server is gone
		}
		if n != last {
			t.Logf("%v: %v", time.Since(start).Round(time.Millisecond), n-before)
		}
		last = n
		if time.Since(start) > 30*time.Second {
			t.Fatal("the server did not stop within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := s.waitExit(20 * time.Second); code != 0 {
		t.Errorf("exit code %d", code)
	}
	during := last - before
	t.Logf("SIGTERM -> exit %v: the grpc-go client opened %v Watch streams", time.Since(start), during)
	// About one per 200ms drain delay over dubbo-go's 2s wait; a client
	// spinning against ended Watches opens thousands.
	if during > 25 {
		t.Errorf("the grpc-go client opened %v Watch streams during the shutdown, want a few", during)
	}
}
