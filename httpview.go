package health

import (
	"net/http"
	"sync"
	"sync/atomic"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"

	"github.com/dubbo-health/health/healthserver"
)

// EnvHTTP is the environment variable that turns the HTTP view
// (/healthz and /readyz on every Triple port) off when set to a false value.
const EnvHTTP = "DUBBO_HEALTH_HTTP"

var httpDisabled atomic.Bool

// DisableHTTP turns off the HTTP view on Triple ports of servers started
// after the call. DUBBO_HEALTH_HTTP=false has the same effect.
func DisableHTTP() { httpDisabled.Store(true) }

func httpEnabled() bool {
	return !httpDisabled.Load() && !envOff(EnvHTTP)
}

// httpMount is the handler this module attaches to a Triple listener, where
// dubbo-go calls it for every path that is not a Triple method. It serves the
// HTTP view of the default server on /healthz and /readyz and hands every
// other path to the handler the program attached with
// server.AttachHTTPHandler, if any.
type httpMount struct {
	health http.Handler
	mu     sync.RWMutex
	user   http.Handler
}

func (m *httpMount) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m.health != nil && (r.URL.Path == healthserver.LivenessPath || r.URL.Path == healthserver.ReadinessPath) {
		m.health.ServeHTTP(w, r)
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
func (ms *mounts) mountHealth(host base.HTTPHandlerHost, url *common.URL) {
	if !httpEnabled() {
		return
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if _, ok := ms.by[url.Location]; ok {
		return
	}
	m := &httpMount{health: Default().HTTPHandler()}
	if err := host.HostHTTPHandler(url, m); err != nil {
		logger.Warnf("[Health] cannot serve %s and %s on %s: %v", healthserver.LivenessPath, healthserver.ReadinessPath, url.Location, err)
		return
	}
	ms.by[url.Location] = m
}

// mountUser attaches the program's own root handler to the listener of url,
// behind the HTTP view if that is there.
func (ms *mounts) mountUser(host base.HTTPHandlerHost, url *common.URL, handler http.Handler) error {
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
	m := &httpMount{user: handler}
	if enabled() && httpEnabled() {
		m.health = Default().HTTPHandler()
	}
	if err := host.HostHTTPHandler(url, m); err != nil {
		return err
	}
	ms.by[url.Location] = m
	return nil
}
