package clienthealth_test

import (
	"context"
	"net"
	"testing"
	"time"
)

import (
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"dubbo.apache.org/dubbo-go/v3/cluster/router"
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/common/extension"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"
	"dubbo.apache.org/dubbo-go/v3/protocol/invocation"
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"

	"github.com/dubbo-health/health/clienthealth"
)

const (
	serving        = healthpb.HealthCheckResponse_SERVING
	notServing     = healthpb.HealthCheckResponse_NOT_SERVING
	unknown        = healthpb.HealthCheckResponse_UNKNOWN
	serviceUnknown = healthpb.HealthCheckResponse_SERVICE_UNKNOWN
)

// TestEligibility: which providers take part in load balancing, by what
// their health says. B is always SERVING; the cases vary A.
func TestEligibility(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		health   bool // A has a health service
		status   healthpb.HealthCheckResponse_ServingStatus
		down     bool // A is stopped
		refuse   bool // A refuses Watch streams with ResourceExhausted
		eligible bool
	}{
		{name: "SERVING", health: true, status: serving, eligible: true},
		{name: "NOT_SERVING", health: true, status: notServing},
		{name: "UNKNOWN", health: true, status: unknown},
		{name: "SERVICE_UNKNOWN", health: true, status: serviceUnknown},
		{name: "no health service", health: false, eligible: true},
		{name: "down", health: true, status: serving, down: true},
		{name: "Watch refused at the provider's limit", health: true, status: notServing, refuse: true, eligible: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a, b := startProvider(t, c.health), startProvider(t, true)
			a.refuse.Store(c.refuse)
			if c.health && c.status != serviceUnknown {
				a.Set("greet.GreetService", c.status)
			}
			b.Set("greet.GreetService", serving)
			if c.down {
				a.Stop()
			}
			ia, ib := invoker(t, a.Addr, ""), invoker(t, b.Addr, "")
			all := []base.Invoker{ia, ib}
			r := newRouter(t, ia, "")
			r.Notify(all)
			want := []base.Invoker{ib}
			if c.eligible {
				want = all
			}
			waitRoute(t, r, all, want)
			if !c.health {
				// Unimplemented ends the watch and lets the
				// connection go.
				waitFor(t, 5*time.Second, "A's connection to close", func() bool { return a.conns.Load() == 0 })
			}
		})
	}
}

// TestFollowsChanges: a provider leaves load balancing when it turns
// NOT_SERVING or goes down, and comes back when it is SERVING again,
// restarted on the same address included.
func TestFollowsChanges(t *testing.T) {
	t.Parallel()
	a, b := startProvider(t, true), startProvider(t, true)
	a.Set("greet.GreetService", serving)
	b.Set("greet.GreetService", serving)
	ia, ib := invoker(t, a.Addr, ""), invoker(t, b.Addr, "")
	all := []base.Invoker{ia, ib}
	r := newRouter(t, ia, "")
	r.Notify(all)

	waitRoute(t, r, all, all)
	a.Set("greet.GreetService", notServing)
	waitRoute(t, r, all, []base.Invoker{ib})
	a.Set("greet.GreetService", serving)
	waitRoute(t, r, all, all)

	a.Stop()
	waitRoute(t, r, all, []base.Invoker{ib})
	a2 := startProviderAt(t, a.Addr, true)
	a2.Set("greet.GreetService", serving)
	waitRoute(t, r, all, all)
}

// TestWatchesServiceKey: a provider with a group or version is watched
// under its service key, group/interface:version.
func TestWatchesServiceKey(t *testing.T) {
	t.Parallel()
	a, b := startProvider(t, true), startProvider(t, true)
	a.Set("greet.GreetService", serving)
	a.Set("g1/greet.GreetService:1.0.0", notServing)
	b.Set("g1/greet.GreetService:1.0.0", serving)
	ia, ib := invoker(t, a.Addr, "group=g1&version=1.0.0"), invoker(t, b.Addr, "group=g1&version=1.0.0")
	all := []base.Invoker{ia, ib}
	r := newRouter(t, ia, "")
	r.Notify(all)
	waitRoute(t, r, all, []base.Invoker{ib})
	a.Set("g1/greet.GreetService:1.0.0", serving)
	waitRoute(t, r, all, all)
}

// TestNoneEligible: when no provider is eligible the router falls back to
// all of them, or, without fallback, fails calls with code Unavailable.
func TestNoneEligible(t *testing.T) {
	a, b := startProvider(t, true), startProvider(t, true)
	a.Set("greet.GreetService", notServing)
	b.Set("greet.GreetService", notServing)
	ia, ib := invoker(t, a.Addr, ""), invoker(t, b.Addr, "")
	all := []base.Invoker{ia, ib}

	t.Run("fallback", func(t *testing.T) {
		r := newRouter(t, ia, "")
		r.Notify(all)
		// Before the watches answer the route is all providers too;
		// a router without fallback on the same, shared, watches
		// tells when they have answered NOT_SERVING.
		other := newRouter(t, ia, clienthealth.ParamNoEligible+"=fail")
		other.Notify(all)
		waitNoProvider(t, other, all)
		if got := route(r, all); !sameSlice(got, all) {
			t.Errorf("routed to %s, want the input itself", locations(got))
		}
	})
	t.Run("parameter", func(t *testing.T) {
		r := newRouter(t, ia, clienthealth.ParamNoEligible+"=fail")
		r.Notify(all)
		waitNoProvider(t, r, all)
	})
	t.Run("environment", func(t *testing.T) {
		t.Setenv(clienthealth.EnvNoEligible, "fail")
		r := newRouter(t, ia, "")
		r.Notify(all)
		waitNoProvider(t, r, all)
		// A reference's own parameter wins.
		r2 := newRouter(t, ia, clienthealth.ParamNoEligible+"=all")
		r2.Notify(all)
		if got := route(r2, all); !sameSlice(got, all) {
			t.Errorf("with %s=all routed to %s, want the input", clienthealth.ParamNoEligible, locations(got))
		}
	})
}

// waitNoProvider waits until r routes invokers to the one invoker that fails
// calls, and checks its error.
func waitNoProvider(t *testing.T, r router.PriorityRouter, invokers []base.Invoker) {
	t.Helper()
	var got []base.Invoker
	waitFor(t, 10*time.Second, "the route to fail calls", func() bool {
		got = route(r, invokers)
		return len(got) == 1 && got[0] != invokers[0] && got[0] != invokers[1]
	}, func() string { return "routed to " + locations(got) })
	res := got[0].Invoke(context.Background(), invocation.NewRPCInvocation("Greet", nil, nil))
	err := res.Error()
	if tri.CodeOf(err) != tri.CodeUnavailable || err.Error() != "unavailable: no provider of greet.GreetService is serving" {
		t.Errorf("call error %v (code %v), want unavailable: no provider of greet.GreetService is serving", err, tri.CodeOf(err))
	}
	if !got[0].IsAvailable() || got[0].GetURL() == nil {
		t.Error("the failing invoker must be available and have a URL, for dubbo-go's clusters")
	}
}

func sameSlice(a, b []base.Invoker) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}

// TestUnknownBeforeKnownBad: providers whose watch has not answered yet are
// used, when none is eligible, before providers known not to serve.
func TestUnknownBeforeKnownBad(t *testing.T) {
	t.Parallel()
	silent := startSilent(t)
	b := startProvider(t, true)
	b.Set("greet.GreetService", notServing)
	is, ib := invoker(t, silent, ""), invoker(t, b.Addr, "")
	all := []base.Invoker{is, ib}
	for _, query := range []string{"", clienthealth.ParamNoEligible + "=fail"} {
		r := newRouter(t, is, query)
		r.Notify(all)
		// The silent provider's connection attempt lasts seconds.
		waitRoute(t, r, all, []base.Invoker{is})
	}
}

// startSilent returns the address of a listener that accepts connections
// and never answers, so that a watch on it stays without answer for the
// connection timeout.
func startSilent(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	return l.Addr().String()
}

// TestNotWatched: providers on other protocols, and providers the router
// was not told about, pass through unwatched.
func TestNotWatched(t *testing.T) {
	t.Parallel()
	silent := startSilent(t)
	b := startProvider(t, true)
	b.Set("greet.GreetService", serving)
	u, err := common.NewURL("dubbo://" + silent + "/greet.GreetService?interface=greet.GreetService")
	if err != nil {
		t.Fatal(err)
	}
	idubbo, ib := base.NewBaseInvoker(u), invoker(t, b.Addr, "")
	stranger := invoker(t, silent, "")
	r := newRouter(t, ib, "")
	r.Notify([]base.Invoker{idubbo, ib})
	// Watched, the dubbo provider would be left out as unknown once B
	// answers SERVING.
	all := []base.Invoker{idubbo, ib, stranger}
	waitFor(t, 5*time.Second, "B's watch", func() bool { return b.watches.Load() == 1 })
	waitRoute(t, r, all, all)
}

// TestRouteAllocatesNothing: with every provider eligible, Route returns its
// input and allocates nothing; otherwise it returns a new slice and leaves
// its input alone.
func TestRouteAllocatesNothing(t *testing.T) {
	a, b := startProvider(t, true), startProvider(t, true)
	a.Set("greet.GreetService", serving)
	b.Set("greet.GreetService", serving)
	ia, ib := invoker(t, a.Addr, ""), invoker(t, b.Addr, "")
	all := []base.Invoker{ia, ib}
	r := newRouter(t, ia, "")
	r.Notify(all)
	waitRoute(t, r, all, all)
	if got := route(r, all); !sameSlice(got, all) {
		t.Error("with every provider eligible Route did not return its input")
	}
	if n := testing.AllocsPerRun(1000, func() { route(r, all) }); n != 0 {
		t.Errorf("Route allocates %v times per call, want 0", n)
	}
	// A long list too: 40 providers (invokers of A and B).
	long := make([]base.Invoker, 40)
	for i := range long {
		long[i] = invoker(t, []string{a.Addr, b.Addr}[i%2], "")
	}
	r.Notify(long)
	waitRoute(t, r, long, long)
	if n := testing.AllocsPerRun(1000, func() { route(r, long) }); n != 0 {
		t.Errorf("Route of 40 providers allocates %v times per call, want 0", n)
	}
	r.Notify(all)

	a.Set("greet.GreetService", notServing)
	waitRoute(t, r, all, []base.Invoker{ib})
	got := route(r, all)
	if len(all) != 2 || all[0] != ia || all[1] != ib {
		t.Errorf("Route changed its input to %s", locations(all))
	}
	if sameSlice(got, all) || &got[0] == &all[1] {
		t.Error("Route returned a slice sharing its input's array")
	}
}

// TestRouterIdentity: the router's priority and URL.
func TestRouterIdentity(t *testing.T) {
	t.Parallel()
	ia := invoker(t, "127.0.0.1:1", "")
	r := newRouter(t, ia, "")
	if r.Priority() != clienthealth.RouterPriority {
		t.Errorf("Priority() = %d, want %d", r.Priority(), clienthealth.RouterPriority)
	}
	if r.URL().String() != ia.GetURL().String() {
		t.Errorf("URL() = %s, want %s", r.URL(), ia.GetURL())
	}
}

// TestDisabledByEnvironment: DUBBO_HEALTH_CLIENT=false leaves new chains
// without a health router.
func TestDisabledByEnvironment(t *testing.T) {
	for _, v := range []string{"false", "0", "off"} {
		t.Setenv(clienthealth.EnvClient, v)
		r, err := extension.GetRouterFactory("dubbo-health").NewPriorityRouter(invoker(t, "127.0.0.1:1", "").GetURL())
		if err != nil || r != nil {
			t.Errorf("%s=%s: NewPriorityRouter = %v, %v; want no router", clienthealth.EnvClient, v, r, err)
		}
	}
}

// TestDrainingProviderBacksOff: a provider that answers each Watch with
// NOT_SERVING and ends it, as one in its graceful shutdown does, stays out
// of load balancing and is asked again with a growing delay, not at the
// base delay over and over.
func TestDrainingProviderBacksOff(t *testing.T) {
	t.Parallel()
	a, b := startProvider(t, true), startProvider(t, true)
	a.drain.Store(true)
	b.Set("greet.GreetService", serving)
	ia, ib := invoker(t, a.Addr, ""), invoker(t, b.Addr, "")
	all := []base.Invoker{ia, ib}
	r := newRouter(t, ia, "")
	start := time.Now()
	r.Notify(all)
	waitRoute(t, r, all, []base.Invoker{ib})
	// Six Watches: the first and five retries, after at least
	// 0.8 x (100+160+256+410+655) ms with the backoff growing; at the base
	// delay they would take about 0.5s.
	waitFor(t, 20*time.Second, "six Watches of the draining provider", func() bool { return a.opened.Load() >= 6 })
	if d, least := time.Since(start), 1264*time.Millisecond; d < least {
		t.Errorf("six Watches within %v, want at least %v: the backoff did not grow", d, least)
	}
	if got := route(r, all); len(got) != 1 || got[0] != ib {
		t.Errorf("route = %v, want only B", got)
	}
}

// TestRefusedAfterNotServingStaysOut: a provider last seen NOT_SERVING
// whose next Watch is refused at its Watch limit stays out of load
// balancing: the refusal says nothing new about its health.
func TestRefusedAfterNotServingStaysOut(t *testing.T) {
	t.Parallel()
	a, b := startProvider(t, true), startProvider(t, true)
	a.drain.Store(true) // each Watch: NOT_SERVING, then the end
	b.Set("greet.GreetService", serving)
	ia, ib := invoker(t, a.Addr, ""), invoker(t, b.Addr, "")
	all := []base.Invoker{ia, ib}
	r := newRouter(t, ia, "")
	r.Notify(all)
	waitRoute(t, r, all, []base.Invoker{ib})
	// A second Watch is opened only after the first has delivered its
	// NOT_SERVING and ended: from then on A is known NOT_SERVING.
	waitFor(t, 20*time.Second, "A's second Watch", func() bool { return a.opened.Load() >= 2 })
	a.refuse.Store(true)
	// Two more Watches: the outcome of the first refused one has been
	// recorded before the second is opened.
	opened := a.opened.Load()
	waitFor(t, 20*time.Second, "two refused Watches", func() bool { return a.opened.Load() >= opened+2 })
	if got := route(r, all); len(got) != 1 || got[0] != ib {
		t.Errorf("route = %d providers, want only B", len(got))
	}
}
