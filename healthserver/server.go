package healthserver

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

// Server is the status store of one health service. It is safe for
// concurrent use. Reading a status (Check, Status, Statuses) never takes a
// lock; changing one takes a mutex for a few microseconds and never waits for
// a Watch stream.
//
// A new Server knows one service, "", the whole server, as SERVING.
type Server struct {
	opts options

	// known is the copy-on-write set of known services, read without a lock.
	// It is replaced under mu when a service is added or removed.
	known atomic.Pointer[map[string]*entry]

	mu         sync.Mutex
	entries    map[string]*entry // known services and watched names
	shutdown   bool
	drain      *drain      // closed when open Watches must end
	drainTimer *time.Timer // closes drain after the drain delay
	watchers   int
	peers      map[string]int // open Watch streams by client address
}

// New returns a Server with the given options. The overall service "" is
// SERVING.
func New(opts ...Option) *Server {
	s := &Server{
		opts:    defaultOptions(),
		entries: make(map[string]*entry),
		drain:   newDrain(),
		peers:   make(map[string]int),
	}
	for _, o := range opts {
		o.apply(&s.opts)
	}
	empty := map[string]*entry{}
	s.known.Store(&empty)
	_ = s.SetServingStatus("", Serving)
	return s
}

// SetServingStatus records the status of service and tells its watchers.
// service "" is the whole server. st must be Serving, NotServing or Unknown.
//
// After Shutdown the status is remembered but NOT_SERVING is shown until
// Resume. SetServingStatus never blocks on a Watch stream.
func (s *Server) SetServingStatus(service string, st Status) error {
	if err := checkSettable(st); err != nil {
		return err
	}
	if err := s.checkName(service); err != nil {
		return fmt.Errorf("healthserver: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entryLocked(service)
	e.base = st
	if !e.known {
		e.known = true
		s.publishKnownLocked()
	}
	s.showLocked(e)
	return nil
}

// Remove forgets service: Check then answers NotFound and Watch reports
// SERVICE_UNKNOWN until the service is set again. Removing an unknown service
// does nothing.
func (s *Server) Remove(service string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[service]
	if !ok || !e.known {
		return
	}
	e.known = false
	e.base = Unknown
	s.publishKnownLocked()
	s.showLocked(e)
	if e.watchers == 0 {
		delete(s.entries, service)
	}
}

// Status returns the status that Check reports for service, and false if the
// service is unknown.
func (s *Server) Status(service string) (Status, bool) {
	e, ok := (*s.known.Load())[service]
	if !ok {
		return ServiceUnknown, false
	}
	return e.state.Load().status, true
}

// Statuses returns the status of every known service, as List reports it.
func (s *Server) Statuses() map[string]Status {
	known := *s.known.Load()
	out := make(map[string]Status, len(known))
	for name, e := range known {
		out[name] = e.state.Load().status
	}
	return out
}

// Shutdown shows NOT_SERVING for every service, including "", and keeps doing
// so for statuses set later, until Resume. Every open Watch receives
// NOT_SERVING; after the drain delay (WithDrainDelay) the open Watch streams
// end with code Unavailable, and Watches opened from then on end right after
// their first message, so health streams never hold up a graceful stop.
// Calling Shutdown again does nothing.
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdownLocked()
	if s.drain.closed() || s.drainTimer != nil {
		return
	}
	if s.opts.drainDelay <= 0 {
		s.drain.close()
		return
	}
	d := s.drain
	s.drainTimer = time.AfterFunc(s.opts.drainDelay, d.close)
}

// Stop is Shutdown without the drain delay: every open Watch receives
// NOT_SERVING and then ends at once. Use it when the listener is about to
// close. Stop leaves no goroutine or timer behind; Resume undoes it.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdownLocked()
	if s.drainTimer != nil {
		s.drainTimer.Stop()
		s.drainTimer = nil
	}
	s.drain.close()
}

// Resume undoes Shutdown and Stop: every service shows again the status it
// would have had without them, including NOT_SERVING set on purpose before or
// during the shutdown. Watch streams that were ended stay ended; clients open
// new ones.
func (s *Server) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.shutdown {
		return
	}
	s.shutdown = false
	if s.drainTimer != nil {
		s.drainTimer.Stop()
		s.drainTimer = nil
	}
	if s.drain.closed() {
		s.drain = newDrain()
	}
	logger.Infof("[Health] resumed: services show their own status again")
	for _, e := range s.entries {
		s.showLocked(e)
	}
}

// IsShutdown reports whether the server is shut down (Shutdown or Stop
// without a later Resume).
func (s *Server) IsShutdown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdown
}

func (s *Server) shutdownLocked() {
	if s.shutdown {
		return
	}
	s.shutdown = true
	logger.Infof("[Health] shutting down: every service is NOT_SERVING")
	for _, e := range s.entries {
		s.showLocked(e)
	}
}

// entryLocked returns the entry of name, creating an unknown one.
func (s *Server) entryLocked(name string) *entry {
	e, ok := s.entries[name]
	if !ok {
		e = newEntry(name)
		s.entries[name] = e
	}
	return e
}

// showLocked publishes the status e should show now.
func (s *Server) showLocked(e *entry) {
	st := ServiceUnknown
	if e.known {
		st = e.base
		if s.shutdown {
			st = NotServing
		}
	}
	if e.show(st) {
		logger.Infof("[Health] service %q is now %s", e.name, st)
	}
}

// publishKnownLocked replaces the lock-free set of known services.
func (s *Server) publishKnownLocked() {
	known := make(map[string]*entry, len(*s.known.Load())+1)
	for name, e := range s.entries {
		if e.known {
			known[name] = e
		}
	}
	s.known.Store(&known)
}

// subscribe registers a Watch of name from peer and returns its entry and the
// drain that ends it.
func (s *Server) subscribe(name, peer string) (*entry, *drain, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit := s.opts.maxWatchers; limit > 0 && s.watchers >= limit {
		return nil, nil, errTooManyWatchers(limit)
	}
	if limit := s.opts.maxPeerWatchers; limit > 0 && s.peers[peer] >= limit {
		return nil, nil, errTooManyPeerWatchers(limit)
	}
	e := s.entryLocked(name)
	e.watchers++
	s.watchers++
	s.peers[peer]++
	return e, s.drain, nil
}

// unsubscribe undoes subscribe.
func (s *Server) unsubscribe(e *entry, peer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.watchers--
	if e.watchers == 0 && !e.known {
		delete(s.entries, e.name)
	}
	s.watchers--
	if s.peers[peer]--; s.peers[peer] <= 0 {
		delete(s.peers, peer)
	}
}

// Watchers returns the number of open Watch streams.
func (s *Server) Watchers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watchers
}

// checkName validates a service name from a request or a caller.
func (s *Server) checkName(name string) error {
	if len(name) > s.opts.maxNameLength {
		return errNameTooLong(len(name), s.opts.maxNameLength)
	}
	if !utf8.ValidString(name) {
		return errNameNotUTF8()
	}
	return nil
}

// listSnapshot returns the known services for List, or an error when there
// are more than the limit. The map is shared and must not be modified.
func (s *Server) listSnapshot() (map[string]*entry, error) {
	known := *s.known.Load()
	if len(known) > s.opts.maxList {
		return nil, errListTooLong(len(known), s.opts.maxList)
	}
	return known, nil
}
