package healthserver

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The metrics of a Server, as Collector reports them.
var (
	servingDesc = prometheus.NewDesc("dubbo_health_serving",
		"1 when the service is SERVING, 0 otherwise; \"\" is the whole server.", []string{"service"}, nil)
	transitionsDesc = prometheus.NewDesc("dubbo_health_transitions_total",
		"Changes of the status the service shows, since it became known.", []string{"service"}, nil)
	checkPassingDesc = prometheus.NewDesc("dubbo_health_check_passing",
		"1 when the checker counts as passing, 0 otherwise.", []string{"service", "checker"}, nil)
	checkRunsDesc = prometheus.NewDesc("dubbo_health_check_runs_total",
		"Runs of the checker.", []string{"service", "checker"}, nil)
	checkFailuresDesc = prometheus.NewDesc("dubbo_health_check_failures_total",
		"Failed runs of the checker.", []string{"service", "checker"}, nil)
	checkDurationDesc = prometheus.NewDesc("dubbo_health_check_duration_seconds",
		"Time the checker's runs took.", []string{"service", "checker"}, nil)
	watchStreamsDesc = prometheus.NewDesc("dubbo_health_watch_streams",
		"Open Watch streams.", nil, nil)
	watchOpenedDesc = prometheus.NewDesc("dubbo_health_watch_streams_opened_total",
		"Watch streams opened, in all.", nil, nil)
	watchRefusedDesc = prometheus.NewDesc("dubbo_health_watch_streams_refused_total",
		"Watch streams refused at a limit (WithMaxWatchers): \"total\" or \"host\".", []string{"limit"}, nil)
)

// Collector returns a Prometheus collector of s's metrics:
//
//	dubbo_health_serving{service}                  gauge, 1 when SERVING
//	dubbo_health_transitions_total{service}        counter of status changes
//	dubbo_health_check_passing{service,checker}    gauge, 1 when passing
//	dubbo_health_check_runs_total{service,checker}     counter
//	dubbo_health_check_failures_total{service,checker} counter
//	dubbo_health_check_duration_seconds{service,checker} summary (sum, count)
//	dubbo_health_watch_streams                     gauge of open Watch streams
//	dubbo_health_watch_streams_opened_total        counter of Watch streams opened
//	dubbo_health_watch_streams_refused_total{limit} counter of Watch streams refused
//
// The values are read when Prometheus scrapes; nothing is recorded on the
// request path.
func (s *Server) Collector() prometheus.Collector {
	return collector{s: s}
}

type collector struct {
	s *Server
}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{servingDesc, transitionsDesc, checkPassingDesc, checkRunsDesc,
		checkFailuresDesc, checkDurationDesc, watchStreamsDesc, watchOpenedDesc, watchRefusedDesc} {
		ch <- d
	}
}

// Collect builds the metrics under the store's lock and sends them after
// releasing it, so a slow scrape never holds up a status change.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.snapshot() {
		ch <- m
	}
}

func (c collector) snapshot() []prometheus.Metric {
	s := c.s
	watches := s.watches.counts()
	checks := s.runner.States()
	s.mu.Lock()
	out := make([]prometheus.Metric, 0, 2*len(s.entries)+4*len(checks)+2)
	for name, e := range s.entries {
		if !e.known {
			continue
		}
		serving := 0.0
		if e.state.Load().status == Serving {
			serving = 1
		}
		out = append(out,
			prometheus.MustNewConstMetric(servingDesc, prometheus.GaugeValue, serving, name),
			prometheus.MustNewConstMetric(transitionsDesc, prometheus.CounterValue, float64(e.transitions), name))
	}
	s.mu.Unlock()
	for _, chk := range checks {
		passing := 0.0
		if chk.Passing {
			passing = 1
		}
		out = append(out,
			prometheus.MustNewConstMetric(checkPassingDesc, prometheus.GaugeValue, passing, chk.Service, chk.Name),
			prometheus.MustNewConstMetric(checkRunsDesc, prometheus.CounterValue, float64(chk.Runs), chk.Service, chk.Name),
			prometheus.MustNewConstMetric(checkFailuresDesc, prometheus.CounterValue, float64(chk.FailedRuns), chk.Service, chk.Name),
			prometheus.MustNewConstSummary(checkDurationDesc, chk.Runs, chk.RunTime.Seconds(), nil, chk.Service, chk.Name))
	}
	for _, limit := range []string{limitTotal, limitHost} {
		out = append(out, prometheus.MustNewConstMetric(watchRefusedDesc, prometheus.CounterValue, float64(watches.refused[limit]), limit))
	}
	return append(out,
		prometheus.MustNewConstMetric(watchStreamsDesc, prometheus.GaugeValue, float64(watches.open)),
		prometheus.MustNewConstMetric(watchOpenedDesc, prometheus.CounterValue, float64(watches.opened)))
}
