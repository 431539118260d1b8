package health

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

import (
	"github.com/dubbo-health/health/healthserver"
)

// EnvAutoRegister is the environment variable that turns autoregistration
// off when set to a false value ("false", "0", "off"), like Disable. It is
// read at each export and each shutdown step; set it before the process
// starts.
const EnvAutoRegister = "DUBBO_HEALTH_AUTOREGISTER"

// Status is a serving status of the grpc.health.v1 protocol.
type Status = healthserver.Status

// The serving statuses; see healthserver for their meaning.
const (
	Unknown        = healthserver.Unknown
	Serving        = healthserver.Serving
	NotServing     = healthserver.NotServing
	ServiceUnknown = healthserver.ServiceUnknown
)

var (
	defaultOnce    sync.Once
	defaultServer  *healthserver.Server
	defaultOptions []healthserver.Option
	disabled       atomic.Bool
	optionsMu      sync.Mutex
)

// Default returns the process-wide health server that autoregistration serves
// on every Triple port of every dubbo-go server in this process. It is created
// on first use with the options given to Configure.
func Default() *healthserver.Server {
	defaultOnce.Do(func() {
		// Under optionsMu, so that a Configure that races with this either
		// comes first and counts, or sees the server and fails.
		optionsMu.Lock()
		defer optionsMu.Unlock()
		defaultServer = healthserver.New(defaultOptions...)
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

// Disable turns autoregistration off from the call on: servers started
// afterwards serve no health service of this module, and dubbo-go's built-in
// health service, if linked, is left alone. Call it before the first server
// starts: on a server already serving, it stops the marking of later exports
// and the NOT_SERVING of a shutdown, while the health service already
// exported keeps answering. Setting DUBBO_HEALTH_AUTOREGISTER=false has the
// same effect.
func Disable() { disabled.Store(true) }

// enabled reports whether autoregistration is on.
func enabled() bool {
	return !disabled.Load() && !envOff(EnvAutoRegister)
}

// envOff reports whether the environment variable name is set to a false
// value: "false", "0", "off" and the like.
func envOff(name string) bool {
	v, ok := os.LookupEnv(name)
	if !ok {
		return false
	}
	on, err := strconv.ParseBool(v)
	return (err == nil && !on) || strings.EqualFold(v, "off") || strings.EqualFold(v, "no")
}

// SetServingStatus sets the status of service on the default server.
// service is a name as clients ask for it: an interface name
// ("greet.GreetService"), a service key ("group/greet.GreetService:1.0.0"),
// or "" for the whole server. See healthserver.Server.SetServingStatus.
//
// A status other than SERVING set on an interface name also shows on every
// service key exported under it (they follow it), so one call takes a
// service out for gRPC clients and dubbo-go consumers alike; a service key
// can also be set on its own. A status set before the service is exported
// is kept: the export marks SERVING only services without one.
func SetServingStatus(service string, st Status) error {
	return Default().SetServingStatus(service, st)
}

// AddChecker runs c in the background for service ("" for the whole server)
// on the default server; see healthserver.Server.AddChecker. Checkers stop at
// the end of a graceful shutdown.
func AddChecker(service, name string, c healthserver.Checker, opts ...healthserver.CheckOption) error {
	return Default().AddChecker(service, name, c, opts...)
}

// RemoveChecker stops and forgets a checker of the default server.
func RemoveChecker(service, name string) bool {
	return Default().RemoveChecker(service, name)
}
