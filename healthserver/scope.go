package healthserver

import (
	"context"
)

// A scope is one listener of a server, named by the framework (the
// autoregistration uses dubbo-go's "ip:port" location). Exports are
// recorded with their scope, and a request that carries a scope (WithScope)
// is answered for that listener alone: a service exported on another
// listener only is unknown there, and "" shows NOT_SERVING until the
// listener is ready (Ready). A request without a scope sees everything, as
// with a store that serves one listener.

type scopeKey struct{}

// WithScope returns a copy of ctx that makes the Handler and the HTTP view
// answer a request for the listener scope. A framework adapter sets it on
// each request; programs that serve one listener never need it.
func WithScope(ctx context.Context, scope string) context.Context {
	return context.WithValue(ctx, scopeKey{}, scope)
}

// scopeOf returns the scope of a request, "" if it has none.
func scopeOf(ctx context.Context) string {
	s, _ := ctx.Value(scopeKey{}).(string)
	return s
}

// scopeSet is an immutable set of scopes, replaced as a whole when it
// changes.
type scopeSet map[string]struct{}

func (ss scopeSet) has(scope string) bool {
	_, ok := ss[scope]
	return ok
}

// with returns a copy of ss with scope added.
func (ss scopeSet) with(scope string) scopeSet {
	out := make(scopeSet, len(ss)+1)
	for k := range ss {
		out[k] = struct{}{}
	}
	out[scope] = struct{}{}
	return out
}

// countsToSet returns the scopes with a positive count, nil if none.
func countsToSet(counts map[string]int) scopeSet {
	var out scopeSet
	for scope, n := range counts {
		if n > 0 {
			if out == nil {
				out = make(scopeSet, len(counts))
			}
			out[scope] = struct{}{}
		}
	}
	return out
}

// Ready records that every service of the listener scope has been exported:
// from now on "" on that listener shows the whole server's status. Before,
// a request for that scope reads "" as NOT_SERVING, so that no probe sees
// SERVING while the listener's services are still being exported.
func (s *Server) Ready(scope string) {
	s.mu.Lock()
	defer s.unlock()
	old := *s.ready.Load()
	if old.has(scope) {
		return
	}
	next := old.with(scope)
	s.ready.Store(&next)
	if e, ok := s.entries[""]; ok {
		e.touch() // wake the Watches of "", which read readiness
	}
	s.refreshLocked("")
}

// readyOn reports whether scope is ready; a request without a scope always
// is.
func (s *Server) readyOn(scope string) bool {
	return scope == "" || (*s.ready.Load()).has(scope)
}

// visibleOn reports whether a known entry is served on scope: a name that
// was never exported (set by the program) is served everywhere.
func (st *state) visibleOn(scope string) bool {
	return scope == "" || st.scopes == nil || st.scopes.has(scope)
}

// statusOn returns the status e shows to a request for scope, given its
// published state: SERVICE_UNKNOWN where it is not served, and NOT_SERVING
// for "" on a listener that is not ready.
func (s *Server) statusOn(e *entry, st *state, scope string) Status {
	switch {
	case !st.visibleOn(scope):
		return serviceUnknown
	case e.name == "" && st.status == Serving && !s.readyOn(scope):
		return NotServing
	}
	return st.status
}

// statusFor returns the status a request for scope reads for service, and
// false if the service is unknown there.
func (s *Server) statusFor(service, scope string) (Status, bool) {
	e, ok := s.known.load(service)
	if !ok {
		return serviceUnknown, false
	}
	st := s.statusOn(e, e.state.Load(), scope)
	return st, st != serviceUnknown
}
