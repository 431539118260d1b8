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

// tripleProtocol wraps dubbo-go's Triple protocol to see every export,
// unexport and destroy of a Triple service, which dubbo-go does not announce
// otherwise:
//
//   - Export of a business service records it in the store (SERVING unless
//     the program set a status first); its UnExport undoes that.
//   - Export of dubbo-go's own built-in health service is skipped, so this
//     module's handler is the only one on /grpc.health.v1.Health/.
//   - Destroy, which closes the listeners during graceful shutdown, first
//     stops the store: NOT_SERVING everywhere and every Watch ended.
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
	if !host.Enabled() {
		return p.inner.Export(invoker)
	}
	ours := isOurHandler(url)
	if url.Interface() == triple_health.HealthName && !ours {
		forgetBuiltin(url)
		logger.Infof("[Health] dubbo-go's built-in health service is replaced by dubbo-health on %s", url.Location)
		return skippedExporter{invoker: invoker}
	}
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
		tracked.health = releaseHealthEntry(url)
		tracked.owner = p
		p.mu.Lock()
		p.healths[tracked] = struct{}{}
		p.mu.Unlock()
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

// isOurHandler reports whether url exports this module's health handler.
func isOurHandler(url *common.URL) bool {
	svc, _ := url.GetAttribute(constant.RpcServiceKey)
	_, ok := svc.(*healthserver.Handler)
	return ok
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

// trackedExporter undoes the store's record of its export on UnExport.
type trackedExporter struct {
	base.Exporter
	unexport func()           // a business service's record in the store
	health   *serviceMapEntry // an export of the health service
	owner    *tripleProtocol  // for an export of the health service
}

func (e *trackedExporter) UnExport() {
	if e.unexport != nil {
		e.unexport()
	}
	if e.owner != nil {
		e.owner.mu.Lock()
		delete(e.owner.healths, e)
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
