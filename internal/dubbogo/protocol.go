package dubbogo

import (
	"context"
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
	"dubbo.apache.org/dubbo-go/v3/protocol/base"
	"dubbo.apache.org/dubbo-go/v3/protocol/result"
	"dubbo.apache.org/dubbo-go/v3/protocol/triple"

	"github.com/dubbo-health/health/healthserver"
	"github.com/dubbo-health/health/triple_health"
)

// Relies on (dubbo-go v3.3.2, common/extension/protocol.go and
// protocol/triple/triple.go): extension.SetProtocol("tri", ...) replaces the
// Triple protocol for every later export and refer; triple.GetProtocol
// returns the real one. The server exports each service through
// Protocol.Export, the unexport of an exporter goes through its UnExport,
// and graceful shutdown calls Protocol.Destroy right before the Triple
// listeners close. The export URL carries the service's handler as the
// attribute constant.RpcServiceKey, its listener as Location, and the
// receive size limit as the parameter constant.MaxServerRecvMsgSize.
// (triple_protocol/server.go, handler.go) A second export of a service on a
// listener with another group or version (URL parameters) is served beside
// the first, and a call goes to the export whose group and version equal
// its tri-service-group and tri-service-version headers, "" when absent.

// tripleProtocol wraps dubbo-go's Triple protocol to see every export,
// unexport and destroy of a Triple service, which dubbo-go does not announce
// otherwise:
//
//   - Export of a business service records it in the store (SERVING unless
//     the program set a status first); its UnExport undoes that.
//   - Export of dubbo-go's own built-in health service is skipped, so this
//     module's handler is the only one on /grpc.health.v1.Health/.
//   - Export of this module's health service is answered for its listener,
//     also under the server-wide group and version if the server has them,
//     and makes "" true on that listener.
//   - Export of a health handler of the program's own store is skipped
//     while autoregistration is on (the default store serves); when it is
//     off, the program's store takes the built-in's place on that listener.
//   - Destroy, which closes the listeners during graceful shutdown, first
//     stops the store: NOT_SERVING everywhere and every Watch ended.
//
// Everything else is passed to the wrapped protocol.
type tripleProtocol struct {
	inner  base.Protocol
	mounts mounts

	mu      sync.Mutex
	healths map[*trackedExporter]struct{} // live exports of a health handler of this module's type
	owns    map[string]int                // listeners where the program's own store serves health
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
				owns:    make(map[string]int),
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
	enabled := host.Enabled()
	if url.Interface() == triple_health.HealthName {
		switch handler := healthHandlerOf(url); {
		case handler == nil && (enabled || p.programServes(url.Location)):
			forgetSkipped(url)
			logger.Infof("[Health] dubbo-go's built-in health service is replaced by %s on %s", replacement(enabled), url.Location)
			return skippedExporter{invoker: invoker}
		case handler != nil && !isOurs(handler) && enabled:
			forgetSkipped(url)
			logger.Warnf("[Health] the program's own health handler is not served on %s: dubbo-health's default store serves grpc.health.v1.Health while autoregistration is on (call health.Disable() first to serve a store of your own)", url.Location)
			return skippedExporter{invoker: invoker}
		case handler != nil && !isOurs(handler):
			return p.exportProgramHealth(invoker)
		}
	}
	if !enabled {
		return p.inner.Export(invoker)
	}
	ours := isOurHandler(url)
	watchSignalsFor(url)
	if ours {
		// A health request is a service name: refuse big bodies (gRPC
		// ResourceExhausted, HTTP 429).
		url.SetParam(constant.MaxServerRecvMsgSize, strconv.Itoa(MaxRequestBytes))
		// Each request is answered for the listener it came on.
		invoker = scopedInvoker{Invoker: invoker, scope: url.Location}
	}
	exporter := p.inner.Export(invoker)
	if exporter == nil {
		return nil
	}
	tracked := &trackedExporter{Exporter: exporter}
	if ours {
		p.trackHealth(tracked, url)
		tracked.also = p.exportUnderServerKey(invoker, url)
		// The health service is a service of the listener too: SERVING
		// while it is served, as the README's status names say.
		unexport, err := host.Store().Export(url.Location, url.Interface(), "")
		if err != nil {
			logger.Warnf("[Health] cannot mark %q SERVING: %v", url.Interface(), err)
		}
		tracked.unexport = unexport
		// The health service is exported after every business service of
		// its server: "" is true on this listener from now on.
		host.Store().Ready(url.Location)
	} else {
		unexport, err := host.Store().Export(url.Location, url.Interface(), url.ServiceKey())
		if err != nil {
			logger.Warnf("[Health] cannot mark %q SERVING: %v", url.ServiceKey(), err)
		}
		tracked.unexport = unexport
	}
	if h, ok := p.inner.(base.HTTPHandlerHost); ok {
		p.mounts.mountHealth(h, url)
	}
	return tracked
}

// replacement names what serves health instead of dubbo-go's built-in.
func replacement(enabled bool) string {
	if enabled {
		return "dubbo-health"
	}
	return "the program's own health store"
}

// trackHealth takes the ServiceMap entry of an export of a health handler
// (see servicemap.go) and remembers the export for Destroy.
func (p *tripleProtocol) trackHealth(tracked *trackedExporter, url *common.URL) {
	tracked.health = releaseHealthEntry(url)
	tracked.owner = p
	p.mu.Lock()
	p.healths[tracked] = struct{}{}
	p.mu.Unlock()
}

// exportUnderServerKey exports the health service a second time under the
// server-wide group and version that beforeExport took off it, if any:
// dubbo-go's Triple clients send a client-wide group and version with every
// call, the health stub's included, and dubbo-go's Triple server answers a
// call only from an export of exactly that group and version. It returns
// nil when there is nothing to export.
func (p *tripleProtocol) exportUnderServerKey(invoker base.Invoker, url *common.URL) *trackedExporter {
	group, version := url.GetParam(paramServerGroup, ""), url.GetParam(paramServerVersion, "")
	if group == "" && version == "" {
		return nil
	}
	keyed := url.Clone()
	keyed.SetParam(constant.GroupKey, group)
	keyed.SetParam(constant.VersionKey, version)
	exporter := p.inner.Export(urlInvoker{Invoker: invoker, url: keyed})
	if exporter == nil {
		logger.Warnf("[Health] cannot also serve health under the server's group %q and version %q on %s", group, version, url.Location)
		return nil
	}
	tracked := &trackedExporter{Exporter: exporter}
	p.trackHealth(tracked, keyed)
	return tracked
}

// exportProgramHealth exports a health handler of the program's own store,
// registered by the program while autoregistration is off. The handler
// takes the place of dubbo-go's built-in health service on its listener, as
// ours does: it gives up its ServiceMap entry, so that the built-in's
// registration does not fail with "service already defined", and the
// built-in's export on the same listener is skipped.
func (p *tripleProtocol) exportProgramHealth(invoker base.Invoker) base.Exporter {
	url := invoker.GetURL()
	exporter := p.inner.Export(invoker)
	if exporter == nil {
		return nil
	}
	tracked := &trackedExporter{Exporter: exporter, location: url.Location}
	p.trackHealth(tracked, url)
	p.mu.Lock()
	p.owns[url.Location]++
	p.mu.Unlock()
	return tracked
}

// programServes reports whether the program's own health store serves the
// listener at location.
func (p *tripleProtocol) programServes(location string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.owns[location] > 0
}

// Refer implements base.Protocol.
func (p *tripleProtocol) Refer(url *common.URL) base.Invoker {
	return p.inner.Refer(url)
}

// Destroy implements base.Protocol. dubbo-go calls it in graceful shutdown
// right before the Triple listeners close.
func (p *tripleProtocol) Destroy() {
	if host.Enabled() {
		host.Store().Stop()
	}
	// The wrapped protocol unexports its own exporters, not ours: give each
	// export of the health service its ServiceMap entry back first.
	p.mu.Lock()
	for e := range p.healths {
		e.health.restore()
		delete(p.healths, e)
	}
	p.mu.Unlock()
	p.inner.Destroy()
}

// HostHTTPHandler implements base.HTTPHandlerHost for
// server.AttachHTTPHandler: the program's handler gets every path but the
// HTTP view's.
func (p *tripleProtocol) HostHTTPHandler(url *common.URL, handler http.Handler) error {
	h, ok := p.inner.(base.HTTPHandlerHost)
	if !ok {
		return fmt.Errorf("protocol %s does not support hosting attached HTTP handlers", triple.TRIPLE)
	}
	return p.mounts.mountUser(h, url, handler)
}

// isOurHandler reports whether url exports the default store's health
// handler.
func isOurHandler(url *common.URL) bool {
	return isOurs(healthHandlerOf(url))
}

// healthHandlerOf returns the health handler of this module that url
// exports, nil if it exports something else.
func healthHandlerOf(url *common.URL) *healthserver.Handler {
	svc, _ := url.GetAttribute(constant.RpcServiceKey)
	h, _ := svc.(*healthserver.Handler)
	return h
}

// scopedInvoker tells the health handler which listener a request came on.
// (dubbo-go v3.3.2's Triple server calls the exported invoker with the
// request's context, which reaches the handler through the filter chain.)
type scopedInvoker struct {
	base.Invoker
	scope string
}

func (i scopedInvoker) Invoke(ctx context.Context, inv base.Invocation) result.Result {
	return i.Invoker.Invoke(healthserver.WithScope(ctx, i.scope), inv)
}

// urlInvoker is an invoker exported a second time, under another URL. The
// first export owns the invoker: unexporting the second must not destroy
// it, or dubbo-go's destroyed-invoker URL (no service key) would make the
// first export's unexport fail with "protocol or ServiceKey is nil".
type urlInvoker struct {
	base.Invoker
	url *common.URL
}

func (i urlInvoker) GetURL() *common.URL { return i.url }

func (i urlInvoker) Destroy() {}

// trackedExporter undoes the store's record of its export on UnExport.
type trackedExporter struct {
	base.Exporter
	unexport func()           // a business service's record in the store
	health   *serviceMapEntry // an export of a health handler
	owner    *tripleProtocol  // for an export of a health handler
	also     *trackedExporter // the same health service under the server's group and version
	location string           // for the program's own health store: its listener
}

func (e *trackedExporter) UnExport() {
	if e.also != nil {
		e.also.UnExport()
	}
	if e.unexport != nil {
		e.unexport()
	}
	if e.owner != nil {
		e.owner.mu.Lock()
		delete(e.owner.healths, e)
		if e.location != "" {
			e.owner.owns[e.location]--
		}
		e.owner.mu.Unlock()
		e.health.restore()
	}
	e.Exporter.UnExport()
}

// skippedExporter stands for an export that was deliberately not done.
type skippedExporter struct {
	invoker base.Invoker
}

func (e skippedExporter) GetInvoker() base.Invoker { return e.invoker }

func (e skippedExporter) UnExport() {}
