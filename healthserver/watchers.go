package healthserver

import (
	"sync"
)

// watchCounter counts open Watch streams, in all and by client, and admits
// a new one only within the limits. It is safe for concurrent use.
type watchCounter struct {
	total, perPeer int // limits; 0 is none

	mu     sync.Mutex
	open   int
	opened uint64 // streams admitted, in all
	peers  map[string]int
}

func newWatchCounter(total, perPeer int) *watchCounter {
	return &watchCounter{total: total, perPeer: perPeer, peers: make(map[string]int)}
}

// admit counts a new stream from peer, or returns the error its client sees
// when a limit is reached.
func (c *watchCounter) admit(peer string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.total > 0 && c.open >= c.total {
		return errTooManyWatchers(c.total)
	}
	if c.perPeer > 0 && c.peers[peer] >= c.perPeer {
		return errTooManyPeerWatchers(c.perPeer)
	}
	c.open++
	c.opened++
	c.peers[peer]++
	return nil
}

// release undoes admit.
func (c *watchCounter) release(peer string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open--
	if c.peers[peer]--; c.peers[peer] <= 0 {
		delete(c.peers, peer)
	}
}

// counts returns the open streams and the streams opened in all.
func (c *watchCounter) counts() (open int, opened uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open, c.opened
}
