package healthserver

import (
	"context"
	"net/http"
	"strings"
)

// Relies on (dubbo-go v3.3.2, protocol/triple/triple_invoker.go
// startHealthWatch and handleHealthStatus, graceful_shutdown/
// closing_registry.go, registry/directory/directory.go
// RemoveClosingInstance): every Triple invoker of a dubbo-go v3.3.2
// consumer opens one Watch of its provider's service key when it is made,
// and takes the first NOT_SERVING as "this provider is closing": its
// registry directory drops the invoker and refuses the provider's instance
// for 30 s, and with etcd it never comes back unless it registers again.
// Anything else (SERVING, UNKNOWN, SERVICE_UNKNOWN, the end of the stream,
// any error) it ignores, and it never opens the Watch again. That Watch is
// sent by Triple's own client with the user agent "grpc-go-triple/..." and
// without the "interface" header that every call through a dubbo-go client
// carries. Consumers of dubbo-go v3.3.0 and v3.3.1 open no such Watch.
// Test: TestInvokerWatch (a real dubbo-go TripleInvoker against the handler).

// WatcherHeader is the request header by which a Watch asks for the true
// status whatever its client; package clienthealth sends it. Its value is
// free-form (the watcher's name, for logs). See Handler.Watch for why some
// Watch streams are not sent the true status otherwise.
const WatcherHeader = "dubbo-health-watcher"

// view is what one Watch stream is sent.
type view uint8

const (
	// trueView: the status as derived, to every client that can live with
	// a NOT_SERVING that comes and goes (grpc-go and its load balancers,
	// probes, clienthealth, programs).
	trueView view = iota
	// closingView: NOT_SERVING only once the server is down, to dubbo-go's
	// own invoker Watch, which reads any NOT_SERVING as "closing".
	closingView
	// lifecycleView: SERVING until the server is down, then NOT_SERVING,
	// whatever the name: the closing view of a request that the
	// application's security refused (see WithRefusal). It tells no more
	// than an open connection does.
	lifecycleView
)

// viewOf chooses the view of a Watch from its request headers.
func viewOf(h http.Header) view {
	if h == nil || h.Get(WatcherHeader) != "" {
		return trueView
	}
	if strings.HasPrefix(h.Get("User-Agent"), "grpc-go-triple/") && h.Get("interface") == "" {
		return closingView
	}
	return trueView
}

// show returns the status a stream of this view is sent for status, in the
// lifecycle life.
func (v view) show(status Status, life lifecycle) Status {
	switch {
	case v == trueView:
		return status
	case life.down():
		return NotServing // whatever the name: the whole process is closing
	case v == lifecycleView, status == NotServing:
		return Serving
	}
	return status
}

type refusalKey struct{}

// WithRefusal returns a copy of ctx for a request that the application's
// security filters refused with err, for a framework adapter that lets the
// request reach the handler anyway: Check and List fail with err, and so
// does Watch, except for dubbo-go's invoker Watch, which is told only
// whether the server is closing (see Handler.Watch).
func WithRefusal(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, refusalKey{}, err)
}

// refusalOf returns the refusal of a request, nil if it has none.
func refusalOf(ctx context.Context) error {
	err, _ := ctx.Value(refusalKey{}).(error)
	return err
}
