package dubbogo

import (
	"errors"
	"net/http"
	"sync"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"

	"github.com/dubbo-health/health/healthserver"
)

// Relies on (dubbo-go v3.3.2, protocol/base/base_protocol.go and
// protocol/triple/triple.go): the Triple protocol implements
// base.HTTPHandlerHost, which server.AttachHTTPHandler uses; the handler
// attached to a listener (by Location) receives every request whose path is
// not a Triple method, and a listener takes one handler only.

var errAlreadyAttached = errors.New("an HTTP handler has already been attached")

// httpMount is the handler this module attaches to a Triple listener. It
// serves the HTTP view of the store on /healthz and /readyz and hands every
// other path to the handler the program attached with
// server.AttachHTTPHandler, if any.
type httpMount struct {
	scope  string // the listener's location
	health http.Handler
	mu     sync.RWMutex
	user   http.Handler
}

func (m *httpMount) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m.health != nil && (r.URL.Path == healthserver.LivenessPath || r.URL.Path == healthserver.ReadinessPath) {
		m.health.ServeHTTP(w, r.WithContext(healthserver.WithScope(r.Context(), m.scope)))
		return
	}
	m.mu.RLock()
	user := m.user
	m.mu.RUnlock()
	if user != nil {
		user.ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

// mounts holds the handler attached to each Triple listener, by location.
type mounts struct {
	mu sync.Mutex
	by map[string]*httpMount
}

// mountHealth attaches the HTTP view to the listener of url, once.
func (ms *mounts) mountHealth(h base.HTTPHandlerHost, url *common.URL) {
	if !host.HTTPEnabled() {
		return
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if _, ok := ms.by[url.Location]; ok {
		return
	}
	m := &httpMount{scope: url.Location, health: host.Store().HTTPHandler()}
	if err := h.HostHTTPHandler(url, m); err != nil {
		logger.Warnf("[Health] cannot serve %s and %s on %s: %v", healthserver.LivenessPath, healthserver.ReadinessPath, url.Location, err)
		return
	}
	ms.by[url.Location] = m
}

// mountUser attaches the program's own root handler to the listener of url,
// behind the HTTP view if that is there.
func (ms *mounts) mountUser(h base.HTTPHandlerHost, url *common.URL, handler http.Handler) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if m, ok := ms.by[url.Location]; ok {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.user != nil {
			return errAlreadyAttached
		}
		m.user = handler
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
