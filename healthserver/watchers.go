package healthserver

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// watchCounter counts open Watch streams, in all and by client host, and
// admits a new one only within the limits. The first stream of a host for
// a known name is admitted beyond the limits, up to a reserve of a quarter
// of the total, so that one client that takes every slot cannot keep the
// consumers and balancers that watch each service once from watching it.
// It is safe for concurrent use.
type watchCounter struct {
	total, perHost int // limits; 0 is none
	reserve        int // streams allowed beyond total for first watchers

	mu       sync.Mutex
	open     int
	opened   uint64            // streams admitted, in all
	refused  map[string]uint64 // streams refused, by the limit that refused them
	hosts    map[string]*hostWatches
	warned   time.Time // when a refusal was last logged
	unwarned uint64    // refusals since then
	warn     func(refused uint64, limit, host string)
}

// hostWatches are the open streams of one client host.
type hostWatches struct {
	open  int
	names map[string]int
}

// The limits a stream can be refused by, as metrics label them.
const (
	limitTotal = "total"
	limitHost  = "host"
)

func newWatchCounter(total, perHost int, warn func(refused uint64, limit, host string)) *watchCounter {
	return &watchCounter{
		total: total, perHost: perHost, reserve: total / 4, warn: warn,
		refused: make(map[string]uint64), hosts: make(map[string]*hostWatches),
	}
}

// admit counts a new stream of name from host, or returns the error its
// client sees when a limit is reached; known says whether name is known.
// A refusal is logged at most once a minute (warn is called outside the
// lock).
func (c *watchCounter) admit(host, name string, known bool) error {
	c.mu.Lock()
	hw := c.hosts[host]
	first := known && (hw == nil || hw.names[name] == 0)
	var limit string
	switch {
	case first && (c.total == 0 || c.open < c.total+c.reserve):
		// admitted: a first watcher of a known name
	case c.total > 0 && c.open >= c.total:
		limit = limitTotal
	case c.perHost > 0 && hw != nil && hw.open >= c.perHost:
		limit = limitHost
	}
	if limit != "" {
		c.refused[limit]++
		c.unwarned++
		var log func()
		if now := time.Now(); now.Sub(c.warned) >= time.Minute {
			n := c.unwarned
			c.warned, c.unwarned = now, 0
			log = func() { c.warn(n, limit, host) }
		}
		c.mu.Unlock()
		if log != nil {
			log()
		}
		if limit == limitTotal {
			return errTooManyWatchers(c.total)
		}
		return errTooManyHostWatchers(c.perHost)
	}
	if hw == nil {
		hw = &hostWatches{names: make(map[string]int)}
		c.hosts[host] = hw
	}
	hw.open++
	hw.names[name]++
	c.open++
	c.opened++
	c.mu.Unlock()
	return nil
}

// release undoes admit.
func (c *watchCounter) release(host, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open--
	hw := c.hosts[host]
	hw.open--
	if hw.names[name]--; hw.names[name] == 0 {
		delete(hw.names, name)
	}
	if hw.open == 0 {
		delete(c.hosts, host)
	}
}

// watchCounts are the counters of a watchCounter, for metrics.
type watchCounts struct {
	open    int
	opened  uint64
	refused map[string]uint64
}

func (c *watchCounter) counts() watchCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	refused := make(map[string]uint64, len(c.refused))
	for k, v := range c.refused {
		refused[k] = v
	}
	return watchCounts{open: c.open, opened: c.opened, refused: refused}
}

// hostOf returns the client host of a peer address "ip:port": the IP for
// IPv4, the /64 network for IPv6 (one machine commonly has a whole /64), the
// address itself when it cannot be read.
func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	ip, err := netip.ParseAddr(h)
	if err != nil {
		return h
	}
	if ip.Is4() || ip.Is4In6() {
		return ip.Unmap().String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}
