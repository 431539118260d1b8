package health

import (
	"context"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	"dubbo.apache.org/dubbo-go/v3/common/extension"
	"dubbo.apache.org/dubbo-go/v3/server"

	"github.com/dubbo-health/health/triple_health"
)

// internalServiceName names this module's internal service in dubbo-go.
const internalServiceName = "dubbo-health"

// exportPriority orders the health service after dubbo-go's internal
// services of default priority, its built-in health service among them: the
// built-in must reach the protocol first, where it is skipped, so that ours
// can take its place.
const exportPriority = constant.DefaultPriority + 1

func init() {
	installProtocol()
	server.SetProviderServices(&server.InternalService{
		Name:        internalServiceName,
		Init:        defineService,
		AfterExport: afterExport,
		Priority:    exportPriority,
	})
	// Graceful shutdown (signal or graceful_shutdown.Shutdown) runs these
	// callbacks before it closes any listener.
	extension.RegisterGracefulShutdownCallback(internalServiceName, func(context.Context) error {
		if enabled() {
			Default().Shutdown()
		}
		return nil
	})
	// The last step of a graceful shutdown, after the listeners closed:
	// stop the checkers.
	extension.AddCustomShutdownCallback(func() {
		if enabled() {
			Default().Close()
		}
	})
}

// defineService tells a starting dubbo-go server to export the health
// service on each of its Triple protocols, kept out of every registry.
func defineService(opts *server.ServiceOptions) (*server.ServiceDefinition, bool) {
	if !enabled() {
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
		Handler: Default().Handler(),
		Info:    &triple_health.Health_ServiceInfo,
		Opts: []server.ServiceOption{
			server.WithInterface(triple_health.HealthName),
			onProtocols(ids),
			server.WithNotRegister(),
			server.WithFilter(filterName),
		},
	}, true
}

// afterExport runs once the health service is exported, after every business
// service of the server. "" needs no change: it has been SERVING since the
// default server was made (unless the program set it otherwise, which stays),
// and no one could ask before now.
func afterExport(opts *server.ServiceOptions, err error) {
	if err != nil {
		logger.Errorf("[Health] health service export failed: %v", err)
		return
	}
	registerDefaultMetrics()
}

// onProtocols limits a service to the protocols with the given ids.
// (dubbo-go v3.3.2's server.WithProtocolIDs ignores a non-empty list.)
func onProtocols(ids []string) server.ServiceOption {
	return func(o *server.ServiceOptions) { o.Service.ProtocolIDs = ids }
}
