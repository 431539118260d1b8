package health

import (
	"errors"
	"sync"
)

import (
	"github.com/dubbogo/gost/log/logger"

	"github.com/prometheus/client_golang/prometheus"
)

var defaultMetricsOnce sync.Once

// RegisterMetrics registers the default server's metrics (see
// healthserver.Server.Collector for the names) with reg. They are registered
// with Prometheus's default registry, the one dubbo-go's metrics serve,
// when the first server starts; call RegisterMetrics for another registry.
func RegisterMetrics(reg prometheus.Registerer) error {
	err := reg.Register(Default().Collector())
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		return nil
	}
	return err
}

// registerDefaultMetrics registers the metrics with Prometheus's default
// registry, once.
func registerDefaultMetrics() {
	defaultMetricsOnce.Do(func() {
		if err := RegisterMetrics(prometheus.DefaultRegisterer); err != nil {
			logger.Warnf("[Health] cannot register metrics: %v", err)
		}
	})
}
