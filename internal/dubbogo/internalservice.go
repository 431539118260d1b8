package dubbogo

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	"dubbo.apache.org/dubbo-go/v3/server"

	"github.com/dubbo-health/health/triple_health"
)

// Relies on (dubbo-go v3.3.2, server/server.go and server/options.go):
// server.SetProviderServices registers an InternalService that every server
// defines when it starts (Init is called with the server's options), exports
// after its business services in order of Priority, and then calls
// AfterExport. dubbo-go's built-in health service is an InternalService of
// default priority. WithNotRegister keeps a service out of every registry
// and service discovery.

// internalServiceName names the health service among dubbo-go's internal
// services, and the graceful-shutdown callbacks.
const internalServiceName = "dubbo-health"

// exportPriority orders the health service after dubbo-go's internal
// services of default priority, its built-in health service among them: the
// built-in must reach the protocol first, where it is skipped, so that ours
// can take its place.
const exportPriority = constant.DefaultPriority + 1

var disabledOnce = make(chan struct{}, 1)

func registerInternalService() {
	server.SetProviderServices(&server.InternalService{
		Name:        internalServiceName,
		Init:        defineService,
		AfterExport: afterExport,
		Priority:    exportPriority,
	})
}

// defineService tells a starting dubbo-go server to export the health
// service on each of its Triple protocols, kept out of every registry.
func defineService(opts *server.ServiceOptions) (*server.ServiceDefinition, bool) {
	if !host.Enabled() {
		select {
		case disabledOnce <- struct{}{}:
			logger.Infof("[Health] autoregistration is off: this server serves no health service of dubbo-health")
		default:
		}
		return nil, false
	}
	var ids []string
	for id, p := range opts.Protocols {
		if p != nil && p.Name == constant.TriProtocol {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, false
	}
	return &server.ServiceDefinition{
		Handler: host.Store().Handler(),
		Info:    &triple_health.Health_ServiceInfo,
		Opts: []server.ServiceOption{
			server.WithInterface(triple_health.HealthName),
			onProtocols(ids),
			server.WithNotRegister(),
			providerFilters(), receiveLimit(),
		},
	}, true
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
