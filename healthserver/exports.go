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
		e := s.entryLocked(n)
		first := len(e.exports) == 0
		if e.exports == nil {
			e.exports = make(map[string]int)
		}
		if e.exports[scope]++; e.exports[scope] == 1 {
			e.setScopes()
		}
		if first && !e.known {
			s.setLocked(n, Serving)
		}
	}
	var once sync.Once
	return func() { once.Do(func() { s.unexport(scope, names) }) }, nil
}

// unexport undoes one Export of names on scope.
func (s *Server) unexport(scope string, names []string) {
	s.mu.Lock()
	defer s.unlock()
	// The key goes first: removed after its interface name, it would show
	// its own SERVING for a moment.
	for i := len(names) - 1; i >= 0; i-- {
		e := s.entries[names[i]]
		if e.exports[scope]--; e.exports[scope] > 0 {
			continue
		}
		delete(e.exports, scope)
		if len(e.exports) > 0 {
			e.setScopes()
			continue
		}
		// The last export. While the server is down the name keeps
		// showing NOT_SERVING (on the scopes it was served on) until the
		// listener is gone.
		if !s.life.down() {
			e.exports = nil
			e.setScopes()
			s.removeLocked(e.name)
		}
	}
}
