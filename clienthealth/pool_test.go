package clienthealth_test

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common/extension"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"

	"github.com/dubbo-health/health/clienthealth"
)

// TestSharedWatches: routers share one Watch per provider and service name,
// and one connection per provider; a provider that leaves every router is
// no longer watched or connected.
func TestSharedWatches(t *testing.T) {
	t.Parallel()
	a, b := startProvider(t, true), startProvider(t, true)
	ia, ib := invoker(t, a.Addr, ""), invoker(t, b.Addr, "")
	iav := invoker(t, a.Addr, "version=2.0.0")
	r1, r2, r3 := newRouter(t, ia, ""), newRouter(t, ia, ""), newRouter(t, iav, "")
	r1.Notify([]base.Invoker{ia, ib})
	r2.Notify([]base.Invoker{ia, ib})
	r3.Notify([]base.Invoker{iav})
	counts := func(p *provider, watches, conns int32) func() bool {
		return func() bool { return p.watches.Load() == watches && p.conns.Load() == conns }
	}
	waitFor(t, 5*time.Second, "two watches and one connection on A", counts(a, 2, 1))
	waitFor(t, 5*time.Second, "one watch and one connection on B", counts(b, 1, 1))

	// B leaves r1, still in r2.
	r1.Notify([]base.Invoker{ia})
	// A leaves r1 and r2; r3 still watches A's versioned name.
	r1.Notify(nil)
	r2.Notify([]base.Invoker{ib})
	waitFor(t, 5*time.Second, "one watch left on A", counts(a, 1, 1))
	if !counts(b, 1, 1)() {
		t.Errorf("B: %d watches, %d connections; want 1, 1", b.watches.Load(), b.conns.Load())
	}
	r2.Notify(nil)
	r3.Notify(nil)
	waitFor(t, 5*time.Second, "no watch nor connection on A", counts(a, 0, 0))
	waitFor(t, 5*time.Second, "no watch nor connection on B", counts(b, 0, 0))
}

// TestCollectedRouterReleases: a router that is garbage collected releases
// its watches, since dubbo-go does not tell routers their chain is gone.
func TestCollectedRouterReleases(t *testing.T) {
	t.Parallel()
	a := startProvider(t, true)
	ia := invoker(t, a.Addr, "")
	r, err := extension.GetRouterFactory("dubbo-health").NewPriorityRouter(ia.GetURL())
	if err != nil {
		t.Fatal(err)
	}
	r.Notify([]base.Invoker{ia})
	waitFor(t, 5*time.Second, "the watch", func() bool { return a.watches.Load() == 1 })
	// The router must stay reachable until its watch was seen: a GC that
	// collected it earlier would release the watch before it was counted.
	// After this line the router is garbage.
	runtime.KeepAlive(r)
	waitFor(t, 10*time.Second, "the collected router to release its watch", func() bool {
		runtime.GC()
		return a.watches.Load() == 0 && a.conns.Load() == 0
	})
}

// TestConcurrentRouteAndNotify: Route runs while Notify changes the
// providers, as in a router chain (run with -race).
func TestConcurrentRouteAndNotify(t *testing.T) {
	t.Parallel()
	a, b := startProvider(t, true), startProvider(t, true)
	a.Set("greet.GreetService", notServing)
	ia, ib := invoker(t, a.Addr, ""), invoker(t, b.Addr, "")
	lists := [][]base.Invoker{{ia, ib}, {ib}, {ia}, nil}
	r := newRouter(t, ia, "")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				in := lists[i%len(lists)]
				for _, inv := range route(r, in) {
					if inv.GetURL() == nil {
						t.Error("routed to an invoker without URL")
						return
					}
				}
			}
		}()
	}
	for i := range 200 {
		r.Notify(lists[i%len(lists)])
	}
	close(stop)
	wg.Wait()
	r.Notify(nil)
	waitFor(t, 5*time.Second, "every watch released", func() bool {
		return a.watches.Load() == 0 && b.watches.Load() == 0 && a.conns.Load() == 0 && b.conns.Load() == 0
	})
}

// TestDisable runs in a child process, because Disable and Close stop the
// process's watches for good.
func TestDisable(t *testing.T) {
	if os.Getenv("CLIENTHEALTH_TEST_CHILD") == "disable" {
		disableChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDisable$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "CLIENTHEALTH_TEST_CHILD=disable")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestDisable") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func disableChild(t *testing.T) {
	a, b := startProvider(t, true), startProvider(t, true)
	a.Set("greet.GreetService", notServing)
	b.Set("greet.GreetService", serving)
	ia, ib := invoker(t, a.Addr, ""), invoker(t, b.Addr, "")
	all := []base.Invoker{ia, ib}
	r := newRouter(t, ia, "")
	r.Notify(all)
	waitRoute(t, r, all, []base.Invoker{ib})

	clienthealth.Disable()
	if got := route(r, all); !sameSlice(got, all) {
		t.Errorf("after Disable routed to %s, want every provider", locations(got))
	}
	waitFor(t, 5*time.Second, "every watch and connection to close", func() bool {
		return a.watches.Load() == 0 && b.watches.Load() == 0 && a.conns.Load() == 0 && b.conns.Load() == 0
	})
	r.Notify(all) // starts nothing
	if got := route(r, all); !sameSlice(got, all) {
		t.Errorf("after Disable and Notify routed to %s, want every provider", locations(got))
	}
	if r, err := extension.GetRouterFactory("dubbo-health").NewPriorityRouter(ia.GetURL()); r != nil || err != nil {
		t.Errorf("after Disable NewPriorityRouter = %v, %v; want no router", r, err)
	}
	clienthealth.Disable() // again: a no-op
	if a.conns.Load() != 0 || b.conns.Load() != 0 {
		t.Error("Notify after Disable connected to a provider")
	}
}
