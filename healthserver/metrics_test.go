package healthserver_test

import (
	"errors"
	"strings"
	"testing"
	"time"
)

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dubbo-health/health/healthcheck"
	"github.com/dubbo-health/health/healthserver"
)

func TestCollector(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	defer s.Close()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(s.Collector()); err != nil {
		t.Fatal(err)
	}
	_ = s.SetServingStatus("a.Service", healthserver.Serving)
	_ = s.SetServingStatus("a.Service", healthserver.NotServing)
	c := newScripted()
	if err := s.AddChecker("a.Service", "db", c, fastCheck(healthcheck.WithInitiallyPassing(), healthcheck.WithFailureThreshold(1))...); err != nil {
		t.Fatal(err)
	}
	feed(t, s, c, "a.Service", "db", errors.New("down"))
	w := startWatch(t, s.Handler(), "a.Service", newStream("peer"))
	w.expectNext(t, healthserver.NotServing)

	want := `
# HELP dubbo_health_check_failures_total Failed runs of the checker.
# TYPE dubbo_health_check_failures_total counter
dubbo_health_check_failures_total{checker="db",service="a.Service"} 1
# HELP dubbo_health_check_passing 1 when the checker counts as passing, 0 otherwise.
# TYPE dubbo_health_check_passing gauge
dubbo_health_check_passing{checker="db",service="a.Service"} 0
# HELP dubbo_health_check_runs_total Runs of the checker.
# TYPE dubbo_health_check_runs_total counter
dubbo_health_check_runs_total{checker="db",service="a.Service"} 1
# HELP dubbo_health_serving 1 when the service is SERVING, 0 otherwise; "" is the whole server.
# TYPE dubbo_health_serving gauge
dubbo_health_serving{service=""} 0
dubbo_health_serving{service="a.Service"} 0
# HELP dubbo_health_transitions_total Changes of the status the service shows, since it became known.
# TYPE dubbo_health_transitions_total counter
dubbo_health_transitions_total{service=""} 1
dubbo_health_transitions_total{service="a.Service"} 1
# HELP dubbo_health_watch_streams Open Watch streams.
# TYPE dubbo_health_watch_streams gauge
dubbo_health_watch_streams 1
# HELP dubbo_health_watch_streams_opened_total Watch streams opened, in all.
# TYPE dubbo_health_watch_streams_opened_total counter
dubbo_health_watch_streams_opened_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"dubbo_health_check_failures_total", "dubbo_health_check_passing", "dubbo_health_check_runs_total",
		"dubbo_health_serving", "dubbo_health_transitions_total", "dubbo_health_watch_streams",
		"dubbo_health_watch_streams_opened_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(s.Collector(), "dubbo_health_check_duration_seconds"); n != 1 {
		t.Errorf("duration summaries: %d, want 1", n)
	}
}

// TestSlowScrapeDoesNotBlockChanges: a scrape that has stopped reading its
// metrics holds no lock of the store: status changes go on.
func TestSlowScrapeDoesNotBlockChanges(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	_ = s.SetServingStatus("a.Service", healthserver.Serving)
	metrics := make(chan prometheus.Metric)
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		s.Collector().Collect(metrics)
	}()
	<-metrics // the scrape runs, and now waits to hand over its next metric

	changed := make(chan struct{})
	go func() {
		defer close(changed)
		_ = s.SetServingStatus("a.Service", healthserver.NotServing)
	}()
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Error("SetServingStatus waited for a scrape that stopped reading")
	}
	for {
		select {
		case <-metrics:
		case <-collected:
			<-changed
			return
		}
	}
}
