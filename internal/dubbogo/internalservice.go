package dubbogo

import (
	"maps"
	"sync"
	"sync/atomic"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	"dubbo.apache.org/dubbo-go/v3/global"
	"dubbo.apache.org/dubbo-go/v3/server"

	"github.com/dubbo-health/health/healthserver"
	"github.com/dubbo-health/health/triple_health"
)

// Relies on (dubbo-go v3.3.2, server/server.go and server/options.go):
// server.SetProviderServices registers an InternalService that every server
// defines when it starts (Init is called with the server's options), exports
// after its business services in order of Priority, and then calls
// AfterExport. dubbo-go's built-in health service is an InternalService of
// default priority. WithNotRegister keeps a service out of every registry
// and service discovery.
//
// How dubbo-go configures a service (genSvcOpts and ServiceOptions.init): an
// entry of provider.services whose key is the handler's reference
// (common.GetReference: its Reference method, else its type name) becomes
// the service's config object itself; the service's own options come next;
// then every provider field (group, version, token, filter, params...) is
// copied into the fields still empty, and the application's group and
// version fill in what is left. BeforeExport is called with the service's
// finished options right before Export, which reads Group and Version only
// then (ServiceMap key, URL parameters, Triple handler identifier).

// internalServiceName names the health service among dubbo-go's internal
// services, the graceful-shutdown callbacks and the other extensions this
// module registers. It is also the handler's reference
// (healthserver.Handler.Reference), so no provider.services entry meant for
// a business service is ever looked up for it.
const internalServiceName = "dubbo-health"

// exportPriority orders the health service after dubbo-go's internal
// services of default priority, its built-in health service among them: the
// built-in must reach the protocol first, where it is skipped, so that ours
// can take its place.
const exportPriority = constant.DefaultPriority + 1

// The URL parameters that carry the server-wide group and version, which
// BeforeExport takes off the health service, to the Triple wrapper, which
// also serves it under them.
const (
	paramServerGroup   = "dubbo-health.server-group"
	paramServerVersion = "dubbo-health.server-version"
)

// disabledOnce logs, once per process, that autoregistration is off.
var disabledOnce sync.Once

// ourHandler is the handler of the default store that every server
// exports, made when the first server defines the health service.
var (
	ourHandlerOnce sync.Once
	ourHandlerPtr  atomic.Pointer[healthserver.Handler]
)

// ourHandler returns the handler of the default store, making it (and the
// default store) on first use.
func ourHandler() *healthserver.Handler {
	ourHandlerOnce.Do(func() { ourHandlerPtr.Store(host.Store().Handler()) })
	return ourHandlerPtr.Load()
}

// isOurs reports whether h is the default store's handler, without making
// the default store.
func isOurs(h *healthserver.Handler) bool {
	return h != nil && h == ourHandlerPtr.Load()
}

func registerInternalService() {
	server.SetProviderServices(&server.InternalService{
		Name:         internalServiceName,
		Init:         defineService,
		BeforeExport: beforeExport,
		AfterExport:  afterExport,
		Priority:     exportPriority,
	})
}

// defineService tells a starting dubbo-go server to export the health
// service on each of its Triple protocols, kept out of every registry.
func defineService(opts *server.ServiceOptions) (*server.ServiceDefinition, bool) {
	if !host.Enabled() {
		disabledOnce.Do(func() {
			logger.Infof("[Health] autoregistration is off: this server serves no health service of dubbo-health")
		})
		return nil, false
	}
	var ids []string
	for id, p := range opts.Protocols {
		if p != nil && p.Name == constant.TriProtocol {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		logger.Warnf("[Health] this server has no Triple protocol: grpc.health.v1.Health is served on Triple ports only, so this server serves no health; add a Triple protocol to probe it")
		return nil, false
	}
	return &server.ServiceDefinition{
		Handler: ourHandler(),
		Info:    &triple_health.Health_ServiceInfo,
		Opts: []server.ServiceOption{
			ownConfig(),
			server.WithInterface(triple_health.HealthName),
			onProtocols(ids),
			server.WithNotRegister(),
			providerFilters(), receiveLimit(),
		},
	}, true
}

// ownConfig gives the health service a config object of its own, whatever
// provider.services holds: the entry dubbo-go may have found for it is
// configuration meant for someone else (or an object it would share with a
// business service), and the options that follow would write into it.
func ownConfig() server.ServiceOption {
	return func(o *server.ServiceOptions) { o.Service = global.DefaultServiceConfig() }
}

// beforeExport serves the health service without group and version, which
// standard gRPC clients cannot ask for: dubbo-go copies a server-wide group
// or version (server.WithServerGroup, WithServerVersion, YAML
// provider.group/version or application.group/version) into every service.
// The values it removes go to the Triple wrapper as URL parameters, which
// serves the handler under them too, for dubbo-go clients that send them.
func beforeExport(o *server.ServiceOptions) {
	svc := o.Service
	group, version := svc.Group, svc.Version
	svc.Group, svc.Version = "", ""
	if group == "" && version == "" {
		return
	}
	// Params may be the provider's own map, copied in by dubbo-go: write to
	// a copy.
	params := maps.Clone(svc.Params)
	if params == nil {
		params = make(map[string]string, 2)
	}
	params[paramServerGroup], params[paramServerVersion] = group, version
	svc.Params = params
}

// afterExport runs once the health service is exported, after every business
// service of the server.
func afterExport(_ *server.ServiceOptions, err error) {
	if err != nil {
		logger.Errorf("[Health] health service export failed: %v", err)
		return
	}
	host.Exported()
}

// onProtocols limits a service to the protocols with the given ids.
// (dubbo-go v3.3.2's server.WithProtocolIDs ignores a non-empty list.)
func onProtocols(ids []string) server.ServiceOption {
	return func(o *server.ServiceOptions) { o.Service.ProtocolIDs = ids }
}
