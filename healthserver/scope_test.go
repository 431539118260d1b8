package healthserver_test

import (
	"context"
	"testing"
	"time"
)

import (
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"
)

import (
	"github.com/dubbo-health/health/healthserver"
	"github.com/dubbo-health/health/triple_health"
)

// TestScopes: a request with a scope is answered for that listener alone;
// one without sees everything; statuses set by name reach every scope.
func TestScopes(t *testing.T) {
	t.Parallel()
	const portA, portB = "127.0.0.1:1", "127.0.0.1:2"
	s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
	h := s.Handler()
	onA := healthserver.WithScope(context.Background(), portA)
	onB := healthserver.WithScope(context.Background(), portB)
	unA, _ := s.Export(portA, "greet.GreetService", "g1/greet.GreetService:1.0.0")
	_, _ = s.Export(portB, "other.Service", "")
	_ = s.SetServingStatus("custom", healthserver.NotServing) // set by the program: everywhere
	s.Ready(portA)
	s.Ready(portB)

	check := func(ctx context.Context, name string) string {
		t.Helper()
		resp, err := h.Check(ctx, checkReq(name))
		if err != nil {
			return tri.CodeOf(err).String()
		}
		return resp.GetStatus().String()
	}
	scopes := map[string]context.Context{"A": onA, "B": onB, "none": context.Background()}
	tests := []struct {
		scope, name, want string
	}{
		{"A", "greet.GreetService", "SERVING"},
		{"A", "g1/greet.GreetService:1.0.0", "SERVING"},
		{"B", "greet.GreetService", "not_found"},
		{"B", "g1/greet.GreetService:1.0.0", "not_found"},
		{"B", "other.Service", "SERVING"},
		{"A", "other.Service", "not_found"},
		{"A", "custom", "NOT_SERVING"},
		{"B", "custom", "NOT_SERVING"},
		{"none", "greet.GreetService", "SERVING"},
		{"none", "other.Service", "SERVING"},
		{"A", "", "SERVING"},
	}
	for _, tt := range tests {
		if got := check(scopes[tt.scope], tt.name); got != tt.want {
			t.Errorf("Check on %s of %q = %s, want %s", tt.scope, tt.name, got, tt.want)
		}
	}
	list, err := h.List(onB, &triple_health.HealthListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(list.GetStatuses()); got != 3 { // "", other.Service, custom
		t.Errorf("List on B has %d services (%v), want 3", got, list.GetStatuses())
	}
	// A set by name reaches every scope.
	wb := startWatch(t, h, "greet.GreetService", newStream("10.0.0.1:1")) // no scope: sees it
	wb.expectNext(t, healthserver.Serving)
	_ = s.SetServingStatus("greet.GreetService", healthserver.NotServing)
	wb.expectNext(t, healthserver.NotServing)
	if got := check(onA, "g1/greet.GreetService:1.0.0"); got != "NOT_SERVING" {
		t.Errorf("the key on A after a set by interface name: %s", got)
	}
	unA()
	if got := check(context.Background(), "greet.GreetService"); got != "not_found" {
		t.Errorf("after its only export went: %s", got)
	}
}

// TestScopeWatch: a scoped Watch sees a service appear when it is exported on
// its scope, not elsewhere; "" on a scope is NOT_SERVING until Ready.
func TestScopeWatch(t *testing.T) {
	t.Parallel()
	const portA, portB = "127.0.0.1:1", "127.0.0.1:2"
	s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
	h := s.Handler()
	w := startScopedWatch(t, h, portB, "greet.GreetService")
	w.expectNext(t, healthserver.ServiceUnknown)
	overall := startScopedWatch(t, h, portB, "")
	overall.expectNext(t, healthserver.NotServing) // B is not ready
	_, _ = s.Export(portA, "greet.GreetService", "")
	_, _ = s.Export(portB, "greet.GreetService", "")
	w.expectNext(t, healthserver.Serving) // the export on A alone sent nothing
	s.Ready(portB)
	overall.expectNext(t, healthserver.Serving)
}

// startScopedWatch starts a Watch as a request on scope.
func startScopedWatch(t *testing.T, h *healthserver.Handler, scope, name string) *watchCall {
	t.Helper()
	ctx, cancel := context.WithCancel(healthserver.WithScope(context.Background(), scope))
	stream := newStream("10.0.0.9:9")
	w := &watchCall{stream: stream, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.err = h.Watch(ctx, checkReq(name), stream)
	}()
	t.Cleanup(func() {
		cancel()
		stream.close()
		<-w.done
	})
	return w
}

// TestReadiness: with WithReadiness, "" is NOT_SERVING until the first
// Ready, and a checker added before start counts one transition, when it
// passes after Ready.
func TestReadiness(t *testing.T) {
	t.Parallel()
	var c changes
	s := healthserver.New(healthserver.WithReadiness(), healthserver.WithChangeHook(c.hook))
	defer s.Close()
	if st, _ := s.Status(""); st != healthserver.NotServing {
		t.Fatalf(`"" before Ready: %v`, st)
	}
	dep := newScripted()
	if err := s.AddChecker("", "dep", dep, fastCheck()...); err != nil {
		t.Fatal(err)
	}
	_, _ = s.Export("127.0.0.1:1", "greet.GreetService", "")
	s.Ready("127.0.0.1:1")
	if st, _ := s.Status(""); st != healthserver.NotServing {
		t.Fatalf(`"" after Ready with a failing checker: %v`, st)
	}
	feed(t, s, dep, "", "dep", nil)
	if st, _ := s.Status(""); st != healthserver.Serving {
		t.Fatalf(`"" after Ready and a pass: %v`, st)
	}
	if got, want := c.shown(""), "NOT_SERVING SERVING"; got != want {
		t.Errorf(`"" was shown %q, want %q`, got, want)
	}
}
