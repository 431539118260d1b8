package healthserver

import (
	"errors"
)

import (
	"github.com/dubbo-health/health/healthcheck"
)

// mark is what the store knows of one checker: whether it fails, and
// whether the reason was logged. Guarded by Server.mu.
type mark struct {
	failing  bool
	reported bool
}

// AddChecker runs c in the background for service ("" for the whole server)
// under name, with the given options (healthcheck.WithInterval and the
// like). The status of service then derives from its checkers: SERVING only
// while every one of them passes. By default a failing checker of any
// service also makes "" NOT_SERVING; see WithOverallPolicy. The checker
// counts as failing until it has passed, unless
// healthcheck.WithInitiallyPassing.
//
// AddChecker fails with the errors of healthcheck.Runner.Add (a nil checker,
// an empty name, an invalid option, a duplicate service and name), with
// ErrNameTooLong or ErrNameNotUTF8 for service, and with ErrClosed after
// Close. The checker runs until RemoveChecker or Close; one that implements
// io.Closer is closed then.
func (s *Server) AddChecker(service, name string, c healthcheck.Checker, opts ...healthcheck.Option) error {
	if err := s.checkName(service); err != nil {
		return err
	}
	err := s.runner.Add(service, name, c, opts...)
	if errors.Is(err, healthcheck.ErrClosed) {
		return ErrClosed
	}
	return err
}

// RemoveChecker stops the checker of service with name, waits for a run in
// progress to return and forgets the checker; the status of service no
// longer depends on it. It reports whether there was such a checker.
func (s *Server) RemoveChecker(service, name string) bool {
	return s.runner.Remove(service, name)
}

// checkChanged is the runner's change function: it records whether the
// checker fails and shows what follows from it.
func (s *Server) checkChanged(c healthcheck.Change) {
	s.mu.Lock()
	defer s.unlock()
	byName := s.checks[c.Service]
	if c.Removed {
		delete(byName, c.Name)
		if len(byName) == 0 {
			delete(s.checks, c.Service)
		}
		s.refreshLocked(c.Service)
		return
	}
	if byName == nil {
		byName = make(map[string]*mark)
		s.checks[c.Service] = byName
	}
	m := byName[c.Name]
	if m == nil {
		m = &mark{}
		byName[c.Name] = m
	}
	wasFailing := m.failing
	m.failing = !c.Passing
	switch {
	case m.failing && c.Err != nil && !m.reported:
		m.reported = true
		s.pending = append(s.pending, event{service: c.Service, checker: c.Name, err: c.Err})
	case !m.failing && m.reported:
		m.reported = false
		s.pending = append(s.pending, event{service: c.Service, checker: c.Name})
	}
	if wasFailing != m.failing {
		s.refreshLocked(c.Service)
	}
}

// failingLocked reports whether a checker of service fails.
func (s *Server) failingLocked(service string) bool {
	for _, m := range s.checks[service] {
		if m.failing {
			return true
		}
	}
	return false
}
