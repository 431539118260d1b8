package healthserver_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

import (
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"
)

import (
	"github.com/dubbo-health/health/healthserver"
)

// The request headers of each kind of watcher, as they arrive (see the
// comment in consumers.go for where they come from).
var (
	invokerHeader      = http.Header{"User-Agent": {"grpc-go-triple/0.1.0 (go1.26.8)"}, "Content-Type": {"application/grpc+proto"}}
	dubboClientHeader  = http.Header{"User-Agent": {"grpc-go-triple/0.1.0 (go1.26.8)"}, "Content-Type": {"application/grpc+proto"}, "Interface": {"grpc.health.v1.Health"}, "Timeout": {"3s"}}
	grpcGoHeader       = http.Header{"User-Agent": {"grpc-go/1.85.0"}, "Content-Type": {"application/grpc"}}
	clientHealthHeader = http.Header{"User-Agent": {"grpc-go/1.85.0"}, "Content-Type": {"application/grpc"}, "Dubbo-Health-Watcher": {"clienthealth"}}
	optedInInvoker     = http.Header{"User-Agent": {"grpc-go-triple/0.1.0 (go1.26.8)"}, "Dubbo-Health-Watcher": {"mine"}}
)

func headerStream(peer string, h http.Header) *testStream {
	s := newStream(peer)
	s.header = h
	return s
}

// TestWatchViews: dubbo-go's invoker Watch sees NOT_SERVING only once the
// server is down; every other watcher sees the true status.
func TestWatchViews(t *testing.T) {
	t.Parallel()
	const key = "g1/greet.GreetService:1.0.0"
	tests := []struct {
		name    string
		header  http.Header
		closing bool // sent the closing view
	}{
		{"dubbo-go invoker", invokerHeader, true},
		{"dubbo-go client", dubboClientHeader, false},
		{"grpc-go", grpcGoHeader, false},
		{"clienthealth", clientHealthHeader, false},
		{"invoker with the watcher header", optedInInvoker, false},
		{"no headers", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
			if _, err := s.Export("", "greet.GreetService", key); err != nil {
				t.Fatal(err)
			}
			w := startWatch(t, s.Handler(), key, headerStream("10.0.0.1:1", tt.header))
			w.expectNext(t, healthserver.Serving)
			// A blip on the interface name, which the key follows.
			set("greet.GreetService", healthserver.NotServing)(s)
			if !tt.closing {
				w.expectNext(t, healthserver.NotServing)
			}
			// UNKNOWN comes next in either view: the closing view sent
			// nothing for the blip.
			set("greet.GreetService", healthserver.Unknown)(s)
			w.expectNext(t, healthserver.Unknown)
			set("greet.GreetService", healthserver.Serving)(s)
			w.expectNext(t, healthserver.Serving)
			// Held NOT_SERVING when the shutdown comes: the closing view
			// turns NOT_SERVING only now.
			set("greet.GreetService", healthserver.NotServing)(s)
			if !tt.closing {
				w.expectNext(t, healthserver.NotServing)
			}
			s.Shutdown()
			if tt.closing {
				w.expectNext(t, healthserver.NotServing)
			}
			s.Stop()
			w.expectEnd(t, tri.CodeUnavailable)
		})
	}
}

// TestClosingViewAtShutdown: the invoker's Watch is told NOT_SERVING at a
// shutdown whatever its name, and one opened after Stop is told NOT_SERVING
// before it ends, since dubbo-go never opens it again.
func TestClosingViewAtShutdown(t *testing.T) {
	t.Parallel()
	s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
	unknown := startWatch(t, s.Handler(), "not.Known", headerStream("10.0.0.1:1", invokerHeader))
	unknown.expectNext(t, healthserver.ServiceUnknown)
	s.Shutdown()
	unknown.expectNext(t, healthserver.NotServing)

	s.Stop()
	unknown.expectEnd(t, tri.CodeUnavailable)
	late := startWatch(t, s.Handler(), "not.Known", headerStream("10.0.0.1:2", invokerHeader))
	late.expectNext(t, healthserver.NotServing)
	late.expectEnd(t, tri.CodeUnavailable)
	// Everyone else is refused before any message, so that clients back off.
	other := startWatch(t, s.Handler(), "", headerStream("10.0.0.1:3", grpcGoHeader))
	other.expectEnd(t, tri.CodeUnavailable)
	if n := other.stream.count.Load(); n != 0 {
		t.Errorf("a grpc-go Watch opened after Stop was sent %d messages", n)
	}
}

// TestRefusedWatch: a Watch the application's security refused fails with
// the refusal, except dubbo-go's invoker Watch, which is told SERVING
// whatever the name until the server is down, then NOT_SERVING.
func TestRefusedWatch(t *testing.T) {
	t.Parallel()
	denied := tri.NewError(tri.CodeUnauthenticated, errors.New("invalid or missing token"))
	s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
	_ = s.SetServingStatus("held", healthserver.NotServing)
	h := s.Handler()
	refused := func(name string, header http.Header) *watchCall {
		ctx, cancel := context.WithCancel(healthserver.WithRefusal(context.Background(), denied))
		stream := headerStream("10.0.0.1:1", header)
		w := &watchCall{stream: stream, cancel: cancel, done: make(chan struct{})}
		go func() {
			defer close(w.done)
			w.err = h.Watch(ctx, checkReq(name), stream)
		}()
		t.Cleanup(func() { cancel(); stream.close(); <-w.done })
		return w
	}
	for _, header := range []http.Header{grpcGoHeader, dubboClientHeader, clientHealthHeader} {
		w := refused("held", header)
		w.expectEnd(t, tri.CodeUnauthenticated)
	}
	if _, err := h.Check(healthserver.WithRefusal(context.Background(), denied), checkReq("")); tri.CodeOf(err) != tri.CodeUnauthenticated {
		t.Errorf("a refused Check: %v", err)
	}
	unknown := refused("no.Such", invokerHeader)
	unknown.expectNext(t, healthserver.Serving) // tells nothing of the name
	held := refused("held", invokerHeader)
	held.expectNext(t, healthserver.Serving)
	s.Shutdown()
	unknown.expectNext(t, healthserver.NotServing)
	held.expectNext(t, healthserver.NotServing)
}
