package dubbogo

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"

	"github.com/dubbo-health/health/healthserver"
)

// Relies on (dubbo-go v3.3.2, protocol/base/http_host.go,
// protocol/triple/triple.go and server/http_attach.go): the Triple protocol
// implements base.HTTPHandlerHost, which server.AttachHTTPHandler uses after
// the server exported its services (server/server.go:390-401); the handler
// attached to a listener (by Location) receives every request whose path is
// not a Triple method, and a listener takes one handler only. Export URLs
// and attach URLs name a listener by the same "ip:port" Location.
//
// Which handler answers /healthz and /readyz on a listener:
//
//   - the program attached no handler: the HTTP view, /readyz behind the
//     filters of the health service exported there (see guardOf), which
//     refuse what they refuse on Check, and /healthz to everyone (it tells
//     no more than an open port, and a refused liveness probe restarts the
//     container);
//   - the program attached one: that handler, whose own authentication
//     then applies; it can serve the view behind it
//     (healthserver.Server.HTTPHandler), scoped to the listener;
//   - health is public (PublicProbes): the view, to everyone, in front of
//     the program's handler, unless that handler is an *http.ServeMux (or
//     has its Handler method) with a route of its own at the path.

var errAlreadyAttached = errors.New("an HTTP handler has already been attached")

// httpMount is the handler this module attaches to a Triple listener: the
// HTTP view of the store on /healthz and /readyz, and the handler the
// program attached with server.AttachHTTPHandler, if any, for the rest.
type httpMount struct {
	scope  string       // the listener's location
	health http.Handler // the HTTP view; nil when it is off
	access atomic.Pointer[viewAccess]

	mu        sync.RWMutex
	user      http.Handler
	announced bool // the log line about the program's handler was written
}

// viewAccess is who may read the HTTP view of one listener, known once the
// health service is exported there.
type viewAccess struct {
	public bool
	guard  *viewGuard
}

func (m *httpMount) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(healthserver.WithScope(r.Context(), m.scope))
	m.mu.RLock()
	user := m.user
	m.mu.RUnlock()
	if m.health != nil && isViewPath(r.URL.Path) {
		access := m.access.Load()
		switch {
		case user == nil && access == nil:
			writeRefusal(w, r, http.StatusServiceUnavailable, "the health service is not exported on this port yet")
			return
		case user == nil && r.URL.Path == healthserver.LivenessPath:
			// Liveness tells no more than an open port does, and a
			// liveness probe refused would have Kubernetes restart the
			// container: it runs none of the application's filters.
			m.health.ServeHTTP(w, r)
			return
		case user == nil:
			m.serveGuarded(w, r, access)
			return
		case access != nil && access.public && !programRoute(user, r):
			m.health.ServeHTTP(w, r)
			return
		}
	}
	if user != nil {
		user.ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

// serveGuarded serves the view to the requests the health service's
// filters accept.
func (m *httpMount) serveGuarded(w http.ResponseWriter, r *http.Request, access *viewAccess) {
	if !access.public {
		if err := access.guard.check(r, r.URL.Query().Get("service")); err != nil {
			code := http.StatusForbidden
			if tri.CodeOf(err) == tri.CodeUnauthenticated {
				code = http.StatusUnauthorized
			}
			writeRefusal(w, r, code, "refused by the application's filters")
			return
		}
	}
	m.health.ServeHTTP(w, r)
}

func isViewPath(p string) bool {
	return p == healthserver.LivenessPath || p == healthserver.ReadinessPath
}

// writeRefusal answers a request of the view that is not served, in the
// view's format.
func writeRefusal(w http.ResponseWriter, r *http.Request, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_ = json.NewEncoder(w).Encode(struct {
			Status string `json:"status"`
			Error  string `json:"error"`
		}{"ERROR", msg})
	}
}

// routeFinder is what *http.ServeMux tells about its routes.
type routeFinder interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// programRoute reports whether the program's handler h has a route of its
// own for r's path: a pattern whose path is r's path, or a subtree of it
// other than "/". A catch-all ("/", wildcards) is not a route of the path,
// nor is anything of a handler that cannot tell (not a ServeMux).
func programRoute(h http.Handler, r *http.Request) bool {
	rf, ok := h.(routeFinder)
	if !ok {
		return false
	}
	_, pattern := rf.Handler(r)
	if i := strings.IndexByte(pattern, ' '); i >= 0 { // "GET /healthz"
		pattern = strings.TrimLeft(pattern[i+1:], " ")
	}
	i := strings.IndexByte(pattern, '/') // "host/healthz"
	if i < 0 {
		return false
	}
	p := pattern[i:]
	switch {
	case p == "/" || strings.ContainsRune(p, '{'):
		return false
	case p == r.URL.Path || strings.TrimSuffix(p, "/") == r.URL.Path:
		return true
	}
	return strings.HasSuffix(p, "/") && strings.HasPrefix(r.URL.Path, p)
}

// announce logs, once the program's handler and the health service are
// both there, which of them answers the view's paths.
func (m *httpMount) announce() {
	access := m.access.Load()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.health == nil || m.user == nil || access == nil || m.announced {
		return
	}
	m.announced = true
	if !access.public {
		logger.Infof("[Health] %s and %s on %s are left to the HTTP handler the program attached, so that its authentication applies: serve healthserver's HTTPHandler behind it, or call health.PublicProbes() to serve them in front of it",
			healthserver.LivenessPath, healthserver.ReadinessPath, m.scope)
		return
	}
	for _, path := range []string{healthserver.LivenessPath, healthserver.ReadinessPath} {
		r, _ := http.NewRequest(http.MethodGet, "http://"+m.scope+path, nil)
		if programRoute(m.user, r) {
			logger.Infof("[Health] the program's own route for %s on %s wins over the health view's", path, m.scope)
		}
	}
}

// mounts holds the handler attached to each Triple listener, by location.
type mounts struct {
	mu sync.Mutex
	by map[string]*httpMount
}

// mountHealth attaches the HTTP view to the listener of url, once, and
// learns who may read it when url exports the health service.
func (ms *mounts) mountHealth(h base.HTTPHandlerHost, url *common.URL) {
	if !host.HTTPEnabled() {
		return
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	m, ok := ms.by[url.Location]
	if !ok {
		m = &httpMount{scope: url.Location, health: host.Store().HTTPHandler()}
		if err := h.HostHTTPHandler(url, m); err != nil {
			logger.Warnf("[Health] cannot serve %s and %s on %s: %v", healthserver.LivenessPath, healthserver.ReadinessPath, url.Location, err)
			return
		}
		ms.by[url.Location] = m
	}
	if isOurHandler(url) {
		m.access.Store(&viewAccess{public: public(), guard: guardOf(url)})
		m.announce()
	}
}

// mountUser attaches the program's own root handler to the listener of url,
// beside the HTTP view if that is there.
func (ms *mounts) mountUser(h base.HTTPHandlerHost, url *common.URL, handler http.Handler) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if m, ok := ms.by[url.Location]; ok {
		m.mu.Lock()
		if m.user != nil {
			m.mu.Unlock()
			return errAlreadyAttached
		}
		m.user = handler
		m.mu.Unlock()
		m.announce()
		return nil
	}
	m := &httpMount{scope: url.Location, user: handler}
	if host.Enabled() && host.HTTPEnabled() {
		m.health = host.Store().HTTPHandler()
	}
	if err := h.HostHTTPHandler(url, m); err != nil {
		return err
	}
	ms.by[url.Location] = m
	return nil
}
