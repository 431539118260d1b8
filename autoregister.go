package health

import (
	"github.com/dubbo-health/health/internal/dubbogo"
)

// The hook: the blank import runs this init, which plugs the health service
// into dubbo-go (package internal/dubbogo holds every point where it does,
// and what each relies on):
//
//  1. Every dubbo-go server that starts defines the health service as one
//     of its internal services and exports it on each of its Triple
//     protocols, after its business services, never in a registry; it
//     takes the place of dubbo-go's built-in health service if that is
//     linked.
//  2. Every export of a business service on a Triple protocol is recorded
//     in Default: SERVING under its interface name and service key unless
//     the program set a status first; its unexport forgets it.
//  3. Each Triple port also serves the HTTP view (/healthz, /readyz).
//  4. A graceful shutdown, from its first moment (the signal), shows
//     NOT_SERVING everywhere; right before the listeners close, every Watch
//     ends; after they closed, the checkers stop.
//
// Each step asks whether autoregistration is on (Disable,
// DUBBO_HEALTH_AUTOREGISTER) at the moment it runs.
func init() {
	dubbogo.Install(dubbogo.Host{
		Store:       Default,
		Enabled:     enabled,
		HTTPEnabled: httpEnabled,
		Exported:    registerDefaultMetrics,
	})
}
