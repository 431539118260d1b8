package healthserver

// follows records which service follows which (see Export: a service key
// follows its interface name). A service follows at most one parent, and
// following is one level deep. Guarded by Server.mu.
type follows struct {
	parents  map[string]string              // name -> the name it follows
	children map[string]map[string]struct{} // name -> the names following it
}

func newFollows() follows {
	return follows{parents: make(map[string]string), children: make(map[string]map[string]struct{})}
}

// set makes child follow parent, replacing what it followed before.
func (f follows) set(child, parent string) {
	f.end(child)
	f.parents[child] = parent
	c := f.children[parent]
	if c == nil {
		c = make(map[string]struct{})
		f.children[parent] = c
	}
	c[child] = struct{}{}
}

// end ends the Follow of child, if any.
func (f follows) end(child string) {
	parent, ok := f.parents[child]
	if !ok {
		return
	}
	delete(f.parents, child)
	delete(f.children[parent], child)
	if len(f.children[parent]) == 0 {
		delete(f.children, parent)
	}
}

func (f follows) parent(child string) (string, bool) {
	p, ok := f.parents[child]
	return p, ok
}

// childrenOf returns the set of names following parent; it must not be
// modified.
func (f follows) childrenOf(parent string) map[string]struct{} {
	return f.children[parent]
}
