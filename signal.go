package health

import (
	"os"
	"os/signal"
	"sync"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/graceful_shutdown"
)

var signalOnce sync.Once

// watchSignalsFor starts, once per process, a watcher that shuts the default
// health server down the moment a shutdown signal arrives, if url shows that
// dubbo-go itself handles those signals. dubbo-go's own callbacks run only
// after it has unregistered from every registry, which can take a while;
// probes should read NOT_SERVING at once. When dubbo-go does not handle the
// signals, neither does this module, so the process keeps the default
// behaviour the user chose.
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
			Default().Shutdown()
		}()
	})
}
