package health

import (
	"sync/atomic"
)

import (
	"github.com/dubbo-health/health/internal/dubbogo"
	"github.com/dubbo-health/health/internal/env"
)

// The environment variables that switch the module's parts. Each takes
// "false", "0", "off", "no", "disable" or "disabled" for off and "true",
// "1", "on", "yes", "enable" or "enabled" for on, in any case and with
// spaces around; unset, empty or any other value (warned about in the log)
// leaves the part at its default: on for DUBBO_HEALTH_AUTOREGISTER and
// DUBBO_HEALTH_HTTP, off for DUBBO_HEALTH_PUBLIC. They are read at each export and shutdown step; set
// them before the process starts.
const (
	// EnvAutoRegister turns autoregistration off, as Disable does.
	EnvAutoRegister = "DUBBO_HEALTH_AUTOREGISTER"
	// EnvHTTP turns the HTTP view (/healthz and /readyz on every Triple
	// port) off, as DisableHTTP does.
	EnvHTTP = "DUBBO_HEALTH_HTTP"
	// EnvPublic, set to "true", makes health public, as PublicProbes does.
	EnvPublic = "DUBBO_HEALTH_PUBLIC"
)

var (
	disabled     atomic.Bool
	httpDisabled atomic.Bool
	publicProbes atomic.Bool
)

func init() { dubbogo.SetPublicProbes(public) }

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

// PublicProbes makes health public on servers started after the call:
// Check, Watch, List and the HTTP view answer every client, without the
// application's provider filters, for probes that cannot send credentials
// (the kubelet's gRPC probes send no metadata). By default health runs the
// server's provider filters (server.WithServerFilter, provider.filter, or
// dubbo-go's default chain) without those meant for business methods, so a
// server token (server.WithServerToken) or an authentication filter
// applies to health as to the business services, and on a port where the
// program attached its own HTTP handler (server.AttachHTTPHandler),
// /healthz and /readyz are left to that handler. Public, the HTTP view is
// served in front of that handler too, except on a path the handler, an
// *http.ServeMux, has a route of its own for. DUBBO_HEALTH_PUBLIC=true has
// the same effect. See the README's Security section for what health
// reveals.
func PublicProbes() { publicProbes.Store(true) }

// enabled reports whether autoregistration is on.
func enabled() bool {
	return !disabled.Load() && env.Switch(EnvAutoRegister, true)
}

// httpEnabled reports whether the HTTP view is on.
func httpEnabled() bool {
	return !httpDisabled.Load() && env.Switch(EnvHTTP, true)
}

// public reports whether health is public.
func public() bool {
	return publicProbes.Load() || env.Switch(EnvPublic, false)
}
