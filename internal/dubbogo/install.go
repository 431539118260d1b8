package dubbogo

import (
	"sync"
)

import (
	"github.com/dubbo-health/health/healthserver"
)

// Host is what the hooks need from the root package.
type Host struct {
	// Store returns the status store that every server serves.
	Store func() *healthserver.Server
	// Enabled reports whether autoregistration is on now; the hooks ask at
	// every export and shutdown step.
	Enabled func() bool
	// HTTPEnabled reports whether the HTTP view is on.
	HTTPEnabled func() bool
	// Exported is called once the health service is exported on a server.
	Exported func()
}

var (
	host        Host
	installOnce sync.Once
)

// Install plugs the health service into dubbo-go. Only the first call
// counts; the root package makes it from its init. If another copy of the
// module (linked under another module path) installed itself first, Install
// logs it and installs nothing.
func Install(h Host) {
	installOnce.Do(func() {
		if other := installedElsewhere(); other != "" {
			warnTwice(other)
			return
		}
		host = h
		checkVersion()
		registerPostProcessor()
		installProtocol()
		registerInternalService()
		registerFilter()
		registerShutdownCallbacks()
		registerReadiness()
	})
}

// MaxRequestBytes is the largest health request the server reads, in bytes:
// room for a service name of the longest allowed length.
const MaxRequestBytes = 4096
