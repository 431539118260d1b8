package dubbogo

import (
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

	"github.com/dubbo-health/health/triple_health"
)

// Relies on (dubbo-go v3.3.2, common/extension/config_post_processor.go,
// common/extension/protocol.go, server/action.go and
// protocol/protocolwrapper/protocol_filter_wrapper.go): every
// ConfigPostProcessor sees the URL of each export of a service, of any
// protocol, right before the export; extension.GetProtocol calls the
// registered factory on every lookup and the filter wrapper looks the
// protocol up at the export, so a "dubbo" factory replaced by then serves
// that export and every later one; nothing in dubbo-go type-asserts the
// "dubbo" protocol. The export URL carries the server's protocol configs as
// the attribute constant.ProtocolConfigKey, and a Triple export's Location
// is the protocol config's Ip + ":" + Port.

// dubboProtocol wraps dubbo-go's Dubbo (Dubbo2) protocol so that a
// service exported on it is reported on the Triple ports of its server:
// a process probed on its Triple port reports every service it serves,
// whatever the protocol. Each export is recorded in the store on every
// Triple listener of the server that exports it, and its UnExport undoes
// that. dubbo-go's own services on the protocol (its metadata service, its
// built-in health and reflection services) are not recorded.
//
// protocol/dubbo registers the "dubbo" protocol in its own init, which may
// run after this module's, and linking it from here would bring Dubbo2's
// transport into every program: the wrapper is installed lazily, by the
// post-processor, when the first export of a "dubbo" URL is about to
// happen.
type dubboProtocol struct {
	inner base.Protocol
}

var wrapDubboOnce sync.Once

// wrapDubbo replaces the "dubbo" protocol extension by the wrapper, once.
// The caller has seen a "dubbo" export URL, so the extension exists.
func wrapDubbo() {
	wrapDubboOnce.Do(func() {
		w := &dubboProtocol{inner: extension.GetProtocol(constant.DubboProtocol)}
		extension.SetProtocol(constant.DubboProtocol, func() base.Protocol { return w })
	})
}

// Export implements base.Protocol.
func (p *dubboProtocol) Export(invoker base.Invoker) base.Exporter {
	exporter := p.inner.Export(invoker)
	url := invoker.GetURL()
	if exporter == nil || !host.Enabled() || frameworkService(url.Interface()) {
		return exporter
	}
	var undo []func()
	for _, scope := range tripleLocations(url) {
		unexport, err := host.Store().Export(scope, url.Interface(), url.ServiceKey())
		if err != nil {
			logger.Warnf("[Health] cannot mark %q SERVING: %v", url.ServiceKey(), err)
			continue
		}
		undo = append(undo, unexport)
	}
	if len(undo) == 0 {
		return exporter
	}
	return &trackedExporter{Exporter: exporter, unexport: func() {
		for _, u := range undo {
			u()
		}
	}}
}

// Refer implements base.Protocol.
func (p *dubboProtocol) Refer(url *common.URL) base.Invoker { return p.inner.Refer(url) }

// Destroy implements base.Protocol.
func (p *dubboProtocol) Destroy() { p.inner.Destroy() }

// frameworkService reports whether iface is one of dubbo-go's own services,
// which are not reported as the program's.
func frameworkService(iface string) bool {
	switch iface {
	case constant.MetadataServiceName, constant.MetadataServiceV2Name,
		triple_health.HealthName, constant.ReflectionServiceInterface:
		return true
	}
	return false
}

// tripleLocations returns the listeners of the Triple protocols of the
// server that exports url, as the Triple exports of that server name them.
// A Triple protocol without a configured port (dubbo-go picks a random one
// at each export) cannot be named in advance and is left out.
func tripleLocations(url *common.URL) []string {
	raw, _ := url.GetAttribute(constant.ProtocolConfigKey)
	protocols, _ := raw.(map[string]*global.ProtocolConfig)
	var out []string
	for _, pc := range protocols {
		if pc != nil && pc.Name == constant.TriProtocol && pc.Port != "" {
			out = append(out, pc.Ip+":"+pc.Port)
		}
	}
	return out
}
