package testapp

import (
	"flag"
	"fmt"
	"strconv"
)

import (
	"dubbo.apache.org/dubbo-go/v3/global"
	"dubbo.apache.org/dubbo-go/v3/protocol"
	"dubbo.apache.org/dubbo-go/v3/server"

	health "github.com/dubbo-health/health"
	"github.com/dubbo-health/health/healthserver"
	"github.com/dubbo-health/health/internal/testservice/greet"
	"github.com/dubbo-health/health/triple_health"
)

// The flags of the configurations a user may give dubbo-go around the
// Greeter (issue 14): server-wide group and version, a Dubbo port, a server
// without Triple, a health store of the program's own, dubbo-go's probe
// server. The dubbo.Load ones are in load.go.
var (
	serverGroup   = flag.String("server-group", "", "server-wide group (server.WithServerGroup)")
	serverVersion = flag.String("server-version", "", "server-wide version (server.WithServerVersion)")
	dubboPort     = flag.Int("dubbo-port", 0, "also serve a Dubbo (Dubbo2) protocol on this port, with "+DubboOnlyService+" on it alone")
	noTriple      = flag.Bool("no-triple", false, "serve no Triple protocol: the Greeter is on the -dubbo-port alone")
	ownStore      = flag.Bool("own-store", false, "health.Disable() and serve a health store of the program's own, where "+OwnMarker+" is SERVING")
	probePort     = flag.Int("probe-port", 0, "enable dubbo-go's Kubernetes probe server (dubbo.metrics.probe) on this port")
)

// DubboOnlyService is the interface of the Greeter exported on the Dubbo
// protocol alone (-dubbo-port).
const DubboOnlyService = "dubboonly.GreetService"

// OwnMarker is the one service the program's own store (-own-store) knows.
const OwnMarker = "own.Marker"

// configuredServerOptions returns the server options the flags above ask
// for. twoPorts: the server has a second Triple port, "tri2".
func configuredServerOptions(twoPorts bool) []server.ServerOption {
	var opts []server.ServerOption
	if *serverGroup != "" {
		opts = append(opts, server.WithServerGroup(*serverGroup))
	}
	if *serverVersion != "" {
		opts = append(opts, server.WithServerVersion(*serverVersion))
	}
	if twoPorts {
		// dubbo-go's own internal services (server reflection, its
		// built-in health) export on every protocol unless the provider
		// names some, and cannot export twice on Triple: keep them on the
		// first port. dubbo-health serves health on both.
		opts = append(opts, server.WithServerProtocolIDs([]string{"tri"}))
	}
	if *dubboPort != 0 {
		opts = append(opts, server.WithServerProtocol(protocol.WithDubbo(), protocol.WithID("dubbo"), protocol.WithPort(*dubboPort)))
	}
	if *noTriple {
		opts = append(opts, func(o *server.ServerOptions) { delete(o.Protocols, "tri") })
	}
	if *probePort != 0 {
		metrics := global.DefaultMetricsConfig()
		enabled := true
		metrics.Probe.Enabled = &enabled
		metrics.Probe.Port = strconv.Itoa(*probePort)
		opts = append(opts, server.SetServerMetrics(metrics))
	}
	return opts
}

// configuredGreeterOptions returns the Greeter's service options the flags
// ask for.
func configuredGreeterOptions() []server.ServiceOption {
	if *noTriple {
		return []server.ServiceOption{onProtocols("dubbo")}
	}
	return nil
}

// registerConfigured registers the services the flags ask for besides the
// Greeter.
func registerConfigured(srv *server.Server) error {
	if *dubboPort != 0 && !*noTriple {
		if err := greet.RegisterGreetServiceHandler(srv, &DubboGreeter{}, server.WithInterface(DubboOnlyService), onProtocols("dubbo")); err != nil {
			return err
		}
	}
	if *ownStore {
		// The README's recipe: autoregistration off, the program's store
		// registered like any service.
		health.Disable()
		own := healthserver.New()
		if err := own.SetServingStatus(OwnMarker, healthserver.Serving); err != nil {
			return err
		}
		if err := triple_health.RegisterHealthHandler(srv, own.Handler()); err != nil {
			return fmt.Errorf("register the program's own health store: %w", err)
		}
	}
	return nil
}

// onProtocols puts a service on the protocols with the given ids only
// (dubbo-go v3.3.2's server.WithProtocolIDs ignores a non-empty list).
func onProtocols(ids ...string) server.ServiceOption {
	return func(o *server.ServiceOptions) { o.Service.ProtocolIDs = ids }
}

// DubboGreeter is the Greeter exported on the Dubbo protocol alone.
type DubboGreeter struct{ Greeter }

// Handler is a business service whose type is named like the health
// handler's, healthserver.Handler: dubbo-go looks up provider.services by
// type name (-handler-entry).
type Handler struct{ Greeter }
