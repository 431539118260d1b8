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
	known       bool           // set by SetServingStatus or an export, cleared by removal
	base        Status         // the status as set
	exports     map[string]int // live exports by scope
	watchers    int            // open Watch streams on this name
	transitions uint64         // changes of the shown status, for metrics
}

// state is what an entry shows: its status, the server's lifecycle, and the
// scopes it is exported on (nil: never exported, so served everywhere).
// changed is closed when a newer state replaces this one.
type state struct {
	status  Status
	life    lifecycle
	scopes  scopeSet
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
	e.state.Store(&state{status: st, life: life, scopes: old.scopes, changed: make(chan struct{})})
	close(old.changed)
	if old.status == st {
		return false
	}
	if old.status != serviceUnknown && st != serviceUnknown {
		e.transitions++ // becoming known or unknown is not a transition
	}
	return true
}

// setScopes publishes the scopes e is exported on, as its export counts
// say now. Callers hold Server.mu.
func (e *entry) setScopes() {
	old := e.state.Load()
	e.state.Store(&state{status: old.status, life: old.life, scopes: countsToSet(e.exports), changed: make(chan struct{})})
	close(old.changed)
}

// touch republishes e's state as it is, to wake its watchers. Callers hold
// Server.mu.
func (e *entry) touch() {
	old := e.state.Load()
	e.state.Store(&state{status: old.status, life: old.life, scopes: old.scopes, changed: make(chan struct{})})
	close(old.changed)
}
