package e2e_test

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/dubbo-health/health/internal/testservice/greet"
)

// watchers returns the number of open Watch streams in the server.
func (s *server) watchers() int {
	s.t.Helper()
	n, err := strconv.Atoi(s.control("watchers"))
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// mem returns the server's heap in use after a GC and its goroutines.
func (s *server) mem() (heap, goroutines int) {
	s.t.Helper()
	if _, err := fmt.Sscan(s.control("mem"), &heap, &goroutines); err != nil {
		s.t.Fatal(err)
	}
	return heap, goroutines
}

// TestWatchNeverReadAndDisconnect: a client that opens a Watch and never
// reads holds up nobody, and one that disconnects mid-stream leaves nothing
// behind.
func TestWatchNeverReadAndDisconnect(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)
		lazy := dial(t, s.Addr)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for i := 0; i < 5; i++ {
			if _, err := healthpb.NewHealthClient(lazy).Watch(ctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"}); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 30*time.Second, "5 watchers", func() bool { return s.watchers() == 5 })
		start := time.Now()
		for i := 0; i < 500; i++ {
			st := "NOT_SERVING"
			if i%2 == 1 {
				st = "SERVING"
			}
			s.set("greet.GreetService", st)
		}
		t.Logf("500 status changes with 5 unread Watch streams took %v", time.Since(start))
		cli := healthpb.NewHealthClient(dial(t, s.Addr))
		if resp, err := cli.Check(ctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("another client's Check: %v %v", resp, err)
		}
		lazy.Close() // disconnect mid-stream
		waitFor(t, 30*time.Second, "the disconnected streams to be freed", func() bool { return s.watchers() == 0 })
	})
}

// TestWatchChurn opens and cancels 1,000 Watch streams in cycles: no
// goroutine and no memory is left behind.
func TestWatchChurn(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)
		conns := make([]*grpc.ClientConn, 4)
		for i := range conns {
			conns[i] = dial(t, s.Addr)
		}
		// Warm up connections and pools before the baseline.
		churn(t, s, conns, 50)
		heap0, g0 := s.mem()
		for cycle := 0; cycle < 5; cycle++ {
			churn(t, s, conns, 200)
		}
		heap1, g1 := s.mem()
		t.Logf("after 1,000 Watch streams opened and cancelled: goroutines %d -> %d, heap %d -> %d bytes", g0, g1, heap0, heap1)
		if g1 > g0+5 {
			t.Errorf("goroutines grew from %d to %d", g0, g1)
		}
		if heap1 > heap0+4<<20 {
			t.Errorf("heap grew from %d to %d bytes", heap0, heap1)
		}
	})
}

// churn opens n Watch streams over conns, waits until the server has them
// all, cancels them and waits until the server has freed them.
func churn(t *testing.T, s *server, conns []*grpc.ClientConn, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	for i := 0; i < n; i++ {
		stream, err := healthpb.NewHealthClient(conns[i%len(conns)]).Watch(ctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 30*time.Second, fmt.Sprintf("%d watchers", n), func() bool { return s.watchers() == n })
	cancel()
	waitFor(t, 30*time.Second, "watchers freed", func() bool { return s.watchers() == 0 })
}

// TestWatchFlood: one client host cannot take every Watch slot, however
// many connections it opens; when the hosts together have filled the total,
// a host that watches a known service for the first time (a consumer, a
// balancer) is still admitted; open streams keep working; refusals show in
// the metrics. Client hosts are loopback addresses 127.0.0.2 to .6.
func TestWatchFlood(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		metricsAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		s := startServer(t, bin, "-max-watchers", "30", "-max-host-watchers", "10", "-metrics-addr", metricsAddr)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var open []healthpb.Health_WatchClient
		watch := func(conn *grpc.ClientConn, service string) error {
			stream, err := healthpb.NewHealthClient(conn).Watch(ctx, &healthpb.HealthCheckRequest{Service: service})
			if err != nil {
				return err
			}
			if _, err := stream.Recv(); err != nil {
				return err
			}
			open = append(open, stream)
			return nil
		}
		refused := func(conn *grpc.ClientConn, service, want string) {
			t.Helper()
			err := watch(conn, service)
			if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), want) {
				t.Errorf("watch of %q: %v, want ResourceExhausted %q", service, err, want)
			}
		}
		// The attacker: 8 connections from 127.0.0.2, unknown names.
		var attacker []*grpc.ClientConn
		for range 8 {
			attacker = append(attacker, dialFrom(t, "127.0.0.2", s.Addr))
		}
		for i := range 10 {
			if err := watch(attacker[i%8], fmt.Sprintf("no.Such%d", i)); err != nil {
				t.Fatalf("attacker watch %d: %v", i, err)
			}
		}
		for _, conn := range attacker {
			refused(conn, "no.SuchMore", "from this client host")
		}
		// Two more hosts fill the total of 30.
		for _, host := range []string{"127.0.0.3", "127.0.0.4"} {
			conn := dialFrom(t, host, s.Addr)
			for i := range 10 {
				if err := watch(conn, fmt.Sprintf("no.Such%d", i)); err != nil {
					t.Fatalf("watch %d from %s: %v", i, host, err)
				}
			}
		}
		late := dialFrom(t, "127.0.0.5", s.Addr)
		refused(late, "no.Such", "limit 30")
		// A consumer's first Watch of a known service is admitted, its
		// second one is not.
		if err := watch(late, "greet.GreetService"); err != nil {
			t.Fatalf("first watch of a known service from a new host: %v", err)
		}
		refused(late, "greet.GreetService", "limit 30")
		if err := watch(dialFrom(t, "127.0.0.6", s.Addr), ""); err != nil {
			t.Fatalf("first watch of \"\" from a new host: %v", err)
		}

		consumer := open[len(open)-2] // the first watch of greet.GreetService from 127.0.0.5
		s.set("greet.GreetService", "NOT_SERVING")
		if resp, err := consumer.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Fatalf("the consumer's watch after the flood: %v %v", resp, err)
		}
		metrics := "http://" + metricsAddr + "/metrics"
		for limit, want := range map[string]string{"host": " 8", "total": " 2"} {
			if got := metric(t, metrics, `dubbo_health_watch_streams_refused_total{limit="`+limit+`"}`); !strings.HasSuffix(got, want) {
				t.Errorf("refusals at the %s limit: %q, want %q", limit, got, want)
			}
		}
		if !strings.Contains(s.logs.String(), "refused 1 Watch stream(s) in the last minute") {
			t.Errorf("no log line about the refusals")
		}
	})
}

// dialFrom dials addr from the loopback address local.
func dialFrom(t *testing.T, local, addr string) *grpc.ClientConn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return dial(t, addr, grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", a)
	}))
}

// TestProbeUnderBusinessSaturation: with the Greeter saturated and rejecting
// calls (dubbo-go's execute limit), health probes still answer, fast.
func TestProbeUnderBusinessSaturation(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin, "-exec-limit", "2", "-slow", "20ms")
		load := dial(t, s.Addr)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var ok, rejected atomic.Int64
		for i := 0; i < 32; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					err := load.Invoke(ctx, "/greet.GreetService/Greet", &greet.GreetRequest{Name: "x"}, &greet.GreetResponse{})
					if err == nil {
						ok.Add(1)
					} else if ctx.Err() == nil {
						rejected.Add(1)
					}
				}
			}()
		}
		waitFor(t, 30*time.Second, "the Greeter to reject calls", func() bool { return rejected.Load() > 100 })

		probe := healthpb.NewHealthClient(dial(t, s.Addr))
		var lat []time.Duration
		for i := 0; i < 300; i++ {
			start := time.Now()
			pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
			resp, err := probe.Check(pctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"})
			pcancel()
			if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Fatalf("probe %d under load: %v %v", i, resp, err)
			}
			lat = append(lat, time.Since(start))
		}
		cancel()
		wg.Wait()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
		t.Logf("300 probes while the Greeter was saturated (%d calls ok, %d rejected): p50 %v, p99 %v, max %v",
			ok.Load(), rejected.Load(), p50, p99, lat[len(lat)-1])
		if p99 > time.Second {
			t.Errorf("probe p99 %v under business load", p99)
		}
	})
}

// TestSIGTERMWith1000Watches: every one of 1,000 open Watch streams receives
// NOT_SERVING, every stream ends, and the process exits about as fast as the
// same server without Watch streams: within twice that baseline (measured in
// the test, so a busy machine slows both) plus the drain delay and a second.
// Watch streams that held the stop would take dubbo-go's shutdown timeouts
// (seconds); how fast the exit is belongs to make bench.
func TestSIGTERMWith1000Watches(t *testing.T) {
	const n = 1000
	const drain = 500 * time.Millisecond
	args := []string{"-drain", drain.String(), "-consumer-wait", "200ms"}
	forEachVariant(t, func(t *testing.T, bin string) {
		base := startServer(t, bin, args...)
		start := time.Now()
		base.signal(syscall.SIGTERM)
		base.waitExit(drain + 30*time.Second)
		baseline := time.Since(start)

		s := startServer(t, bin, args...)
		conns := make([]*grpc.ClientConn, 10)
		for i := range conns {
			conns[i] = dial(t, s.Addr)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var notServing, ended, other atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			stream, err := healthpb.NewHealthClient(conns[i%len(conns)]).Watch(ctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"})
			if err != nil {
				t.Fatal(err)
			}
			if resp, err := stream.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Fatalf("watch %d: %v %v", i, resp, err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					resp, err := stream.Recv()
					if err != nil {
						if status.Code(err) == codes.Unavailable {
							ended.Add(1)
						} else {
							other.Add(1)
						}
						return
					}
					if resp.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING {
						notServing.Add(1)
					}
				}
			}()
		}
		waitFor(t, 30*time.Second, "all watchers", func() bool { return s.watchers() == n })
		start = time.Now()
		s.signal(syscall.SIGTERM)
		s.waitExit(drain + 30*time.Second)
		exit := time.Since(start)
		wg.Wait()
		t.Logf("SIGTERM with %d open Watch streams: %d received NOT_SERVING, %d ended with Unavailable, %d other ends; exit after %v (without Watch streams: %v)",
			n, notServing.Load(), ended.Load(), other.Load(), exit, baseline)
		if notServing.Load() != n {
			t.Errorf("%d of %d watchers received NOT_SERVING", notServing.Load(), n)
		}
		if ended.Load() != n {
			t.Errorf("%d of %d streams ended with Unavailable", ended.Load(), n)
		}
		if limit := 2*baseline + drain + time.Second; exit > limit {
			t.Errorf("exit took %v, more than %v: twice the %v without Watch streams, plus the drain delay and a second", exit, limit, baseline)
		}
	})
}

// TestRegistryGoesAway: etcd dies under a running server; health keeps
// serving and statuses stay truthful.
func TestRegistryGoesAway(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		reg := startEtcd(t)
		s := startServer(t, bin, "-registry", reg.Addr)
		waitFor(t, 30*time.Second, "the Greeter in etcd", func() bool {
			kv, err := reg.keys()
			return err == nil && containsAny(kv, "greet.GreetService")
		})
		reg.stop()
		for _, want := range []struct{ set, code string }{{"", "0"}, {"NOT_SERVING", "4"}, {"SERVING", "0"}} {
			if want.set != "" {
				s.set("greet.GreetService", want.set)
			}
			out, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr, "-service", "greet.GreetService")
			if strconv.Itoa(code) != want.code {
				t.Errorf("with etcd gone, after set %q: probe exit %d %s, want %s", want.set, code, out, want.code)
			}
		}
	})
}
