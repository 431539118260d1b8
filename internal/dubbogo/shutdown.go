package dubbogo

import (
	"context"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common/extension"
)

// Relies on (dubbo-go v3.3.2, graceful_shutdown/shutdown.go): a graceful
// shutdown (a signal, or graceful_shutdown.Shutdown) runs the callbacks
// registered with RegisterGracefulShutdownCallback before it destroys the
// protocols (which closes the listeners), and the custom callbacks
// (AddCustomShutdownCallback) as its last step.

func registerShutdownCallbacks() {
	extension.RegisterGracefulShutdownCallback(internalServiceName, func(context.Context) error {
		if host.Enabled() {
			host.Store().Shutdown()
		}
		return nil
	})
	// The last step of a graceful shutdown, after the listeners closed:
	// stop the checkers.
	extension.AddCustomShutdownCallback(func() {
		if host.Enabled() {
			host.Store().Close()
		}
	})
}
