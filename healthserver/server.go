package healthserver

import (
	"sync"
	"sync/atomic"
	"time"
)

import (
	"github.com/dubbo-health/health/healthcheck"
)

// Server is the status store of one health service: the serving status of
// named services, "" being the whole server, and the server's lifecycle
// (serving, shutting down, stopped). It is safe for concurrent use. Reading
// a status (Status, and the handler's Check) never takes a lock and
// allocates nothing; changing one takes a mutex for a few microseconds and
// never waits for a Watch stream. Changes are logged, and reported to
// WithChangeHook, after the mutex is released.
//
// A new Server knows one service, "", as SERVING.
type Server struct {
	opts    options
	runner  *healthcheck.Runner
	watches *watchCounter

	known   knownSet                 // read without a lock
	ready   atomic.Pointer[scopeSet] // scopes whose services are all exported
	lifeNow atomic.Uint32            // life, for readers without mu

	mu         sync.Mutex
	entries    map[string]*entry // known services and watched names
	life       lifecycle
	drainTimer *time.Timer // ends the drain delay of a Shutdown
	drainGen   uint64      // counts Shutdowns, so a stale timer does nothing
	checks     map[string]map[string]*mark
	follows    follows
	pending    []event // to report once mu is released
}

// New returns a Server with the given options. The overall service "" is
// SERVING.
func New(opts ...Option) *Server {
	s := &Server{
		opts:    defaultOptions(),
		entries: make(map[string]*entry),
		checks:  make(map[string]map[string]*mark),
		follows: newFollows(),
	}
	for _, o := range opts {
		o.apply(&s.opts)
	}
	s.watches = newWatchCounter(s.opts.maxWatchers, s.opts.maxHostWatchers, s.warnRefused)
	s.runner = healthcheck.NewRunner(s.checkChanged)
	s.ready.Store(&scopeSet{})
	s.mu.Lock()
	s.setLocked("", Serving)
	s.mu.Unlock()
	return s
}

// SetServingStatus records the status of service and tells its watchers.
// service "" is the whole server. st must be Serving, NotServing or Unknown
// (else ErrStatusNotSettable); service must pass the name checks
// (ErrNameTooLong, ErrNameNotUTF8). After Shutdown the status is remembered
// and NOT_SERVING is shown until Resume; after Close it fails with
// ErrClosed. SetServingStatus never blocks on a Watch stream.
func (s *Server) SetServingStatus(service string, st Status) error {
	if err := s.checkSet(service, st); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.unlock()
	if s.life == closed {
		return ErrClosed
	}
	s.setLocked(service, st)
	return nil
}

// Status returns the status that Check reports for service, and false if the
// service is unknown.
func (s *Server) Status(service string) (Status, bool) {
	// A reader that found the name just before a removal may find its
	// entry already showing SERVICE_UNKNOWN: it is gone.
	return s.statusFor(service, "")
}

// statuses returns the status of every known service.
func (s *Server) statuses() map[string]Status {
	out := make(map[string]Status, s.known.len())
	s.known.each(func(e *entry) bool {
		if st := e.state.Load().status; st != serviceUnknown {
			out[e.name] = st
		}
		return true
	})
	return out
}

// checkSet validates the arguments of a set.
func (s *Server) checkSet(service string, st Status) error {
	if err := checkSettable(st); err != nil {
		return err
	}
	return s.checkName(service)
}

func (s *Server) checkName(name string) error {
	return checkName(name, s.opts.maxNameLength)
}

// setLocked records st as the status of service and shows it.
func (s *Server) setLocked(service string, st Status) {
	e := s.entryLocked(service)
	e.base = st
	if e.known {
		s.refreshLocked(service)
		return
	}
	// Publish the status before the name, so that a reader that finds the
	// name finds its status too.
	e.known = true
	s.refreshLocked(service)
	s.known.add(e)
}

// removeLocked forgets service: Check then answers NotFound and Watch
// reports SERVICE_UNKNOWN until it is set again. It ends the service's
// Follow.
func (s *Server) removeLocked(service string) {
	s.follows.end(service)
	e, ok := s.entries[service]
	if !ok || !e.known {
		return
	}
	e.known = false
	e.base = Unknown
	s.known.remove(service)
	s.refreshLocked(service)
	if e.watchers == 0 {
		delete(s.entries, service)
	}
}

// entryLocked returns the entry of name, creating an unknown one.
func (s *Server) entryLocked(name string) *entry {
	e, ok := s.entries[name]
	if !ok {
		e = newEntry(name, s.life)
		s.entries[name] = e
	}
	return e
}

// subscribe registers a Watch of name and returns its entry.
func (s *Server) subscribe(name string) *entry {
	s.mu.Lock()
	defer s.unlock()
	e := s.entryLocked(name)
	e.watchers++
	return e
}

// unsubscribe undoes subscribe.
func (s *Server) unsubscribe(e *entry) {
	s.mu.Lock()
	defer s.unlock()
	e.watchers--
	if e.watchers == 0 && !e.known {
		delete(s.entries, e.name)
	}
}

// unlock releases mu, then reports the changes made while it was held: a
// slow log or hook never holds up a setter or a Watch stream.
func (s *Server) unlock() {
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	s.report(pending)
}
