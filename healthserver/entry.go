package healthserver

import (
	"sync"
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
// this one.
type state struct {
	status  Status
	changed chan struct{}
}

func newEntry(name string) *entry {
	e := &entry{name: name}
	e.state.Store(&state{status: ServiceUnknown, changed: make(chan struct{})})
	return e
}

// show publishes st and wakes the watchers, unless st is already shown. It
// reports whether the shown status changed. Callers hold Server.mu, so shows
// of one entry never race.
func (e *entry) show(st Status) bool {
	old := e.state.Load()
	if old.status == st {
		return false
	}
	e.state.Store(&state{status: st, changed: make(chan struct{})})
	close(old.changed)
	e.transitions++
	return true
}

// drain tells open Watch streams to end. It is closed once and never reopened;
// Resume installs a new one if the old one was closed.
type drain struct {
	once sync.Once
	ch   chan struct{}
}

func newDrain() *drain { return &drain{ch: make(chan struct{})} }

func (d *drain) close() { d.once.Do(func() { close(d.ch) }) }

func (d *drain) closed() bool {
	select {
	case <-d.ch:
		return true
	default:
		return false
	}
}
