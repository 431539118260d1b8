package health

import (
	"errors"
	"sync"
)

import (
	"github.com/dubbo-health/health/healthcheck"
	"github.com/dubbo-health/health/healthserver"
	"github.com/dubbo-health/health/internal/dubbogo"
)

// MaxRequestBytes is the largest health request the server reads, in bytes:
// room for a service name of the longest allowed length. A bigger request
// fails with ResourceExhausted (HTTP 429).
const MaxRequestBytes = dubbogo.MaxRequestBytes

var (
	defaultOnce    sync.Once
	defaultServer  *healthserver.Server
	defaultOptions []healthserver.Option
	optionsMu      sync.Mutex
)

// Default returns the process-wide health server that autoregistration serves
// on every Triple port of every dubbo-go server in this process. It is created
// on first use with the options given to Configure, and
// healthserver.WithReadiness: "" is NOT_SERVING until a server has exported
// all of its services.
func Default() *healthserver.Server {
	defaultOnce.Do(func() {
		// Under optionsMu, so that a Configure that races with this either
		// comes first and counts, or sees the server and fails.
		optionsMu.Lock()
		defer optionsMu.Unlock()
		// "" turns SERVING on a listener once all of its services are
		// exported, not before.
		opts := append([]healthserver.Option{healthserver.WithReadiness()}, defaultOptions...)
		defaultServer = healthserver.New(opts...)
	})
	return defaultServer
}

// ErrConfigured is returned by Configure once the default server exists.
var ErrConfigured = errors.New("health: the default server already exists; call Configure first, before any dubbo-go server starts and before Default, SetServingStatus or AddChecker")

// Configure sets the options of the default server, for example
// healthserver.WithDrainDelay or healthserver.WithoutList. Call it first:
// the default server is created, with the options given so far, by the first
// dubbo-go server that starts or the first call of Default, SetServingStatus,
// AddChecker or RemoveChecker; from then on Configure returns ErrConfigured
// and changes nothing.
func Configure(opts ...healthserver.Option) error {
	optionsMu.Lock()
	defer optionsMu.Unlock()
	if defaultServer != nil {
		return ErrConfigured
	}
	defaultOptions = append(defaultOptions, opts...)
	return nil
}

// SetServingStatus sets the status of service on the default server:
// healthserver.Serving, NotServing or Unknown. service is a name as clients
// ask for it: an interface name ("greet.GreetService"), a service key
// ("group/greet.GreetService:1.0.0"), or "" for the whole server. See
// healthserver.Server.SetServingStatus for the errors.
//
// A status other than SERVING set on an interface name also shows on every
// service key exported under it (they follow it), so one call takes a
// service out for gRPC clients and dubbo-go consumers alike; a service key
// can also be set on its own. A status set before the service is exported
// is kept: the export marks SERVING only services without one.
func SetServingStatus(service string, st healthserver.Status) error {
	return Default().SetServingStatus(service, st)
}

// AddChecker runs c in the background for service ("" for the whole server)
// on the default server; see healthserver.Server.AddChecker. Checkers stop at
// the end of a graceful shutdown.
func AddChecker(service, name string, c healthcheck.Checker, opts ...healthcheck.Option) error {
	return Default().AddChecker(service, name, c, opts...)
}

// RemoveChecker stops and forgets a checker of the default server.
func RemoveChecker(service, name string) bool {
	return Default().RemoveChecker(service, name)
}
