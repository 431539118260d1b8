package health

import (
	"sync/atomic"
)

import (
	"github.com/dubbo-health/health/internal/env"
)

// The environment variables that turn the module's parts off. Each takes
// "false", "0", "off", "no" or "disabled" to turn its part off and "true",
// "1", "on", "yes" or "enabled" to leave it on, in any case and with spaces
// around; any other value is warned about in the log and leaves the part on.
// They are read at each export and shutdown step; set them before the
// process starts.
const (
	// EnvAutoRegister turns autoregistration off, as Disable does.
	EnvAutoRegister = "DUBBO_HEALTH_AUTOREGISTER"
	// EnvHTTP turns the HTTP view (/healthz and /readyz on every Triple
	// port) off, as DisableHTTP does.
	EnvHTTP = "DUBBO_HEALTH_HTTP"
)

var (
	disabled     atomic.Bool
	httpDisabled atomic.Bool
)

// Disable turns autoregistration off from the call on: servers started
// afterwards serve no health service of this module, and dubbo-go's built-in
// health service, if linked, is left alone. Call it before the first server
// starts: on a server already serving, it stops the marking of later
// exports and the NOT_SERVING of a shutdown, while the health service
// already exported keeps answering. Setting DUBBO_HEALTH_AUTOREGISTER=false
// has the same effect.
func Disable() { disabled.Store(true) }

// DisableHTTP turns off the HTTP view on Triple ports of servers started
// after the call. DUBBO_HEALTH_HTTP=false has the same effect.
func DisableHTTP() { httpDisabled.Store(true) }

// enabled reports whether autoregistration is on.
func enabled() bool {
	return !disabled.Load() && env.Switch(EnvAutoRegister, true)
}

// httpEnabled reports whether the HTTP view is on.
func httpEnabled() bool {
	return !httpDisabled.Load() && env.Switch(EnvHTTP, true)
}
