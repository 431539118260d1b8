package healthserver

import (
	"time"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

// Defaults of the options. Each is documented on its option.
const (
	defaultDrainDelay           = time.Second
	defaultMaxListServices      = 100
	defaultMaxServiceNameLength = 1024
	defaultMaxWatchers          = 20000
	defaultMaxHostWatchers      = 1000
)

// An Option configures a Server. Options are made by the With... functions.
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	overall         OverallPolicy
	drainDelay      time.Duration
	listEnabled     bool
	maxList         int
	maxNameLength   int
	maxWatchers     int
	maxHostWatchers int
	hook            func(Change)
	readiness       bool
	logger          printer
}

// printer is the part of a logger the server uses.
type printer interface {
	Infof(format string, args ...any)
	Warnf(format string, args ...any)
}

// discard logs nothing.
type discard struct{}

func (discard) Infof(string, ...any) {}
func (discard) Warnf(string, ...any) {}

func defaultOptions() options {
	return options{
		drainDelay:      defaultDrainDelay,
		listEnabled:     true,
		maxList:         defaultMaxListServices,
		maxNameLength:   defaultMaxServiceNameLength,
		maxWatchers:     defaultMaxWatchers,
		maxHostWatchers: defaultMaxHostWatchers,
	}
}

// WithDrainDelay sets how long open Watch streams stay open after Shutdown
// has sent them NOT_SERVING; then the server ends them with code Unavailable,
// so they never hold up a graceful stop. Zero ends them at once, after the
// NOT_SERVING has been sent. The default is 1s.
func WithDrainDelay(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d < 0 {
			d = 0
		}
		o.drainDelay = d
	})
}

// WithMaxListServices sets how many services List reports at most. When the
// server knows more, List fails with ResourceExhausted, as gRFC A90 asks.
// The default is 100.
func WithMaxListServices(n int) Option {
	return optionFunc(func(o *options) {
		if n < 0 {
			n = 0
		}
		o.maxList = n
	})
}

// WithoutList turns the List method off: it then fails with Unimplemented,
// as on a server that predates List. Use it when the names of the services
// on a port are not for everyone who can reach the port.
func WithoutList() Option {
	return optionFunc(func(o *options) { o.listEnabled = false })
}

// WithMaxServiceNameLength sets the longest service name, in bytes, that
// Check and Watch accept; a longer one fails with InvalidArgument. The
// default is 1024 bytes.
func WithMaxServiceNameLength(n int) Option {
	return optionFunc(func(o *options) {
		if n < 1 {
			n = 1
		}
		o.maxNameLength = n
	})
}

// WithMaxWatchers limits the Watch streams open at once: total on the whole
// server, and perHost from one client host (one IPv4 address, or one IPv6
// /64 network, whatever its connections and ports). A Watch beyond either
// limit fails at once with ResourceExhausted; open streams are not
// affected. The first Watch of a host for a known service name is admitted
// beyond both limits, up to a reserve of a quarter of total: consumers and
// balancers watch each service once, so one client that fills the slots
// cannot keep them from watching. Refusals are counted in the metrics and
// logged at most once a minute. Zero means no limit. The defaults are
// 20,000 in all (some hundreds of megabytes of streams) and 1,000 per host.
func WithMaxWatchers(total, perHost int) Option {
	return optionFunc(func(o *options) {
		o.maxWatchers = max(total, 0)
		o.maxHostWatchers = max(perHost, 0)
	})
}

// OverallPolicy says what the status of the whole server, "", follows besides
// its own SetServingStatus and Shutdown.
type OverallPolicy int

const (
	// OverallAnyCheck makes "" NOT_SERVING while any checker fails, of any
	// service or of the whole server. It is the default: a probe of "" (as
	// Kubernetes and grpc-health-probe send without -service) then sees every
	// dependency.
	OverallAnyCheck OverallPolicy = iota
	// OverallServerChecks makes "" NOT_SERVING only while a checker of the
	// whole server (added for service "") fails.
	OverallServerChecks
	// OverallAllServices makes "" NOT_SERVING while any checker of the whole
	// server fails or any known service shows anything but SERVING, whether
	// because of a checker or because it was set so.
	OverallAllServices
)

// WithOverallPolicy sets what "" follows; the default is OverallAnyCheck.
func WithOverallPolicy(p OverallPolicy) Option {
	return optionFunc(func(o *options) { o.overall = p })
}

// WithChangeHook has the server call hook with every change of the status a
// service shows, in the order the changes were made by one goroutine, after
// the server's lock is released and from the goroutine that made the change
// (a setter, a checker's, the drain timer's). hook may call the server; a
// slow hook holds up only that goroutine. Use it for metrics, audit trails
// or tests.
func WithChangeHook(hook func(Change)) Option {
	return optionFunc(func(o *options) { o.hook = hook })
}

// WithLogger sends the server's log lines (one per status change, with the
// prefix "[Health]") to l instead of gost's global logger, which dubbo-go
// configures; nil silences them.
func WithLogger(l logger.Logger) Option {
	return optionFunc(func(o *options) {
		if l == nil {
			o.logger = discard{}
			return
		}
		o.logger = l
	})
}

// WithReadiness makes "" show NOT_SERVING until Ready is called for the
// first time, for a framework that exports services one by one and calls
// Ready once a listener has all of them: no probe sees the whole server
// SERVING, nor counts a transition, before it is. Autoregistration's default
// server uses it.
func WithReadiness() Option {
	return optionFunc(func(o *options) { o.readiness = true })
}
