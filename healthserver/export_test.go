package healthserver

import (
	"errors"
)

import (
	"github.com/dubbo-health/health/healthcheck"
)

// Test-only views of the store's internals, for the black-box tests of
// package healthserver_test.

// ServiceUnknown is what an unknown name shows.
const ServiceUnknown = serviceUnknown

// Watchers returns the number of open Watch streams.
func (s *Server) Watchers() int {
	return s.watches.counts().open
}

// Statuses returns the status of every known service.
func (s *Server) Statuses() map[string]Status { return s.statuses() }

// Checks returns the state of every checker.
func (s *Server) Checks() []healthcheck.State { return s.runner.States() }

// IsShutdown reports whether the server is down.
func (s *Server) IsShutdown() bool { return s.lifecycleNow().down() }

// Remove forgets service, as the last unexport of a serving server does.
func (s *Server) Remove(service string) {
	s.mu.Lock()
	defer s.unlock()
	s.removeLocked(service)
}

// Follow makes service follow parent ("" ends it), as Export does for a
// service key.
func (s *Server) Follow(service, parent string) error {
	if service == "" || service == parent {
		return errors.New("cannot follow")
	}
	if err := s.checkName(service); err != nil {
		return err
	}
	if err := s.checkName(parent); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.unlock()
	if parent == "" {
		s.follows.end(service)
	} else {
		s.follows.set(service, parent)
	}
	s.refreshLocked(service)
	return nil
}

// SetIfUnknown sets st only if service is not known, as the first Export of
// a name does, and reports whether it did.
func (s *Server) SetIfUnknown(service string, st Status) (bool, error) {
	if err := s.checkSet(service, st); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.unlock()
	if e, ok := s.entries[service]; ok && e.known {
		return false, nil
	}
	s.setLocked(service, st)
	return true, nil
}

// The defaults, for tests that probe them.
const (
	DefaultMaxServiceNameLength = defaultMaxServiceNameLength
	DefaultMaxListServices      = defaultMaxListServices
)
