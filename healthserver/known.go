package healthserver

import (
	"sync"
	"sync/atomic"
)

// knownSet is the set of known services, read without a lock: Check looks a
// name up in it (no allocation), List ranges over it. Adding or removing a
// name costs the same whatever the number of names. Changes are made under
// Server.mu, after the entry's state is published, so that a reader that
// finds a name finds its status too.
type knownSet struct {
	m sync.Map // name -> *entry
	n atomic.Int64
}

func (k *knownSet) load(name string) (*entry, bool) {
	v, ok := k.m.Load(name)
	if !ok {
		return nil, false
	}
	return v.(*entry), true
}

func (k *knownSet) add(e *entry) {
	if _, loaded := k.m.LoadOrStore(e.name, e); !loaded {
		k.n.Add(1)
	}
}

func (k *knownSet) remove(name string) {
	if _, loaded := k.m.LoadAndDelete(name); loaded {
		k.n.Add(-1)
	}
}

// len returns the number of known names.
func (k *knownSet) len() int { return int(k.n.Load()) }

// each calls f for every known name until f returns false.
func (k *knownSet) each(f func(e *entry) bool) {
	k.m.Range(func(_, v any) bool { return f(v.(*entry)) })
}
