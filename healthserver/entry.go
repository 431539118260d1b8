package healthserver

import (
	"sync/atomic"
)

// entry is one service name the server knows or someone watches.
//
// Its shown status is published as an immutable state through an atomic
// pointer: Check reads it without a lock, and a change replaces the state and
// closes the old one's channel, which wakes every Watch of the name at once.
// A Watch that wakes late simply reads the newest state, so a slow watcher
// skips stale statuses and a setter never waits for any watcher.
type entry struct {
	name  string
	state atomic.Pointer[state]

	// Guarded by Server.mu.
	known       bool   // set by SetServingStatus, cleared by Remove
	base        Status // the status as set: what is shown while not shut down
	watchers    int    // open Watch streams on this name
	transitions uint64 // changes of the shown status, for metrics
}

// state is a published status. changed is closed when a newer state replaces
// this one. phase tells open Watch streams whether to end after they have
// sent status.
type state struct {
	status  Status
	phase   phase
	changed chan struct{}
}

// phase is where the server is in a shutdown, as far as Watch streams care.
type phase uint8

const (
	// running: Watch streams stay open.
	running phase = iota
	// drained: the drain delay after Shutdown is over. Watch streams that
	// were open end; a Watch opened from now on is held open for one more
	// drain delay and then ends, so that clients which reopen at once
	// (grpc-go's health checking does after any message) do not spin.
	drained
	// stopped: Stop or Close; every Watch stream ends at once, and new
	// ones are refused before any message.
	stopped
)

func newEntry(name string, ph phase) *entry {
	e := &entry{name: name}
	e.state.Store(&state{status: ServiceUnknown, phase: ph, changed: make(chan struct{})})
	return e
}

// show publishes st, with the phase, and wakes the watchers, unless both are
// already shown. It reports whether the status changed. Callers hold
// Server.mu, so shows of one entry never race.
func (e *entry) show(st Status, ph phase) bool {
	old := e.state.Load()
	if old.status == st && old.phase == ph {
		return false
	}
	e.state.Store(&state{status: st, phase: ph, changed: make(chan struct{})})
	close(old.changed)
	if old.status == st {
		return false
	}
	e.transitions++
	return true
}
