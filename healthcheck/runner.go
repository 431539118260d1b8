package healthcheck

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

// Change reports that a checker turned passing or failing, was added or was
// removed. Runner calls its change function with one:
//
//   - when a checker is added, with its initial state (failing, unless
//     WithInitiallyPassing), before Add returns;
//   - when it turns passing or failing, Err being the error of the run that
//     made it fail;
//   - once with the first error of a checker that started out failing, so
//     the reason is known although Passing did not change;
//   - when it is removed (Remove or Close), with Removed set.
type Change struct {
	Service string // the service the checker belongs to; "" is the whole server
	Name    string // the checker's name
	Passing bool
	Err     error // why it fails; nil when passing or before its first run
	Removed bool  // the checker is gone: nothing depends on it any more
}

// State is the latest state of one checker, with counters for metrics.
type State struct {
	Service string
	Name    string
	Passing bool      // whether the checker counts as passing now
	Err     error     // the error of the last run, nil if it passed or never ran
	LastRun time.Time // when the last run ended; zero if none has
	// Consecutive results of the same kind, up to the last run.
	ConsecutiveFailures, ConsecutiveSuccesses int
	Runs, FailedRuns                          uint64        // runs in all, and those that failed
	RunTime                                   time.Duration // time spent in runs, in all
}

// Runner runs checkers in the background. It is safe for concurrent use; see
// the package documentation for its goroutines and when it calls its change
// function.
type Runner struct {
	onChange func(Change)

	mu     sync.Mutex
	checks map[checkKey]*check
	closed bool
}

type checkKey struct{ service, name string }

// check is one checker being run.
type check struct {
	key     checkKey
	checker Checker
	cfg     config
	stop    chan struct{} // closed to stop the runner goroutine
	done    chan struct{} // closed when the runner goroutine has returned

	// reporting is held while the change function runs for this check, so
	// a removal waits for a report in progress and no report follows it.
	reporting sync.Mutex
	removed   bool // guarded by reporting

	state    State // guarded by Runner.mu
	reported bool  // guarded by Runner.mu: a failure's reason has been reported
}

// NewRunner returns a Runner that calls onChange (which may be nil) with
// every Change of its checkers.
func NewRunner(onChange func(Change)) *Runner {
	if onChange == nil {
		onChange = func(Change) {}
	}
	return &Runner{onChange: onChange, checks: make(map[checkKey]*check)}
}

// Add starts running c for service ("" for the whole server) under name. It
// fails with ErrNilChecker, ErrEmptyName, ErrInvalidOption, ErrDuplicate (a
// checker of the same service and name runs) or ErrClosed.
func (r *Runner) Add(service, name string, c Checker, opts ...Option) error {
	if c == nil {
		return ErrNilChecker
	}
	if name == "" {
		return ErrEmptyName
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return err
	}
	k := checkKey{service, name}
	ch := &check{
		key: k, checker: c, cfg: cfg,
		stop: make(chan struct{}), done: make(chan struct{}),
		state: State{Service: service, Name: name, Passing: cfg.initiallyPassing},
	}
	// The initial report goes out before any run can report.
	ch.reporting.Lock()
	r.mu.Lock()
	switch {
	case r.closed:
		err = ErrClosed
	case r.checks[k] != nil:
		err = fmt.Errorf("%w: checker %q of service %q", ErrDuplicate, name, service)
	default:
		r.checks[k] = ch
	}
	r.mu.Unlock()
	if err != nil {
		ch.reporting.Unlock()
		return err
	}
	r.onChange(Change{Service: service, Name: name, Passing: cfg.initiallyPassing})
	ch.reporting.Unlock()
	go r.run(ch)
	return nil
}

// Remove stops the checker of service with name and reports whether there
// was one. Its removal is reported at once; then Remove waits for a run in
// progress, canceled, to return (up to its timeout), and closes the checker
// if it is an io.Closer.
func (r *Runner) Remove(service, name string) bool {
	r.mu.Lock()
	ch := r.checks[checkKey{service, name}]
	if ch != nil {
		r.detachLocked(ch)
	}
	r.mu.Unlock()
	if ch == nil {
		return false
	}
	r.finish(ch)
	return true
}

// Close removes every checker, as Remove does, and makes later Adds fail
// with ErrClosed. Calling it again does nothing.
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	all := make([]*check, 0, len(r.checks))
	for _, ch := range r.checks {
		all = append(all, ch)
		r.detachLocked(ch)
	}
	r.mu.Unlock()
	for _, ch := range all {
		r.reportRemoved(ch)
	}
	for _, ch := range all {
		r.wait(ch)
	}
}

// States returns the state of every checker, sorted by service and name.
func (r *Runner) States() []State {
	r.mu.Lock()
	out := make([]State, 0, len(r.checks))
	for _, ch := range r.checks {
		out = append(out, ch.state)
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// detachLocked forgets ch and tells its goroutine to stop.
func (r *Runner) detachLocked(ch *check) {
	delete(r.checks, ch.key)
	close(ch.stop)
}

// finish reports the removal of a detached check, then waits for it.
func (r *Runner) finish(ch *check) {
	r.reportRemoved(ch)
	r.wait(ch)
}

func (r *Runner) reportRemoved(ch *check) {
	ch.reporting.Lock()
	defer ch.reporting.Unlock()
	ch.removed = true
	r.onChange(Change{Service: ch.key.service, Name: ch.key.name, Removed: true})
}

// wait waits for the goroutine of a detached check and closes its checker.
func (r *Runner) wait(ch *check) {
	<-ch.done
	if c, ok := ch.checker.(io.Closer); ok {
		if err := c.Close(); err != nil {
			logger.Warnf("[Health] closing checker %q of service %q: %v", ch.key.name, ch.key.service, err)
		}
	}
}

// run runs ch on its schedule until it is stopped.
func (r *Runner) run(ch *check) {
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
		r.record(ch, err, time.Since(start))
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
			return stuck, fmt.Errorf("checker did not return within %v: %w", ch.cfg.timeout, ErrStuck)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), ch.cfg.timeout)
	defer cancel()
	res := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				res <- fmt.Errorf("checker panicked: %v", v)
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
		// Remove or Close return and before its Close is called.
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

// record applies the result of one run and reports a change, if any.
func (r *Runner) record(ch *check, err error, took time.Duration) {
	ch.reporting.Lock()
	defer ch.reporting.Unlock()
	if ch.removed {
		return
	}
	r.mu.Lock()
	change, ok := ch.apply(err, took)
	r.mu.Unlock()
	if ok {
		r.onChange(change)
	}
}

// apply counts one result and returns the change to report, if any. Callers
// hold Runner.mu.
func (ch *check) apply(err error, took time.Duration) (Change, bool) {
	s := &ch.state
	s.LastRun = time.Now()
	s.Err = err
	s.Runs++
	s.RunTime += took
	change := Change{Service: ch.key.service, Name: ch.key.name, Passing: s.Passing, Err: err}
	if err != nil {
		s.FailedRuns++
		s.ConsecutiveFailures++
		s.ConsecutiveSuccesses = 0
		switch {
		case s.Passing && s.ConsecutiveFailures >= ch.cfg.failureThreshold:
			s.Passing, ch.reported = false, true
			change.Passing = false
			return change, true
		case !s.Passing && !ch.reported:
			ch.reported = true
			return change, true
		}
		return Change{}, false
	}
	s.ConsecutiveSuccesses++
	s.ConsecutiveFailures = 0
	if !s.Passing && s.ConsecutiveSuccesses >= ch.cfg.successThreshold {
		s.Passing, ch.reported = true, false
		change.Passing = true
		return change, true
	}
	return Change{}, false
}
