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
// this one. drained tells open Watch streams to end after they have sent
// status: the server is shut down and its drain delay is over.
type state struct {
	status  Status
	drained bool
	changed chan struct{}
}

func newEntry(name string, drained bool) *entry {
	e := &entry{name: name}
	e.state.Store(&state{status: ServiceUnknown, drained: drained, changed: make(chan struct{})})
	return e
}

// show publishes st, with the drained flag, and wakes the watchers, unless
// both are already shown. It reports whether the status changed. Callers
// hold Server.mu, so shows of one entry never race.
func (e *entry) show(st Status, drained bool) bool {
	old := e.state.Load()
	if old.status == st && old.drained == drained {
		return false
	}
	e.state.Store(&state{status: st, drained: drained, changed: make(chan struct{})})
	close(old.changed)
	if old.status == st {
		return false
	}
	e.transitions++
	return true
}
