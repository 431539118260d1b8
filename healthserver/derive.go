package healthserver

// The status a service shows is derived, in this order of precedence:
//
//  1. SERVICE_UNKNOWN if the name is not known (never set nor exported, or
//     removed);
//  2. NOT_SERVING while the server is down (Shutdown, Stop, Close), and for ""
//     before the first Ready when the server was made WithReadiness;
//  3. the status as set, if it is not SERVING;
//  4. NOT_SERVING while one of the service's checkers fails;
//  5. what the service it follows was set to, if that is not SERVING, or
//     NOT_SERVING while that one's checkers fail (one level only);
//  6. for "", what the overall policy says (WithOverallPolicy);
//  7. SERVING.
//
// Everything a derivation reads is guarded by Server.mu, and every change of
// an input refreshes the entries that depend on it: the service itself, the
// services that follow it, and "".

// deriveLocked returns the status e should show now.
func (s *Server) deriveLocked(e *entry) Status {
	switch {
	case !e.known:
		return serviceUnknown
	case s.life.down():
		return NotServing
	case e.name == "" && s.opts.readiness && len(*s.ready.Load()) == 0:
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
	if e.name == "" && !s.overallServingLocked() {
		return NotServing
	}
	return Serving
}

// overallServingLocked applies the overall policy to "".
func (s *Server) overallServingLocked() bool {
	switch s.opts.overall {
	case OverallAnyCheck:
		for service := range s.checks {
			if s.failingLocked(service) {
				return false
			}
		}
	case OverallAllServices:
		for name, other := range s.entries {
			if name != "" && other.known && other.state.Load().status != Serving {
				return false
			}
		}
	}
	return true
}

// parentLocked returns the known entry service follows, or nil.
func (s *Server) parentLocked(service string) *entry {
	name, ok := s.follows.parent(service)
	if !ok {
		return nil
	}
	if p, ok := s.entries[name]; ok && p.known {
		return p
	}
	return nil
}

// refreshLocked shows the status of service, of the services that follow it,
// and of "", which may depend on it, as derived now.
func (s *Server) refreshLocked(service string) {
	if e, ok := s.entries[service]; ok && service != "" {
		s.showLocked(e)
	}
	for name := range s.follows.childrenOf(service) {
		if e, ok := s.entries[name]; ok {
			s.showLocked(e)
		}
	}
	if e, ok := s.entries[""]; ok {
		s.showLocked(e)
	}
}

// refreshAllLocked shows every entry's status as derived now, "" last.
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

// showLocked publishes the status e should show now, with the lifecycle.
func (s *Server) showLocked(e *entry) {
	st := s.deriveLocked(e)
	was := e.state.Load().status
	if e.show(st, s.life) {
		s.pending = append(s.pending, event{service: e.name, status: st, first: was == serviceUnknown})
	}
}
