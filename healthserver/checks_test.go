package healthserver_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

import (
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"
)

import (
	"github.com/dubbo-health/health/healthcheck"
	"github.com/dubbo-health/health/healthserver"
)

// scripted is a checker whose every run takes its result from a channel, so
// a test decides each result and knows how many runs happened.
type scripted struct {
	results chan error
	runs    atomic.Int64
	closed  atomic.Bool
}

func newScripted() *scripted { return &scripted{results: make(chan error)} }

func (c *scripted) Check(ctx context.Context) error {
	select {
	case err := <-c.results:
		c.runs.Add(1)
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *scripted) Close() error {
	c.closed.Store(true)
	return nil
}

// feed hands the checker one result and waits until the server has recorded
// it.
func feed(t *testing.T, s *healthserver.Server, c *scripted, service, name string, err error) {
	t.Helper()
	before := runsOf(s, service, name)
	select {
	case c.results <- err:
	case <-time.After(10 * time.Second):
		t.Fatal("the checker did not run")
	}
	waitFor(t, "the result to be recorded", func() bool { return runsOf(s, service, name) > before })
}

// runsOf counts the recorded results of a checker: the consecutive counters
// of its state change with every run.
func runsOf(s *healthserver.Server, service, name string) int {
	for _, st := range s.Checks() {
		if st.Service == service && st.Name == name {
			return int(st.LastRun.UnixNano())
		}
	}
	return -1
}

func fastCheck(opts ...healthcheck.Option) []healthcheck.Option {
	return append([]healthcheck.Option{healthcheck.WithInterval(time.Millisecond), healthcheck.WithJitter(0), healthcheck.WithTimeout(5 * time.Second)}, opts...)
}

func status(t *testing.T, s *healthserver.Server, service string) healthserver.Status {
	t.Helper()
	st, ok := s.Status(service)
	if !ok {
		t.Fatalf("service %q unknown", service)
	}
	return st
}

func TestCheckerThresholds(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	defer s.Close()
	_ = s.SetServingStatus("db.Service", healthserver.Serving)
	c := newScripted()
	if err := s.AddChecker("db.Service", "db", c, fastCheck(healthcheck.WithFailureThreshold(3), healthcheck.WithSuccessThreshold(2))...); err != nil {
		t.Fatal(err)
	}
	// Failing until it has passed SuccessThreshold times.
	if got := status(t, s, "db.Service"); got != healthserver.NotServing {
		t.Fatalf("before any result: %v, want NOT_SERVING", got)
	}
	feed(t, s, c, "db.Service", "db", nil)
	if got := status(t, s, "db.Service"); got != healthserver.NotServing {
		t.Fatalf("after 1 of 2 successes: %v, want NOT_SERVING", got)
	}
	feed(t, s, c, "db.Service", "db", nil)
	if got := status(t, s, "db.Service"); got != healthserver.Serving {
		t.Fatalf("after 2 successes: %v, want SERVING", got)
	}
	down := errors.New("connection refused")
	for i := 1; i <= 3; i++ {
		feed(t, s, c, "db.Service", "db", down)
		want := healthserver.Serving
		if i == 3 {
			want = healthserver.NotServing
		}
		if got := status(t, s, "db.Service"); got != want {
			t.Fatalf("after %d failures: %v, want %v", i, got, want)
		}
	}
	st := s.Checks()[0]
	if st.Passing || !errors.Is(st.Err, down) || st.ConsecutiveFailures != 3 {
		t.Errorf("Checks() = %+v, want failing with the last error and 3 failures", st)
	}
	// A success between failures resets the count.
	feed(t, s, c, "db.Service", "db", nil)
	feed(t, s, c, "db.Service", "db", nil)
	feed(t, s, c, "db.Service", "db", down)
	feed(t, s, c, "db.Service", "db", nil)
	feed(t, s, c, "db.Service", "db", down)
	feed(t, s, c, "db.Service", "db", down)
	if got := status(t, s, "db.Service"); got != healthserver.Serving {
		t.Fatalf("failures that were not in a row: %v, want SERVING", got)
	}
}

func TestCheckerInitialState(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []healthcheck.Option
		want healthserver.Status
	}{
		{"default failing", nil, healthserver.NotServing},
		{"initially passing", []healthcheck.Option{healthcheck.WithInitiallyPassing()}, healthserver.Serving},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New()
			defer s.Close()
			_ = s.SetServingStatus("a.Service", healthserver.Serving)
			if err := s.AddChecker("a.Service", "dep", newScripted(), fastCheck(tc.opts...)...); err != nil {
				t.Fatal(err)
			}
			if got := status(t, s, "a.Service"); got != tc.want {
				t.Errorf("status = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheckerWatchSeesFlip(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	defer s.Close()
	_ = s.SetServingStatus("a.Service", healthserver.Serving)
	c := newScripted()
	if err := s.AddChecker("a.Service", "dep", c, fastCheck(healthcheck.WithInitiallyPassing(), healthcheck.WithFailureThreshold(1))...); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, s.Handler(), "a.Service", newStream("peer"))
	w.expectNext(t, healthserver.Serving)
	feed(t, s, c, "a.Service", "dep", errors.New("down"))
	w.expectNext(t, healthserver.NotServing)
	feed(t, s, c, "a.Service", "dep", nil)
	w.expectNext(t, healthserver.Serving)
	w.cancel()
}

func TestOverallPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                   string
		policy                 healthserver.OverallPolicy
		serviceCheckFails      healthserver.Status // "" when a service's checker fails
		serverCheckFails       healthserver.Status // "" when a whole-server checker fails
		serviceSetNotServing   healthserver.Status // "" when a service is set NOT_SERVING by hand
		serviceCheckFailsOther healthserver.Status // another service when one service's checker fails
	}{
		{"any check", healthserver.OverallAnyCheck, healthserver.NotServing, healthserver.NotServing, healthserver.Serving, healthserver.Serving},
		{"server checks", healthserver.OverallServerChecks, healthserver.Serving, healthserver.NotServing, healthserver.Serving, healthserver.Serving},
		{"all services", healthserver.OverallAllServices, healthserver.NotServing, healthserver.NotServing, healthserver.NotServing, healthserver.Serving},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(healthserver.WithOverallPolicy(tc.policy))
			defer s.Close()
			_ = s.SetServingStatus("a.Service", healthserver.Serving)
			_ = s.SetServingStatus("b.Service", healthserver.Serving)
			svc, srv := newScripted(), newScripted()
			opts := fastCheck(healthcheck.WithInitiallyPassing(), healthcheck.WithFailureThreshold(1))
			if err := s.AddChecker("a.Service", "dep", svc, opts...); err != nil {
				t.Fatal(err)
			}
			if err := s.AddChecker("", "disk", srv, opts...); err != nil {
				t.Fatal(err)
			}
			if got := status(t, s, ""); got != healthserver.Serving {
				t.Fatalf(`"" with every checker passing: %v`, got)
			}

			feed(t, s, svc, "a.Service", "dep", errors.New("down"))
			if got := status(t, s, "a.Service"); got != healthserver.NotServing {
				t.Errorf("service with a failing checker: %v, want NOT_SERVING", got)
			}
			if got := status(t, s, ""); got != tc.serviceCheckFails {
				t.Errorf(`"" when a service checker fails: %v, want %v`, got, tc.serviceCheckFails)
			}
			if got := status(t, s, "b.Service"); got != tc.serviceCheckFailsOther {
				t.Errorf("other service when a service checker fails: %v, want %v", got, tc.serviceCheckFailsOther)
			}
			feed(t, s, svc, "a.Service", "dep", nil)

			feed(t, s, srv, "", "disk", errors.New("disk full"))
			if got := status(t, s, ""); got != tc.serverCheckFails {
				t.Errorf(`"" when a server checker fails: %v, want %v`, got, tc.serverCheckFails)
			}
			if got := status(t, s, "a.Service"); got != healthserver.Serving {
				t.Errorf("service when only a server checker fails: %v, want SERVING", got)
			}
			feed(t, s, srv, "", "disk", nil)

			_ = s.SetServingStatus("b.Service", healthserver.NotServing)
			if got := status(t, s, ""); got != tc.serviceSetNotServing {
				t.Errorf(`"" when a service is set NOT_SERVING: %v, want %v`, got, tc.serviceSetNotServing)
			}
		})
	}
}

func TestCheckerPrecedence(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	defer s.Close()
	_ = s.SetServingStatus("a.Service", healthserver.NotServing)
	c := newScripted()
	if err := s.AddChecker("a.Service", "dep", c, fastCheck()...); err != nil {
		t.Fatal(err)
	}
	feed(t, s, c, "a.Service", "dep", nil)
	if got := status(t, s, "a.Service"); got != healthserver.NotServing {
		t.Fatalf("set NOT_SERVING with a passing checker: %v, want NOT_SERVING", got)
	}
	_ = s.SetServingStatus("a.Service", healthserver.Serving)
	if got := status(t, s, "a.Service"); got != healthserver.Serving {
		t.Fatalf("set SERVING with a passing checker: %v", got)
	}
	s.Shutdown()
	if got := status(t, s, "a.Service"); got != healthserver.NotServing {
		t.Fatalf("shut down with a passing checker: %v", got)
	}
	s.Resume()
	if got := status(t, s, "a.Service"); got != healthserver.Serving {
		t.Fatalf("resumed: %v", got)
	}
	if !s.RemoveChecker("a.Service", "dep") || !c.closed.Load() {
		t.Error("RemoveChecker did not find the checker or did not close it")
	}
	if s.RemoveChecker("a.Service", "dep") {
		t.Error("RemoveChecker found a removed checker")
	}
}

func TestCheckerRemovedStatusRecovers(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	defer s.Close()
	_ = s.SetServingStatus("a.Service", healthserver.Serving)
	c := newScripted()
	_ = s.AddChecker("a.Service", "dep", c, fastCheck()...)
	feed(t, s, c, "a.Service", "dep", errors.New("down"))
	if got := status(t, s, "a.Service"); got != healthserver.NotServing {
		t.Fatalf("failing: %v", got)
	}
	s.RemoveChecker("a.Service", "dep")
	if got := status(t, s, "a.Service"); got != healthserver.Serving {
		t.Errorf("after removing the failing checker: %v, want SERVING", got)
	}
}

func TestCheckerHangsOrPanics(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	defer s.Close()
	_ = s.SetServingStatus("hang.Service", healthserver.Serving)
	_ = s.SetServingStatus("panic.Service", healthserver.Serving)
	_ = s.SetServingStatus("ok.Service", healthserver.Serving)

	release := make(chan struct{})
	defer close(release)
	hang := healthcheck.CheckerFunc(func(context.Context) error {
		<-release // ignores its context
		return nil
	})
	boom := healthcheck.CheckerFunc(func(context.Context) error { panic("boom") })
	var okRuns atomic.Int64
	ok := healthcheck.CheckerFunc(func(context.Context) error { okRuns.Add(1); return nil })

	opts := []healthcheck.Option{healthcheck.WithInterval(time.Millisecond), healthcheck.WithJitter(0), healthcheck.WithTimeout(20 * time.Millisecond),
		healthcheck.WithInitiallyPassing(), healthcheck.WithFailureThreshold(1)}
	for _, c := range []struct {
		service string
		checker healthcheck.Checker
	}{{"hang.Service", hang}, {"panic.Service", boom}, {"ok.Service", ok}} {
		if err := s.AddChecker(c.service, "dep", c.checker, opts...); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the hanging checker to fail", func() bool {
		st, _ := s.Status("hang.Service")
		return st == healthserver.NotServing
	})
	waitFor(t, "the panicking checker to fail", func() bool {
		st, _ := s.Status("panic.Service")
		return st == healthserver.NotServing
	})
	for _, st := range s.Checks() {
		switch st.Service {
		case "hang.Service":
			if st.Err == nil || !strings.Contains(st.Err.Error(), "did not return within") {
				t.Errorf("hanging checker error = %v", st.Err)
			}
		case "panic.Service":
			if st.Err == nil || !strings.Contains(st.Err.Error(), "checker panicked: boom") {
				t.Errorf("panicking checker error = %v", st.Err)
			}
		}
	}
	// Nothing else stopped: the good checker keeps running and passing.
	before := okRuns.Load()
	waitFor(t, "the good checker to keep running", func() bool { return okRuns.Load() > before+5 })
	if got := status(t, s, "ok.Service"); got != healthserver.Serving {
		t.Errorf("good checker's service: %v", got)
	}
}

func TestAddCheckerErrors(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	ok := healthcheck.CheckerFunc(func(context.Context) error { return nil })
	if err := s.AddChecker("a", "x", ok); err != nil {
		t.Fatal(err)
	}
	if err := s.AddChecker("a", "x", ok); err == nil {
		t.Error("duplicate checker accepted")
	}
	if err := s.AddChecker("a", "y", nil); err == nil {
		t.Error("nil checker accepted")
	}
	if err := s.AddChecker(strings.Repeat("x", 2000), "y", ok); err == nil {
		t.Error("too long service name accepted")
	}
	s.Close()
	if err := s.AddChecker("a", "z", ok); err == nil {
		t.Error("checker accepted after Close")
	}
	if got := status(t, s, ""); got != healthserver.NotServing {
		t.Errorf(`"" after Close: %v, want NOT_SERVING`, got)
	}
}

// contextChecker blocks each run until its context ends, as a well-behaved
// checker of a slow dependency does, and records whether it was closed or
// left running while a run was in flight.
type contextChecker struct {
	started  chan struct{}
	inFlight atomic.Int32
	closedIn atomic.Int32 // Close calls during a run
}

func (c *contextChecker) Check(ctx context.Context) error {
	c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	select {
	case c.started <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

func (c *contextChecker) Close() error {
	if c.inFlight.Load() != 0 {
		c.closedIn.Add(1)
	}
	return nil
}

// TestStopCancelsRunInFlight: Close and RemoveChecker cancel a run in
// progress and return after it has, so a checker that honours its context
// never runs, nor is closed mid-run, after they return.
func TestStopCancelsRunInFlight(t *testing.T) {
	t.Parallel()
	for i := range 50 {
		s := healthserver.New()
		c := &contextChecker{started: make(chan struct{}, 1)}
		if err := s.AddChecker("svc", "slow", c, healthcheck.WithTimeout(time.Minute)); err != nil {
			t.Fatal(err)
		}
		<-c.started
		if i%2 == 0 {
			s.RemoveChecker("svc", "slow")
		}
		s.Close()
		if n := c.inFlight.Load(); n != 0 {
			t.Fatalf("round %d: %d runs still in flight after Close returned", i, n)
		}
		if n := c.closedIn.Load(); n != 0 {
			t.Fatalf("round %d: the checker was closed during a run", i)
		}
	}
}

// TestCloseNeverShowsServing: Close turns everything NOT_SERVING before the
// checkers go, so a status derived meanwhile never flips back to SERVING.
func TestCloseNeverShowsServing(t *testing.T) {
	t.Parallel()
	for range 50 {
		s := healthserver.New()
		c := newScripted()
		if err := s.AddChecker("svc", "dep", c, fastCheck(healthcheck.WithFailureThreshold(1))...); err != nil {
			t.Fatal(err)
		}
		_ = s.SetServingStatus("svc", healthserver.Serving)
		feed(t, s, c, "svc", "dep", errors.New("down"))
		if st := status(t, s, ""); st != healthserver.NotServing {
			t.Fatalf(`"" = %v with a failing checker, want NOT_SERVING`, st)
		}
		w := startWatch(t, s.Handler(), "", newStream("peer"))
		w.expectNext(t, healthserver.NotServing)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 100 {
				_ = s.SetServingStatus("svc", healthserver.Serving)
			}
		}()
		s.Close()
		<-done
		if st := status(t, s, ""); st != healthserver.NotServing {
			t.Fatalf(`"" = %v after Close, want NOT_SERVING`, st)
		}
		// The Watch ends without a message: "" never left NOT_SERVING.
		w.expectEnd(t, tri.CodeUnavailable)
		select {
		case st := <-w.stream.msgs:
			t.Fatalf(`the Watch of "" received %v during Close`, st)
		default:
		}
	}
}
