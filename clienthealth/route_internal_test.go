package clienthealth

import (
	"context"
	"sync/atomic"
	"testing"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"
	"dubbo.apache.org/dubbo-go/v3/protocol/result"
)

// idleInvoker is a provider that Route only looks at, never calls.
type idleInvoker struct{ url *common.URL }

func (i *idleInvoker) GetURL() *common.URL                                   { return i.url }
func (i *idleInvoker) IsAvailable() bool                                     { return true }
func (i *idleInvoker) Destroy()                                              {}
func (i *idleInvoker) Invoke(context.Context, base.Invocation) result.Result { return nil }

// TestRouteNeverEmpty: a provider's state flipping while Route runs never
// makes it return an empty list, which breaks dubbo-go's callers (a panic
// for references with direct URLs).
func TestRouteNeverEmpty(t *testing.T) {
	url, err := common.NewURL("tri://127.0.0.1:1/greet.GreetService")
	if err != nil {
		t.Fatal(err)
	}
	r := &healthRouter{url: url, service: "greet.GreetService", pool: newPool(defaultBackoff), held: &holdings{byKey: map[key]*watch{}}}
	r.noneErr = newNoProviderError(r.service)
	a, b := &idleInvoker{url}, &idleInvoker{url}
	wa, wb := &watch{}, &watch{}
	wa.state.Store(int32(serving))
	wb.state.Store(int32(notServing))
	r.snapshot.Store(&snapshot{watches: map[base.Invoker]*watch{a: wa, b: wb}})

	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			wa.state.Store(int32(serving))
			wa.state.Store(int32(notServing))
		}
	}()
	empty := 0
	for range 200000 {
		if out := r.Route([]base.Invoker{a, b}, url, nil); len(out) == 0 {
			empty++
		}
	}
	stop.Store(true)
	<-done
	if empty > 0 {
		t.Errorf("Route returned no provider %d times of 200000", empty)
	}
}

// TestRouteLongLists: lists longer than the states kept on the stack route
// the same way: the one provider that is not eligible is left out, wherever
// it is, and with none eligible the ones still unanswered are tried.
func TestRouteLongLists(t *testing.T) {
	url, err := common.NewURL("tri://127.0.0.1:1/greet.GreetService")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{3, 16, 17, 40} {
		for bad := range n {
			r := &healthRouter{url: url, service: "greet.GreetService", fallback: true, pool: newPool(defaultBackoff), held: &holdings{byKey: map[key]*watch{}}}
			invokers := make([]base.Invoker, n)
			snap := &snapshot{watches: make(map[base.Invoker]*watch, n)}
			for i := range invokers {
				invokers[i] = &idleInvoker{url}
				w := &watch{}
				w.state.Store(int32(serving))
				if i == bad {
					w.state.Store(int32(notServing))
				}
				snap.watches[invokers[i]] = w
			}
			r.snapshot.Store(snap)
			got := r.Route(invokers, url, nil)
			if len(got) != n-1 {
				t.Fatalf("%d providers, #%d NOT_SERVING: routed %d, want %d", n, bad, len(got), n-1)
			}
			for _, inv := range got {
				if inv == invokers[bad] {
					t.Fatalf("%d providers: #%d NOT_SERVING was routed to", n, bad)
				}
			}
			// None eligible; #bad is unanswered: it alone is tried.
			for i, inv := range invokers {
				st := notServing
				if i == bad {
					st = pending
				}
				snap.watches[inv].state.Store(int32(st))
			}
			if got := r.Route(invokers, url, nil); len(got) != 1 || got[0] != invokers[bad] {
				t.Fatalf("%d providers, only #%d unanswered: routed %d providers, want it alone", n, bad, len(got))
			}
		}
	}
}
