package healthserver

import (
	"sync"
)

// Export records that a service is served, as a framework does when it
// exports one: iface is its interface name ("greet.GreetService") and key
// its service key ("g1/greet.GreetService:1.0.0"), or "" or iface when it
// has no group or version. scope names where it is served (the listener
// address, for example); "" when the server has one.
//
// The first export of a name marks it SERVING unless a status was set for it
// before (a NOT_SERVING set while warming up is kept). The key follows the
// interface name: while iface is set to something other than SERVING, or one
// of its checkers fails, key shows the same, so one SetServingStatus on the
// interface name reaches the clients that ask by key too.
//
// The returned function undoes the export; calling it again does nothing.
// When the last export of a name is undone the name becomes unknown, except
// while the server is down (after Shutdown, Stop or Close), when it keeps
// showing NOT_SERVING until the listener is gone. Export fails with the name
// errors (ErrNameTooLong, ErrNameNotUTF8) and with ErrClosed.
func (s *Server) Export(scope, iface, key string) (unexport func(), err error) {
	names := []string{iface}
	if key != "" && key != iface {
		names = append(names, key)
	}
	for _, n := range names {
		if err := s.checkName(n); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.unlock()
	if s.life == closed {
		return nil, ErrClosed
	}
	// The key follows before it is known, so that it never shows SERVING
	// while its interface name is held NOT_SERVING.
	if len(names) == 2 {
		s.follows.set(names[1], names[0])
	}
	for _, n := range names {
		s.exports[n]++
		if e, ok := s.entries[n]; s.exports[n] == 1 && !(ok && e.known) {
			s.setLocked(n, Serving)
		}
	}
	var once sync.Once
	return func() { once.Do(func() { s.unexport(names) }) }, nil
}

// unexport undoes one Export of names.
func (s *Server) unexport(names []string) {
	s.mu.Lock()
	defer s.unlock()
	// The key goes first: removed after its interface name, it would show
	// its own SERVING for a moment.
	for i := len(names) - 1; i >= 0; i-- {
		n := names[i]
		if s.exports[n]--; s.exports[n] > 0 {
			continue
		}
		delete(s.exports, n)
		if !s.life.down() {
			s.removeLocked(n)
		}
	}
}
