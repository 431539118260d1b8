package clienthealth

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"dubbo.apache.org/dubbo-go/v3/cluster/router"
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	"dubbo.apache.org/dubbo-go/v3/common/extension"
	"dubbo.apache.org/dubbo-go/v3/global"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"
	dubbotls "dubbo.apache.org/dubbo-go/v3/tls"
)

// RouterPriority is the priority of the health router in dubbo-go's router
// chain, which runs routers from the lowest priority to the highest. It is
// higher than every router dubbo-go ships (tag, script and polaris 0,
// condition 140 and 145, affinity math.MinInt64), so the health router sees
// the providers that routing rules chose and hands the eligible ones
// straight to the load balancer. A router of your own that must see its
// output needs a priority above this one.
const RouterPriority int64 = math.MaxInt32

// routerName is the name of the router factory in dubbo-go's extension
// registry.
const routerName = "dubbo-health"

func init() {
	extension.SetRouterFactory(routerName, func() router.PriorityRouterFactory {
		return factory{pool: defaultPool}
	})
	// The last step of a graceful shutdown: stop every watch.
	extension.AddCustomShutdownCallback(Disable)
}

// factory makes one health router per router chain.
type factory struct {
	pool *pool
}

// NewPriorityRouter returns a health router for the chain of url, or no
// router when client-side health checking is off.
func (f factory) NewPriorityRouter(url *common.URL) (router.PriorityRouter, error) {
	if !enabled() || f.pool.closed.Load() {
		return nil, nil
	}
	return newRouter(f.pool, url), nil
}

// healthRouter is the PriorityRouter of one router chain (one reference, or
// one group of a reference). It is safe for concurrent use: Notify replaces
// an immutable snapshot that Route reads without a lock.
type healthRouter struct {
	url      *common.URL
	service  string // for logs
	fallback bool   // when none is eligible: all providers (true) or none
	noneErr  error  // the error of calls when none is eligible and fallback is false
	pool     *pool

	held     *holdings
	snapshot atomic.Pointer[snapshot]
	starved  atomic.Bool // no provider eligible at the last Route
}

// snapshot maps each provider of the last Notify to its watch; a provider
// that is not watched maps to nil or is absent, and is always eligible.
type snapshot struct {
	watches map[base.Invoker]*watch
}

// holdings are the references a router holds in the pool, one per key.
// They live apart from the router so that a router the garbage collector
// reclaims can still release them (see newRouter).
type holdings struct {
	pool  *pool
	mu    sync.Mutex
	byKey map[key]*watch
}

func newRouter(p *pool, url *common.URL) *healthRouter {
	r := &healthRouter{
		url:      url,
		service:  serviceOf(url),
		fallback: fallbackOf(url),
		pool:     p,
		held:     &holdings{pool: p, byKey: make(map[key]*watch)},
	}
	r.noneErr = newNoProviderError(r.service)
	// dubbo-go never tells a router that its chain is gone (a static
	// directory's Destroy leaves its routers alone, and a reference with
	// several groups builds new chains on every registry change), so the
	// references of a router that is collected are released here.
	runtime.AddCleanup(r, (*holdings).releaseAll, r.held)
	return r
}

// Route returns the providers of invokers that are eligible; see the
// package documentation for the rules. It reads cached state only, never
// modifies invokers, and returns invokers itself, without allocating, when
// every provider is eligible.
func (r *healthRouter) Route(invokers []base.Invoker, _ *common.URL, _ base.Invocation) []base.Invoker {
	if len(invokers) == 0 || disabled.Load() || r.pool.closed.Load() {
		return invokers
	}
	s := r.snapshot.Load()
	if s == nil || len(s.watches) == 0 {
		return invokers
	}
	// Each provider's state is read once: counting and picking from two
	// reads could pick nothing when a state flips in between, and an empty
	// list breaks dubbo-go's callers. The states are kept only from the
	// first provider that is not eligible on (all of them are needed only
	// to pick), on the stack unless the list is long.
	var onStack [16]state
	var states []state
	eligible, waiting := 0, 0
	for i, inv := range invokers {
		st := s.watches[inv].current()
		if states == nil && !st.eligible() {
			states = onStack[:0]
			for range i {
				states = append(states, serving) // every one before was eligible
			}
		}
		if states != nil {
			states = append(states, st)
		}
		switch {
		case st.eligible():
			eligible++
		case st == pending:
			waiting++
		}
	}
	switch {
	case eligible == len(invokers):
		r.fed(eligible, len(invokers))
		return invokers
	case eligible > 0:
		r.fed(eligible, len(invokers))
		return pick(invokers, states, eligible, state.eligible)
	case waiting > 0:
		// Nothing is known to be SERVING yet, but some providers have
		// not answered: their health is unknown, as without this
		// package, so they are tried rather than ones known to be bad.
		return pick(invokers, states, waiting, func(st state) bool { return st == pending })
	}
	if r.starved.CompareAndSwap(false, true) {
		if r.fallback {
			logger.Warnf("[Health] no provider of %s is SERVING: falling back to all %d providers", r.service, len(invokers))
		} else {
			logger.Warnf("[Health] no provider of %s is SERVING: calls fail until one is", r.service)
		}
	}
	if r.fallback {
		return invokers
	}
	return []base.Invoker{&noProvider{url: invokers[0].GetURL(), err: r.noneErr}}
}

// fed logs the end of a period with no eligible provider.
func (r *healthRouter) fed(eligible, total int) {
	if r.starved.Load() && r.starved.CompareAndSwap(true, false) {
		logger.Infof("[Health] %s: %d of %d providers are eligible again", r.service, eligible, total)
	}
}

// pick returns a new slice with the n providers of invokers whose state,
// states[i] for invokers[i], satisfies keep.
func pick(invokers []base.Invoker, states []state, n int, keep func(state) bool) []base.Invoker {
	out := make([]base.Invoker, 0, n)
	for i, inv := range invokers {
		if keep(states[i]) {
			out = append(out, inv)
		}
	}
	return out
}

// Notify receives every provider of the chain. It holds a watch for each
// new provider and releases the watches of providers that left.
func (r *healthRouter) Notify(invokers []base.Invoker) {
	if !enabled() {
		r.snapshot.Store(nil)
		r.held.releaseAll()
		return
	}
	next := &snapshot{watches: make(map[base.Invoker]*watch, len(invokers))}
	r.held.mu.Lock()
	old := r.held.byKey
	keep := make(map[key]*watch, len(invokers))
	for _, inv := range invokers {
		k, ok := watchKey(inv)
		if !ok {
			continue
		}
		w, ok := keep[k]
		if !ok {
			if w = old[k]; w == nil {
				w = r.pool.acquire(k)
			}
			keep[k] = w
		}
		if w != nil {
			next.watches[inv] = w
		}
	}
	r.held.byKey = keep
	r.snapshot.Store(next)
	r.held.mu.Unlock()
	for k, w := range old {
		if keep[k] != w {
			r.pool.release(w)
		}
	}
}

// URL returns the URL of the chain the router was made for.
func (r *healthRouter) URL() *common.URL { return r.url }

// Priority returns RouterPriority.
func (r *healthRouter) Priority() int64 { return RouterPriority }

// releaseAll releases every reference of h.
func (h *holdings) releaseAll() {
	h.mu.Lock()
	held := h.byKey
	h.byKey = make(map[key]*watch)
	h.mu.Unlock()
	for _, w := range held {
		h.pool.release(w)
	}
}

// watchKey returns what to watch for a provider: its Triple address and the
// service key it is called by. Providers on other protocols, and Triple
// providers reached over TLS, are not watched.
func watchKey(inv base.Invoker) (key, bool) {
	u := inv.GetURL()
	if u == nil || u.Protocol != constant.TriProtocol || u.Location == "" {
		return key{}, false
	}
	if raw, ok := u.GetAttribute(constant.TLSConfigKey); ok {
		if conf, ok := raw.(*global.TLSConfig); ok && dubbotls.IsClientTLSValid(conf) {
			return key{}, false
		}
	}
	return key{addr: u.Location, service: u.ServiceKey(), token: u.GetParam(constant.TokenKey, "")}, true
}

// serviceOf names the service of a chain's URL in logs.
func serviceOf(url *common.URL) string {
	if url == nil {
		return ""
	}
	if url.SubURL != nil {
		return url.SubURL.ServiceKey()
	}
	return url.ServiceKey()
}
