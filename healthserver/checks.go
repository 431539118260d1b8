package healthserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

// CheckState is the latest state of one checker.
type CheckState struct {
	Service string    // the service the checker belongs to; "" is the whole server
	Name    string    // the checker's name
	Passing bool      // whether the checker counts as passing now
	Err     error     // the error of the last run, nil if it passed or never ran
	LastRun time.Time // when the last run ended; zero if none has
	// Consecutive results of the same kind, up to the last run.
	ConsecutiveFailures, ConsecutiveSuccesses int
}

// check is one registered checker and its state.
type check struct {
	service, name string
	checker       Checker
	cfg           checkConfig
	stop          chan struct{} // closed to stop the runner
	done          chan struct{} // closed when the runner has returned

	// Guarded by Server.mu.
	passing             bool
	err                 error
	lastRun             time.Time
	successes, failures int
	reported            bool // a failing state's reason has been logged
	removed             bool
	runs, failedRuns    uint64  // for metrics
	totalSeconds        float64 // time spent in runs, for metrics
}

// errStuck is the result of a run that could not start because the previous
// run has not returned yet.
var errStuck = errors.New("the previous run has not returned yet")

// AddChecker starts running c in the background for service ("" for the
// whole server) under name, with the given options. The status of service
// then derives from its checkers: SERVING only while every one of them
// passes. By default a failing checker of any service also makes "" NOT_SERVING;
// see WithOverallPolicy.
//
// Adding a second checker with the same service and name fails. The checker
// runs until RemoveChecker or Close; a checker that implements io.Closer is
// closed then.
func (s *Server) AddChecker(service, name string, c Checker, opts ...CheckOption) error {
	if c == nil {
		return errors.New("healthserver: nil checker")
	}
	if err := s.checkName(service); err != nil {
		return fmt.Errorf("healthserver: %w", err)
	}
	cfg := defaultCheckConfig()
	for _, o := range opts {
		o.applyCheck(&cfg)
	}
	ch := &check{
		service: service, name: name, checker: c, cfg: cfg,
		stop: make(chan struct{}), done: make(chan struct{}),
		passing: cfg.initiallyPassing,
	}
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return errors.New("healthserver: server is closed")
	}
	if s.checks[service] == nil {
		s.checks[service] = make(map[string]*check)
	}
	if _, dup := s.checks[service][name]; dup {
		return fmt.Errorf("healthserver: checker %q of service %q already added", name, service)
	}
	s.checks[service][name] = ch
	s.refreshLocked(service)
	go s.run(ch)
	return nil
}

// RemoveChecker stops the checker of service with name, waits for its
// runner to return and forgets it; the status of service no longer depends on
// it. It reports whether there was such a checker.
func (s *Server) RemoveChecker(service, name string) bool {
	s.mu.Lock()
	ch, ok := s.checks[service][name]
	if ok {
		s.detachLocked(ch)
		s.refreshLocked(service)
	}
	s.unlock()
	if ok {
		finish(ch)
	}
	return ok
}

// Checks returns the state of every checker, sorted by service and name.
func (s *Server) Checks() []CheckState {
	s.mu.Lock()
	defer s.unlock()
	var out []CheckState
	for _, byName := range s.checks {
		for _, ch := range byName {
			out = append(out, CheckState{
				Service: ch.service, Name: ch.name, Passing: ch.passing, Err: ch.err, LastRun: ch.lastRun,
				ConsecutiveFailures: ch.failures, ConsecutiveSuccesses: ch.successes,
			})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// detachLocked removes ch from the server and tells its runner to stop.
func (s *Server) detachLocked(ch *check) {
	ch.removed = true
	delete(s.checks[ch.service], ch.name)
	if len(s.checks[ch.service]) == 0 {
		delete(s.checks, ch.service)
	}
	close(ch.stop)
}

// finish waits for the runner of a detached check and closes its checker.
func finish(ch *check) {
	<-ch.done
	if c, ok := ch.checker.(io.Closer); ok {
		if err := c.Close(); err != nil {
			logger.Warnf("[Health] closing checker %q of service %q: %v", ch.name, ch.service, err)
		}
	}
}

// run runs ch on its schedule until it is stopped.
func (s *Server) run(ch *check) {
	defer close(ch.done)
	var stuck chan error // result of a run that timed out, once it returns
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ch.stop:
			return
		case <-timer.C:
		}
		start := time.Now()
		var err error
		stuck, err = attempt(ch, stuck)
		s.record(ch, err, time.Since(start))
		timer.Reset(ch.cfg.next())
	}
}

// attempt runs ch once with its timeout. stuck is the result channel of an
// earlier run that timed out; while it has not returned, no new run starts.
// attempt returns the channel of this run if it timed out, and the run's
// error.
func attempt(ch *check, stuck chan error) (chan error, error) {
	if stuck != nil {
		select {
		case <-stuck:
		default:
			return stuck, fmt.Errorf("checker did not return within %v: %w", ch.cfg.timeout, errStuck)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), ch.cfg.timeout)
	defer cancel()
	res := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				res <- fmt.Errorf("checker panicked: %v", r)
			}
		}()
		res <- ch.checker.Check(ctx)
	}()
	select {
	case err := <-res:
		return nil, err
	case <-ctx.Done():
		return res, fmt.Errorf("checker did not return within %v", ch.cfg.timeout)
	case <-ch.stop:
		// Stopping: cancel the run and let it return, until its deadline,
		// so that a checker that honours its context has finished before
		// RemoveChecker or Close return and before its Close is called.
		deadline, _ := ctx.Deadline()
		cancel()
		wait := time.NewTimer(time.Until(deadline))
		defer wait.Stop()
		select {
		case <-res:
			return nil, nil
		case <-wait.C:
			return res, nil
		}
	}
}

// record applies the result of one run.
func (s *Server) record(ch *check, err error, took time.Duration) {
	s.mu.Lock()
	defer s.unlock()
	if ch.removed {
		return
	}
	ch.lastRun = time.Now()
	ch.err = err
	ch.runs++
	ch.totalSeconds += took.Seconds()
	if err != nil {
		ch.failedRuns++
		ch.failures++
		ch.successes = 0
		switch {
		case ch.passing && ch.failures >= ch.cfg.failureThreshold:
			ch.passing = false
			ch.reported = true
			logger.Warnf("[Health] checker %q of service %q is failing: %v", ch.name, ch.service, err)
			s.refreshLocked(ch.service)
		case !ch.passing && !ch.reported:
			ch.reported = true
			logger.Warnf("[Health] checker %q of service %q is failing: %v", ch.name, ch.service, err)
		}
		return
	}
	ch.successes++
	ch.failures = 0
	if !ch.passing && ch.successes >= ch.cfg.successThreshold {
		ch.passing = true
		if ch.reported {
			logger.Infof("[Health] checker %q of service %q is passing again", ch.name, ch.service)
		}
		ch.reported = false
		s.refreshLocked(ch.service)
	}
}

// failingLocked reports whether a checker of service is failing.
func (s *Server) failingLocked(service string) bool {
	for _, ch := range s.checks[service] {
		if !ch.passing {
			return true
		}
	}
	return false
}

// anyFailingLocked reports whether any checker of any service is failing.
func (s *Server) anyFailingLocked() bool {
	for service := range s.checks {
		if s.failingLocked(service) {
			return true
		}
	}
	return false
}

// Close stops the server for good: like Stop, every service shows
// NOT_SERVING and every Watch ends, and in addition every checker stops.
// Close cancels the checkers' runs in progress and waits for them, each up to
// its timeout (a checker that ignores its context may finish its current run
// later). Calling Close again does nothing.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.unlock()
		return
	}
	s.closed = true
	// Shut down before the checkers go, in the same critical section, so
	// that no status is derived without them while not yet shut down.
	s.shutdownLocked()
	s.stopLocked()
	var all []*check
	for _, byName := range s.checks {
		for _, ch := range byName {
			all = append(all, ch)
		}
	}
	for _, ch := range all {
		s.detachLocked(ch)
	}
	s.unlock()
	for _, ch := range all {
		finish(ch)
	}
}
