package dubbogo

import (
	"os"
	"os/signal"
	"sync"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	"dubbo.apache.org/dubbo-go/v3/global"
	"dubbo.apache.org/dubbo-go/v3/graceful_shutdown"
)

// Relies on (dubbo-go v3.3.2, graceful_shutdown/shutdown.go): when the
// shutdown config's internal-signal switch is on (the default), dubbo-go
// itself handles graceful_shutdown.ShutdownSignals, and runs the
// graceful-shutdown callbacks only after it has unregistered from every
// registry, which can take a while. Export URLs carry that config as the
// attribute constant.ShutdownConfigPrefix.

var signalOnce sync.Once

// watchSignalsFor starts, once per process, a watcher that shuts the store
// down the moment a shutdown signal arrives, if url shows that dubbo-go
// itself handles those signals: probes should read NOT_SERVING at once.
// When dubbo-go does not handle the signals, neither does this module, so
// the process keeps the behaviour the program chose; nor does it when
// autoregistration has been turned off since.
func watchSignalsFor(url *common.URL) {
	cfg := shutdownConfig(url)
	if cfg == nil || !cfg.GetInternalSignal() {
		return
	}
	signalOnce.Do(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, graceful_shutdown.ShutdownSignals...)
		go func() {
			<-ch
			signal.Stop(ch)
			if host.Enabled() {
				host.Store().Shutdown()
			}
		}()
	})
}

// shutdownConfig returns the graceful shutdown settings an export URL
// carries, or nil.
func shutdownConfig(url *common.URL) *global.ShutdownConfig {
	raw, _ := url.GetAttribute(constant.ShutdownConfigPrefix)
	cfg, _ := raw.(*global.ShutdownConfig)
	return cfg
}
