package clienthealth_test

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"dubbo.apache.org/dubbo-go/v3/cluster/router"
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/common/extension"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"
)

// provider is a real grpc-go server on 127.0.0.1 standing in for a dubbo-go
// provider's Triple port, with grpc-go's health service or none. It counts
// the Watch streams and connections it has open.
type provider struct {
	Addr    string
	Health  *health.Server // nil without a health service
	srv     *grpc.Server
	watches atomic.Int32
	conns   atomic.Int32
	refuse  atomic.Bool // Watch fails with ResourceExhausted, as at a server's limit
	drain   atomic.Bool // Watch sends NOT_SERVING and ends, as a stopping server does
	opened  atomic.Int32
	stopped chan struct{}
}

// startProvider starts a provider on a free port; withHealth adds the health
// service, with "" SERVING and nothing else set.
func startProvider(t *testing.T, withHealth bool) *provider {
	t.Helper()
	return startProviderAt(t, "127.0.0.1:0", withHealth)
}

// startProviderAt starts a provider on addr.
func startProviderAt(t *testing.T, addr string, withHealth bool) *provider {
	t.Helper()
	var l net.Listener
	var err error
	// A port just freed may take a moment to bind again.
	waitFor(t, 5*time.Second, "listen on "+addr, func() bool {
		l, err = net.Listen("tcp", addr)
		return err == nil
	})
	p := &provider{Addr: l.Addr().String(), srv: grpc.NewServer(), stopped: make(chan struct{})}
	if withHealth {
		p.Health = health.NewServer()
		healthpb.RegisterHealthServer(p.srv, &countingHealth{Server: p.Health, watches: &p.watches, refuse: &p.refuse, drain: &p.drain, opened: &p.opened})
	}
	go func() {
		_ = p.srv.Serve(&countingListener{Listener: l, conns: &p.conns})
		close(p.stopped)
	}()
	t.Cleanup(p.Stop)
	return p
}

// Stop stops the provider at once, closing its listener and connections.
func (p *provider) Stop() {
	p.srv.Stop()
	<-p.stopped
}

// Set sets the status of service.
func (p *provider) Set(service string, st healthpb.HealthCheckResponse_ServingStatus) {
	p.Health.SetServingStatus(service, st)
}

// countingHealth is grpc-go's health service, counting open Watch streams.
type countingHealth struct {
	*health.Server
	watches *atomic.Int32
	refuse  *atomic.Bool
	drain   *atomic.Bool
	opened  *atomic.Int32
}

func (h *countingHealth) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	h.opened.Add(1)
	if h.refuse.Load() {
		return status.Error(codes.ResourceExhausted, "too many health watchers")
	}
	if h.drain.Load() {
		if err := stream.Send(&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_NOT_SERVING}); err != nil {
			return err
		}
		return status.Error(codes.Unavailable, "health service is shutting down")
	}
	h.watches.Add(1)
	defer h.watches.Add(-1)
	return h.Server.Watch(req, stream)
}

// countingListener counts the connections it accepted that are still open.
type countingListener struct {
	net.Listener
	conns *atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.conns.Add(1)
	return &countedConn{Conn: c, conns: l.conns}, nil
}

type countedConn struct {
	net.Conn
	conns *atomic.Int32
	once  sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.conns.Add(-1) })
	return c.Conn.Close()
}

// invoker returns a Triple provider of greet.GreetService at addr, as
// dubbo-go's directories hand them to routers; query adds URL parameters
// (group, version).
func invoker(t *testing.T, addr, query string) base.Invoker {
	t.Helper()
	u, err := common.NewURL("tri://" + addr + "/greet.GreetService?interface=greet.GreetService&" + query)
	if err != nil {
		t.Fatal(err)
	}
	return base.NewBaseInvoker(u)
}

// newRouter makes a health router through dubbo-go's extension registry, as
// a router chain does, for a chain whose URL is the first provider's plus
// query. The router's watches are released when the test ends.
func newRouter(t *testing.T, first base.Invoker, query string) router.PriorityRouter {
	t.Helper()
	u := first.GetURL().Clone()
	if query != "" {
		params, err := common.NewURL("tri://x/?" + query)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range params.GetParams() {
			u.SetParam(k, v[0])
		}
	}
	r, err := extension.GetRouterFactory("dubbo-health").NewPriorityRouter(u)
	if err != nil || r == nil {
		t.Fatalf("NewPriorityRouter = %v, %v", r, err)
	}
	t.Cleanup(func() { r.Notify(nil) })
	return r
}

// route routes invokers with r.
func route(r router.PriorityRouter, invokers []base.Invoker) []base.Invoker {
	return r.Route(invokers, r.URL(), nil)
}

// waitRoute waits until r routes invokers to exactly want, in order. When
// want is every provider, it waits until they are all eligible: Route then
// returns its input itself.
func waitRoute(t *testing.T, r router.PriorityRouter, invokers, want []base.Invoker) {
	t.Helper()
	var got []base.Invoker
	all := len(want) == len(invokers)
	waitFor(t, 10*time.Second, "the route", func() bool {
		got = route(r, invokers)
		if len(got) != len(want) || all && &got[0] != &invokers[0] {
			return false
		}
		for i := range got {
			if got[i] != want[i] {
				return false
			}
		}
		return true
	}, func() string { return "routed to " + locations(got) + ", want " + locations(want) })
}

func locations(invokers []base.Invoker) string {
	s := "["
	for i, inv := range invokers {
		if i > 0 {
			s += " "
		}
		s += inv.GetURL().Location
	}
	return s + "]"
}

// waitFor polls cond until it holds, failing after timeout with what and,
// if given, detail().
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool, detail ...func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			msg := ""
			for _, d := range detail {
				msg += ": " + d()
			}
			t.Fatalf("timed out after %v waiting for %s%s", timeout, what, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
