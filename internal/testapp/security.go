package testapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common/extension"
	"dubbo.apache.org/dubbo-go/v3/filter"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"
	"dubbo.apache.org/dubbo-go/v3/protocol/result"

	health "github.com/dubbo-health/health"
)

// AuthFilter is the name of the test server's own provider filter: it lets
// through only requests with the header (attachment) AuthHeader set to
// AuthValue, and refuses the others with an untyped error, as filters
// written for dubbo-go usually do.
const (
	AuthFilter = "e2e-auth"
	AuthHeader = "x-e2e-auth"
	AuthValue  = "ok"
)

func init() {
	extension.SetFilter(AuthFilter, func() filter.Filter { return authFilter{} })
}

type authFilter struct{}

func (authFilter) Invoke(ctx context.Context, invoker base.Invoker, inv base.Invocation) result.Result {
	if v, ok := inv.Attachments()[AuthHeader].([]string); ok && len(v) == 1 && v[0] == AuthValue {
		return invoker.Invoke(ctx, inv)
	}
	return &result.RPCResult{Err: errors.New("e2e-auth: no credentials")}
}

func (authFilter) OnResponse(_ context.Context, res result.Result, _ base.Invoker, _ base.Invocation) result.Result {
	return res
}

// attachedHandler is the HTTP handler the test server attaches to its
// Triple port with -attach:
//
//	app       a ServeMux with /app only
//	routes    /app, and routes of its own at /healthz and /readyz
//	guarded   /app, and the health HTTP view at /healthz and /readyz behind
//	          its own authentication (header AuthHeader: AuthValue), as the
//	          README shows
func attachedHandler(kind string) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/app", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "app") })
	switch kind {
	case "app":
	case "routes":
		for _, path := range []string{"/healthz", "/readyz"} {
			mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "program "+path) })
		}
	case "guarded":
		view := requireAuth(health.Default().HTTPHandler())
		mux.Handle("/healthz", view)
		mux.Handle("/readyz", view)
	default:
		return nil, fmt.Errorf("-attach %q: want app, routes or guarded", kind)
	}
	return mux, nil
}

// requireAuth stands for the program's own authentication.
func requireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(AuthHeader) != AuthValue {
			http.Error(w, "program: unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
