package clienthealth

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

import (
	"github.com/dubbogo/gost/log/logger"

	"google.golang.org/grpc"
	grpcbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
)

// pool holds the health watches of the process: one per provider address and
// service name, shared by every router through reference counts, and one
// gRPC connection per provider address, shared by the watches on it.
type pool struct {
	backoff backoff

	closed atomic.Bool // set under mu; read without it by routers
	wg     sync.WaitGroup

	mu       sync.Mutex
	channels map[string]*channel
	watches  map[key]*watch
}

// channel is the gRPC connection to one provider address.
type channel struct {
	addr  string
	cc    *grpc.ClientConn
	users int // watches using it, guarded by the pool's mutex
}

// defaultPool is the pool of every router the factory makes.
var defaultPool = newPool(defaultBackoff)

func newPool(b backoff) *pool {
	return &pool{
		backoff:  b,
		channels: make(map[string]*channel),
		watches:  make(map[key]*watch),
	}
}

// acquire returns the watch of k, started if it is new, with one more
// reference. It returns nil, a provider left unwatched and so eligible, once
// the pool is closed or if no connection can be made to the address.
func (p *pool) acquire(k key) *watch {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		return nil
	}
	if w := p.watches[k]; w != nil {
		w.refs++
		return w
	}
	ch := p.channels[k.addr]
	if ch == nil {
		cc, err := grpc.NewClient(k.addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			// Reconnect on the same schedule as the Watch retries, not
			// grpc-go's default that grows to two minutes: a provider
			// restarted on the same address is seen within seconds.
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff: grpcbackoff.Config{
					BaseDelay:  p.backoff.base,
					Multiplier: p.backoff.factor,
					Jitter:     p.backoff.jitter,
					MaxDelay:   p.backoff.max,
				},
				MinConnectTimeout: 5 * time.Second,
			}),
		)
		if err != nil {
			logger.Warnf("[Health] provider %s: cannot watch its health (%v); it stays eligible", k.addr, err)
			return nil
		}
		ch = &channel{addr: k.addr, cc: cc}
		p.channels[k.addr] = ch
	}
	ch.users++
	ctx, cancel := context.WithCancel(context.Background())
	w := &watch{key: k, refs: 1, ch: ch, cancel: cancel}
	p.watches[k] = w
	p.wg.Add(1)
	go p.run(ctx, w, ch.cc)
	return w
}

// release drops one reference to w. The last one stops the watch and, when
// no other watch uses it, closes the connection.
func (p *pool) release(w *watch) {
	if w == nil {
		return
	}
	p.mu.Lock()
	if p.closed.Load() || w.refs == 0 {
		p.mu.Unlock()
		return
	}
	w.refs--
	if w.refs > 0 {
		p.mu.Unlock()
		return
	}
	delete(p.watches, w.key)
	w.cancel()
	cc := p.dropChannelLocked(w)
	p.mu.Unlock()
	if cc != nil {
		_ = cc.Close()
	}
}

// stopUsingChannel lets go of w's connection once w does not watch any more.
func (p *pool) stopUsingChannel(w *watch) {
	p.mu.Lock()
	cc := p.dropChannelLocked(w)
	p.mu.Unlock()
	if cc != nil {
		_ = cc.Close()
	}
}

// dropChannelLocked detaches w from its connection and returns the
// connection if w was its last user: the caller closes it after unlocking.
func (p *pool) dropChannelLocked(w *watch) *grpc.ClientConn {
	ch := w.ch
	if ch == nil {
		return nil
	}
	w.ch = nil
	ch.users--
	if ch.users > 0 {
		return nil
	}
	delete(p.channels, ch.addr)
	return ch.cc
}

// close stops every watch, closes every connection and waits for the watch
// goroutines to end. The pool starts no watch afterwards.
func (p *pool) close() {
	p.mu.Lock()
	p.closed.Store(true)
	for _, w := range p.watches {
		w.cancel()
		w.ch = nil
	}
	conns := make([]*grpc.ClientConn, 0, len(p.channels))
	for _, ch := range p.channels {
		conns = append(conns, ch.cc)
	}
	clear(p.watches)
	clear(p.channels)
	p.mu.Unlock()
	for _, cc := range conns {
		_ = cc.Close()
	}
	p.wg.Wait()
}
