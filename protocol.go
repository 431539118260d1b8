package health

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	"dubbo.apache.org/dubbo-go/v3/common/extension"
	"dubbo.apache.org/dubbo-go/v3/global"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"
	"dubbo.apache.org/dubbo-go/v3/protocol/triple"

	"github.com/dubbo-health/health/healthserver"
	"github.com/dubbo-health/health/triple_health"
)

// tripleProtocol wraps dubbo-go's Triple protocol to see every export,
// unexport and destroy of a Triple service, which dubbo-go does not announce
// otherwise:
//
//   - Export of a business service marks it SERVING under its interface name
//     and its service key (unless the program set a status first), and the
//     key follows the interface name; its UnExport forgets it again.
//   - Export of dubbo-go's own built-in health service is skipped, so this
//     module's handler is the only one on /grpc.health.v1.Health/.
//   - Destroy, which closes the listeners during graceful shutdown, first
//     stops the health server: NOT_SERVING everywhere and every Watch ended.
//
// Everything else is passed to the wrapped protocol.
type tripleProtocol struct {
	inner  base.Protocol
	mounts mounts

	mu      sync.Mutex
	healths map[*trackedExporter]struct{} // live exports of the health service
}

var (
	wrapperOnce sync.Once
	wrapper     *tripleProtocol
)

// installProtocol replaces the "tri" protocol extension by the wrapper.
func installProtocol() {
	extension.SetProtocol(triple.TRIPLE, func() base.Protocol {
		wrapperOnce.Do(func() {
			wrapper = &tripleProtocol{
				inner:   triple.GetProtocol(),
				mounts:  mounts{by: make(map[string]*httpMount)},
				healths: make(map[*trackedExporter]struct{}),
			}
		})
		return wrapper
	})
}

var (
	_ base.Protocol        = (*tripleProtocol)(nil)
	_ base.HTTPHandlerHost = (*tripleProtocol)(nil)
)

// Export implements base.Protocol.
func (p *tripleProtocol) Export(invoker base.Invoker) base.Exporter {
	url := invoker.GetURL()
	if !enabled() {
		return p.inner.Export(invoker)
	}
	ours := isOurHandler(url)
	if url.Interface() == triple_health.HealthName && !ours {
		// dubbo-go's built-in health service: it was put in ServiceMap just
		// before this call, and must leave it or ours cannot be exported.
		_ = common.ServiceMap.UnRegister(url.Interface(), url.Protocol, url.ServiceKey())
		logger.Infof("[Health] dubbo-go's built-in health service is replaced by dubbo-health on %s", url.Location)
		return skippedExporter{invoker: invoker}
	}
	watchSignalsFor(url)
	if ours {
		// A health request is a service name: refuse big bodies before
		// reading them (gRPC ResourceExhausted, HTTP 429).
		url.SetParam(constant.MaxServerRecvMsgSize, strconv.Itoa(MaxRequestBytes))
	}
	exporter := p.inner.Export(invoker)
	if exporter == nil {
		return nil
	}
	names := serviceNames(url)
	exports.add(names)
	if host, ok := p.inner.(base.HTTPHandlerHost); ok {
		p.mounts.mountHealth(host, url)
	}
	tracked := &trackedExporter{Exporter: exporter, names: names}
	if ours {
		// dubbo-go records every export in ServiceMap under the protocol
		// name, so a second Triple port (or a second server) could not
		// export the health service again. The health service is served from
		// its ServiceInfo and needs no entry there.
		tracked.svc, _ = url.GetAttribute(constant.RpcServiceKey)
		tracked.owner = p
		_ = common.ServiceMap.UnRegister(url.Interface(), url.Protocol, url.ServiceKey())
		p.mu.Lock()
		p.healths[tracked] = struct{}{}
		p.mu.Unlock()
	}
	return tracked
}

// Refer implements base.Protocol.
func (p *tripleProtocol) Refer(url *common.URL) base.Invoker {
	return p.inner.Refer(url)
}

// Destroy implements base.Protocol. dubbo-go calls it in graceful shutdown
// right before the Triple listeners close.
func (p *tripleProtocol) Destroy() {
	if enabled() {
		Default().Stop()
	}
	// The wrapped protocol unexports its own exporters, not ours: give each
	// export of the health service its ServiceMap entry back, so that
	// Triple's unexport finds what it removes and logs no error.
	p.mu.Lock()
	for e := range p.healths {
		e.restoreServiceMap()
		delete(p.healths, e)
	}
	p.mu.Unlock()
	p.inner.Destroy()
}

// HostHTTPHandler implements base.HTTPHandlerHost for
// server.AttachHTTPHandler: the program's handler gets every path but the
// HTTP view's.
func (p *tripleProtocol) HostHTTPHandler(url *common.URL, handler http.Handler) error {
	host, ok := p.inner.(base.HTTPHandlerHost)
	if !ok {
		return fmt.Errorf("protocol %s does not support hosting attached HTTP handlers", triple.TRIPLE)
	}
	return p.mounts.mountUser(host, url, handler)
}

// MaxRequestBytes is the largest health request the server reads, in bytes:
// room for a service name of the longest allowed length. A bigger request
// fails with ResourceExhausted (HTTP 429) before it is read.
const MaxRequestBytes = 4096

var errAlreadyAttached = errors.New("an HTTP handler has already been attached")

// isOurHandler reports whether url exports this module's health handler.
func isOurHandler(url *common.URL) bool {
	svc, _ := url.GetAttribute(constant.RpcServiceKey)
	_, ok := svc.(*healthserver.Handler)
	return ok
}

// serviceNames returns the names a service is asked for by: its interface
// name, and its service key when it has a group or version, in this order.
func serviceNames(url *common.URL) []string {
	names := []string{url.Interface()}
	if key := url.ServiceKey(); key != "" && key != names[0] {
		names = append(names, key)
	}
	return names
}

// shutdownConfig returns the graceful shutdown settings an export URL
// carries, or nil.
func shutdownConfig(url *common.URL) *global.ShutdownConfig {
	raw, _ := url.GetAttribute(constant.ShutdownConfigPrefix)
	cfg, _ := raw.(*global.ShutdownConfig)
	return cfg
}

// trackedExporter forgets its service names on UnExport.
type trackedExporter struct {
	base.Exporter
	once  sync.Once
	names []string
	svc   any             // the health handler, for an export of the health service
	owner *tripleProtocol // for an export of the health service
}

func (e *trackedExporter) UnExport() {
	e.once.Do(func() { exports.remove(e.names) })
	if e.owner != nil {
		e.owner.mu.Lock()
		delete(e.owner.healths, e)
		e.owner.mu.Unlock()
		e.restoreServiceMap()
	}
	e.Exporter.UnExport()
}

// restoreServiceMap puts back the ServiceMap entry of an export of the
// health service, which Export removed: Triple's exporter removes the entry
// when it unexports and logs an error if there is none.
func (e *trackedExporter) restoreServiceMap() {
	url := e.GetInvoker().GetURL()
	if common.ServiceMap.GetServiceByServiceKey(url.Protocol, url.ServiceKey()) == nil {
		_, _ = common.ServiceMap.Register(url.Interface(), url.Protocol, url.Group(), url.Version(), e.svc)
	}
}

// skippedExporter stands for an export that was deliberately not done.
type skippedExporter struct {
	invoker base.Invoker
}

func (e skippedExporter) GetInvoker() base.Invoker { return e.invoker }

func (e skippedExporter) UnExport() {}

// exports counts the live exports of each service name: one name can be
// exported on several Triple ports, and stays SERVING until the last goes.
var exports = &exportCounter{counts: make(map[string]int)}

type exportCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

// add counts an export of names (see serviceNames). A name exported for the
// first time turns SERVING unless the program set its status before; a
// service key follows its interface name.
func (c *exportCounter) add(names []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The key follows before it is known, so that it never shows SERVING
	// while its interface name is held NOT_SERVING.
	if len(names) == 2 {
		if err := Default().Follow(names[1], names[0]); err != nil {
			logger.Warnf("[Health] %v", err)
		}
	}
	for _, name := range names {
		c.counts[name]++
		if c.counts[name] == 1 {
			if _, err := Default().SetIfUnknown(name, Serving); err != nil {
				logger.Warnf("[Health] cannot mark %q SERVING: %v", name, err)
			}
		}
	}
}

func (c *exportCounter) remove(names []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The key goes first: removed after its interface name, it would show
	// its own SERVING for a moment.
	for i := len(names) - 1; i >= 0; i-- {
		name := names[i]
		c.counts[name]--
		if c.counts[name] > 0 {
			continue
		}
		delete(c.counts, name)
		// While shut down, keep showing NOT_SERVING until the listener is
		// gone rather than turning unknown.
		if !Default().IsShutdown() {
			Default().Remove(name)
		}
	}
}
