package dubbogo

import (
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/common/constant"
)

// Relies on (dubbo-go v3.3.2, common/rpc_service.go and
// protocol/triple/triple_exporter.go): the server records every export in
// common.ServiceMap under the protocol name and interface, and refuses a
// second export of the same interface on the same protocol; a Triple
// exporter's UnExport removes its entry and logs an error if there is none.

// forgetSkipped removes the ServiceMap entry of a health service whose
// export is skipped (dubbo-go's built-in, or the program's own store while
// autoregistration is on), which the server put there just before exporting
// it: the entry would keep the health service that does serve from being
// exported.
func forgetSkipped(url *common.URL) {
	_ = common.ServiceMap.UnRegister(url.Interface(), url.Protocol, url.ServiceKey())
}

// serviceMapEntry is the ServiceMap entry of one export of a health handler
// of this module (the default store's, or the program's own).
type serviceMapEntry struct {
	url *common.URL
	svc any
}

// releaseHealthEntry removes the ServiceMap entry of an export of a health
// handler, so that a second Triple port, or a second server, can
// export it again (it is served from its ServiceInfo and needs no entry),
// and returns what restore needs to put it back.
func releaseHealthEntry(url *common.URL) *serviceMapEntry {
	svc, _ := url.GetAttribute(constant.RpcServiceKey)
	_ = common.ServiceMap.UnRegister(url.Interface(), url.Protocol, url.ServiceKey())
	return &serviceMapEntry{url: url, svc: svc}
}

// restore puts the entry back, for the exporter's UnExport to remove
// without logging an error.
func (e *serviceMapEntry) restore() {
	u := e.url
	if common.ServiceMap.GetServiceByServiceKey(u.Protocol, u.ServiceKey()) == nil {
		_, _ = common.ServiceMap.Register(u.Interface(), u.Protocol, u.Group(), u.Version(), e.svc)
	}
}
