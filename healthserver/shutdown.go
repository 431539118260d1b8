package healthserver

import (
	"time"
)

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
	if s.life != serving {
		return
	}
	if s.opts.drainDelay <= 0 {
		s.moveLocked(drained)
		return
	}
	s.moveLocked(shuttingDown)
	s.drainGen++
	gen := s.drainGen
	s.drainTimer = time.AfterFunc(s.opts.drainDelay, func() {
		s.mu.Lock()
		defer s.unlock()
		// A Resume, or a Resume and a new Shutdown, may have come between
		// the timer firing and this lock: only the current shutdown drains.
		if s.life == shuttingDown && s.drainGen == gen {
			s.moveLocked(drained)
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
	if s.life < stopped {
		s.moveLocked(stopped)
	}
}

// Resume undoes Shutdown and Stop (not Close): every service shows again the
// status it would have had without them, including NOT_SERVING set on purpose
// before or during the shutdown. Watch streams that were ended stay ended;
// clients open new ones.
func (s *Server) Resume() {
	s.mu.Lock()
	defer s.unlock()
	if s.life != serving && s.life != closed {
		s.moveLocked(serving)
	}
}

// Close stops the server for good: like Stop, every service shows
// NOT_SERVING and every Watch ends; in addition every checker stops, and
// later SetServingStatus and AddChecker fail with ErrClosed. Close cancels
// the checkers' runs in progress and waits for them, each up to its timeout
// (a checker that ignores its context may finish its current run later).
// Calling Close again does nothing.
func (s *Server) Close() {
	s.mu.Lock()
	if s.life == closed {
		s.unlock()
		return
	}
	// Down before the checkers go, so that no status is derived without
	// them while still serving.
	s.moveLocked(closed)
	s.unlock()
	s.runner.Close()
}

// moveLocked moves the server to life and shows every entry's status in it.
func (s *Server) moveLocked(life lifecycle) {
	if s.drainTimer != nil && life != shuttingDown {
		s.drainTimer.Stop()
		s.drainTimer = nil
	}
	from := s.life
	s.life = life
	s.lifeNow.Store(uint32(life))
	switch {
	case !from.down() && life.down():
		s.pending = append(s.pending, event{note: "shutting down: every service is NOT_SERVING"})
	case from.down() && !life.down():
		s.pending = append(s.pending, event{note: "resumed: services show their own status again"})
	}
	s.refreshAllLocked()
}

// lifecycleNow returns the lifecycle without taking mu.
func (s *Server) lifecycleNow() lifecycle {
	return lifecycle(s.lifeNow.Load())
}
