package healthserver

import (
	"sync/atomic"
)

// entry is one service name the server knows or someone watches.
//
// What it shows is published as an immutable state through an atomic
// pointer: Check reads it without a lock, and a change replaces the state and
// closes the old one's channel, which wakes every Watch of the name at once.
// A Watch that wakes late simply reads the newest state, so a slow watcher
// skips stale statuses and a setter never waits for any watcher.
type entry struct {
	name  string
	state atomic.Pointer[state]

	// Guarded by Server.mu.
	known       bool   // set by SetServingStatus or an export, cleared by removal
	base        Status // the status as set
	watchers    int    // open Watch streams on this name
	transitions uint64 // changes of the shown status, for metrics
}

// state is what an entry shows: its status and the server's lifecycle.
// changed is closed when a newer state replaces this one.
type state struct {
	status  Status
	life    lifecycle
	changed chan struct{}
}

func newEntry(name string, life lifecycle) *entry {
	e := &entry{name: name}
	e.state.Store(&state{status: serviceUnknown, life: life, changed: make(chan struct{})})
	return e
}

// show publishes st with the lifecycle, and wakes the watchers, unless both
// are shown already. It reports whether the status changed. Callers hold
// Server.mu, so shows of one entry never race.
func (e *entry) show(st Status, life lifecycle) bool {
	old := e.state.Load()
	if old.status == st && old.life == life {
		return false
	}
	e.state.Store(&state{status: st, life: life, changed: make(chan struct{})})
	close(old.changed)
	if old.status == st {
		return false
	}
	e.transitions++
	return true
}
