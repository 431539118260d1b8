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
	phase      phase       // for Watch streams: published in every entry's state
	drainTimer *time.Timer // drains after the drain delay
	drainGen   uint64      // counts Shutdowns, so a stale timer does nothing
	logs       []logLine   // status changes to log once mu is released
	watchers   int
	opened     uint64                         // Watch streams opened, in all
	peers      map[string]int                 // open Watch streams by client address
	checks     map[string]map[string]*check   // by service, then name
	parents    map[string]string              // Follow: name -> the name it follows
	followers  map[string]map[string]struct{} // Follow: name -> the names following it
	closed     bool
}

// New returns a Server with the given options. The overall service "" is
// SERVING.
func New(opts ...Option) *Server {
	s := &Server{
		opts:      defaultOptions(),
		entries:   make(map[string]*entry),
		peers:     make(map[string]int),
		checks:    make(map[string]map[string]*check),
		parents:   make(map[string]string),
		followers: make(map[string]map[string]struct{}),
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
	if err := s.checkSet(service, st); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.unlock()
	s.setLocked(service, st)
	return nil
}

// checkSet validates the arguments of a set.
func (s *Server) checkSet(service string, st Status) error {
	if err := checkSettable(st); err != nil {
		return err
	}
	if err := s.checkName(service); err != nil {
		return fmt.Errorf("healthserver: %w", err)
	}
	return nil
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
	s.publishKnownLocked()
}

// SetIfUnknown sets the status of service to st, as SetServingStatus does,
// only if service is not known yet, and reports whether it did. A status set
// before stays as it is: autoregistration marks each exported service
// SERVING this way, so a NOT_SERVING that a program set before serving (until
// it has warmed up, say) is kept.
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

// Follow makes service follow parent: while parent is known and not
// SERVING, because it was set so or because one of its checkers fails,
// service shows NOT_SERVING too (or the status parent was set to), whatever
// its own. Its own status, checkers and the shutdown still apply as before.
// Following is one level deep (the parent's parent does not count), and a
// service follows at most one parent: a new Follow replaces the old one, and
// an empty parent ends it. Remove ends it too.
//
// Autoregistration makes each service key ("g1/greet.GreetService:1.0.0")
// follow its interface name ("greet.GreetService"), so that setting or
// checking the interface name covers every group and version of it, for the
// gRPC clients that ask by interface name and the dubbo-go clients that ask
// by service key alike.
func (s *Server) Follow(service, parent string) error {
	if service == "" || service == parent {
		return fmt.Errorf("healthserver: %q cannot follow %q", service, parent)
	}
	if err := s.checkName(service); err != nil {
		return fmt.Errorf("healthserver: %w", err)
	}
	if err := s.checkName(parent); err != nil {
		return fmt.Errorf("healthserver: %w", err)
	}
	s.mu.Lock()
	defer s.unlock()
	s.unfollowLocked(service)
	if parent != "" {
		s.parents[service] = parent
		f := s.followers[parent]
		if f == nil {
			f = make(map[string]struct{})
			s.followers[parent] = f
		}
		f[service] = struct{}{}
	}
	s.refreshLocked(service)
	return nil
}

// unfollowLocked ends the Follow of service, if any.
func (s *Server) unfollowLocked(service string) {
	parent, ok := s.parents[service]
	if !ok {
		return
	}
	delete(s.parents, service)
	delete(s.followers[parent], service)
	if len(s.followers[parent]) == 0 {
		delete(s.followers, parent)
	}
}

// Remove forgets service: Check then answers NotFound and Watch reports
// SERVICE_UNKNOWN until the service is set again. Its Follow, if any, ends.
// Removing an unknown service does nothing.
func (s *Server) Remove(service string) {
	s.mu.Lock()
	defer s.unlock()
	s.unfollowLocked(service)
	e, ok := s.entries[service]
	if !ok || !e.known {
		return
	}
	e.known = false
	e.base = Unknown
	s.publishKnownLocked()
	s.refreshLocked(service)
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
	// A reader that loaded the set of known services just before a Remove
	// may find the entry already showing SERVICE_UNKNOWN: it is gone.
	st := e.state.Load().status
	return st, st != ServiceUnknown
}

// Statuses returns the status of every known service, as List reports it.
func (s *Server) Statuses() map[string]Status {
	known := *s.known.Load()
	out := make(map[string]Status, len(known))
	for name, e := range known {
		if st := e.state.Load().status; st != ServiceUnknown {
			out[name] = st
		}
	}
	return out
}

// Shutdown shows NOT_SERVING for every service, including "", and keeps doing
// so for statuses set later, until Resume. Every open Watch receives
// NOT_SERVING; after the drain delay (WithDrainDelay) the open Watch streams
// end with code Unavailable, and a Watch opened from then on sends its status
// and ends one drain delay later (or at Stop), so health streams never hold up
// a graceful stop by more than the drain delay, and clients that reopen at
// once do not spin. Calling Shutdown again does nothing.
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.unlock()
	s.shutdownLocked()
	if s.phase != running || s.drainTimer != nil {
		return
	}
	if s.opts.drainDelay <= 0 {
		s.drainLocked()
		return
	}
	s.drainGen++
	gen := s.drainGen
	s.drainTimer = time.AfterFunc(s.opts.drainDelay, func() {
		s.mu.Lock()
		defer s.unlock()
		// A Resume, or a Resume and a new Shutdown, may have come between
		// the timer firing and this lock: only the current shutdown drains.
		if s.shutdown && s.drainGen == gen {
			s.drainLocked()
		}
	})
}

// Stop is Shutdown without the drain delay: every open Watch receives
// NOT_SERVING and then ends at once, and new ones are refused with code
// Unavailable before any message (so clients back off rather than reopen at
// once). Use it when the listener is about to close. Stop leaves no goroutine
// or timer behind; Resume undoes it.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.unlock()
	s.shutdownLocked()
	s.stopLocked()
}

// Resume undoes Shutdown and Stop (not Close): every service shows again the
// status it would have had without them, including NOT_SERVING set on purpose
// before or during the shutdown. Watch streams that were ended stay ended; clients open
// new ones.
func (s *Server) Resume() {
	s.mu.Lock()
	defer s.unlock()
	if !s.shutdown || s.closed {
		return
	}
	s.shutdown = false
	s.cancelDrainLocked()
	s.phase = running
	s.logs = append(s.logs, logLine{note: "resumed: services show their own status again"})
	s.refreshAllLocked()
}

// IsShutdown reports whether the server is shut down (Shutdown or Stop
// without a later Resume).
func (s *Server) IsShutdown() bool {
	s.mu.Lock()
	defer s.unlock()
	return s.shutdown
}

func (s *Server) shutdownLocked() {
	if s.shutdown {
		return
	}
	s.shutdown = true
	s.logs = append(s.logs, logLine{note: "shutting down: every service is NOT_SERVING"})
	s.refreshAllLocked()
}

// entryLocked returns the entry of name, creating an unknown one.
func (s *Server) entryLocked(name string) *entry {
	e, ok := s.entries[name]
	if !ok {
		e = newEntry(name, s.phase)
		s.entries[name] = e
	}
	return e
}

// refreshLocked publishes the status that service should show now, and that
// of "", which may depend on it.
func (s *Server) refreshLocked(service string) {
	if e, ok := s.entries[service]; ok && service != "" {
		s.showLocked(e)
	}
	for name := range s.followers[service] {
		if e, ok := s.entries[name]; ok {
			s.showLocked(e)
		}
	}
	if e, ok := s.entries[""]; ok {
		s.showLocked(e)
	}
}

// refreshAllLocked publishes the status every entry should show now, ""
// last.
func (s *Server) refreshAllLocked() {
	for name, e := range s.entries {
		if name != "" {
			s.showLocked(e)
		}
	}
	if e, ok := s.entries[""]; ok {
		s.showLocked(e)
	}
}

// showLocked publishes the status e should show now.
func (s *Server) showLocked(e *entry) {
	st := s.deriveLocked(e)
	if e.show(st, s.phase) {
		s.logs = append(s.logs, logLine{service: e.name, status: st})
	}
}

// drainLocked ends the drain delay: every open Watch ends once it has sent
// the status shown now, and new ones are held for one more drain delay.
func (s *Server) drainLocked() {
	if s.phase != running {
		return
	}
	s.phase = drained
	s.refreshAllLocked()
}

// stopLocked ends every open Watch once it has sent the status shown now,
// and has new ones refused. It cancels the drain timer, if any: there is
// nothing left to drain.
func (s *Server) stopLocked() {
	s.cancelDrainLocked()
	if s.phase == stopped {
		return
	}
	s.phase = stopped
	s.refreshAllLocked()
}

// cancelDrainLocked stops the drain timer of a Shutdown, if one runs.
func (s *Server) cancelDrainLocked() {
	if s.drainTimer != nil {
		s.drainTimer.Stop()
		s.drainTimer = nil
	}
}

// logLine is a status change to log, or a note about the whole server.
type logLine struct {
	note    string
	service string
	status  Status
}

// unlock releases mu, then logs the status changes made while it was held:
// a slow log never holds up Check's writers or Watch streams.
func (s *Server) unlock() {
	logs := s.logs
	s.logs = nil
	s.mu.Unlock()
	for _, l := range logs {
		if l.note != "" {
			logger.Infof("[Health] %s", l.note)
			continue
		}
		logger.Infof("[Health] service %q is now %s", l.service, l.status)
	}
}

// deriveLocked returns the status e should show, in order of precedence:
// unknown if never set; NOT_SERVING while shut down; the status as set if it
// is not SERVING; NOT_SERVING while a checker it depends on fails; the
// status of the service it follows (Follow) while that is set to something
// other than SERVING, or NOT_SERVING while that one's checkers fail; for "",
// what the overall policy says; else SERVING.
func (s *Server) deriveLocked(e *entry) Status {
	switch {
	case !e.known:
		return ServiceUnknown
	case s.shutdown:
		return NotServing
	case e.base != Serving:
		return e.base
	case s.failingLocked(e.name):
		return NotServing
	}
	if p := s.parentLocked(e.name); p != nil {
		switch {
		case p.base != Serving:
			return p.base
		case s.failingLocked(p.name):
			return NotServing
		}
	}
	if e.name != "" {
		return Serving
	}
	switch s.opts.overall {
	case OverallAnyCheck:
		if s.anyFailingLocked() {
			return NotServing
		}
	case OverallAllServices:
		for name, other := range s.entries {
			if name != "" && other.known && other.state.Load().status != Serving {
				return NotServing
			}
		}
	}
	return Serving
}

// publishKnownLocked replaces the lock-free set of known services.
// parentLocked returns the entry service follows, if it is known.
func (s *Server) parentLocked(service string) *entry {
	name, ok := s.parents[service]
	if !ok {
		return nil
	}
	if p, ok := s.entries[name]; ok && p.known {
		return p
	}
	return nil
}

func (s *Server) publishKnownLocked() {
	known := make(map[string]*entry, len(*s.known.Load())+1)
	for name, e := range s.entries {
		if e.known {
			known[name] = e
		}
	}
	s.known.Store(&known)
}

// subscribe registers a Watch of name from peer and returns its entry.
func (s *Server) subscribe(name, peer string) (*entry, error) {
	s.mu.Lock()
	defer s.unlock()
	if s.phase == stopped {
		// Refused before any message, and before the limits, which
		// streams still ending may fill.
		return nil, errDraining()
	}
	if limit := s.opts.maxWatchers; limit > 0 && s.watchers >= limit {
		return nil, errTooManyWatchers(limit)
	}
	if limit := s.opts.maxPeerWatchers; limit > 0 && s.peers[peer] >= limit {
		return nil, errTooManyPeerWatchers(limit)
	}
	e := s.entryLocked(name)
	e.watchers++
	s.watchers++
	s.opened++
	s.peers[peer]++
	return e, nil
}

// unsubscribe undoes subscribe.
func (s *Server) unsubscribe(e *entry, peer string) {
	s.mu.Lock()
	defer s.unlock()
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
	defer s.unlock()
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
