package healthserver

import (
	"context"
	"time"
)

import (
	"github.com/dubbo-health/health/triple_health"
)

// Handler serves grpc.health.v1.Health from a Server. It implements
// triple_health.HealthHandler and has no other exported methods but
// Reference, which dubbo-go recognises, so dubbo-go registers it without
// warnings:
//
//	triple_health.RegisterHealthHandler(srv, hs.Handler())
//
// Handler is the only part of the package that speaks the wire: it turns the
// store's state and errors into responses and codes. It is safe for
// concurrent use; Check allocates nothing.
type Handler struct {
	s *Server
}

var _ triple_health.HealthHandler = (*Handler)(nil)

// Reference returns "dubbo-health", the name dubbo-go knows the handler by
// (its reference, which dubbo-go otherwise takes from the type name,
// "Handler"): dubbo-go looks a service up in the provider.services of its
// configuration by this name, so an entry meant for a business type named
// Handler never configures the health service. dubbo-go does not take
// Reference for a method of the service.
func (h *Handler) Reference() string { return "dubbo-health" }

// Handler returns the handler that serves s.
func (s *Server) Handler() *Handler {
	return &Handler{s: s}
}

// Check returns the status of the requested service. An unknown service fails
// with NotFound; a name over the length limit or not UTF-8 fails with
// InvalidArgument. A request with a scope (WithScope) is answered for that
// listener: a service exported only elsewhere is unknown. The response is
// shared and must not be modified.
func (h *Handler) Check(ctx context.Context, req *triple_health.HealthCheckRequest) (*triple_health.HealthCheckResponse, error) {
	if err := refusalOf(ctx); err != nil {
		return nil, err
	}
	name := req.GetService()
	if err := h.s.checkName(name); err != nil {
		return nil, wireError(err)
	}
	st, ok := h.s.statusFor(name, scopeOf(ctx))
	if !ok {
		return nil, errUnknownService()
	}
	return response(st), nil
}

// List returns the status of every known service (of the request's scope,
// if it has one). It fails with ResourceExhausted when there are more than
// the limit (WithMaxListServices), and with Unimplemented when List is
// turned off (WithoutList).
func (h *Handler) List(ctx context.Context, _ *triple_health.HealthListRequest) (*triple_health.HealthListResponse, error) {
	if err := refusalOf(ctx); err != nil {
		return nil, err
	}
	if !h.s.opts.listEnabled {
		return nil, errListDisabled()
	}
	limit, scope := h.s.opts.maxList, scopeOf(ctx)
	if scope == "" && h.s.known.len() > limit {
		return nil, errListTooLong(limit)
	}
	out := &triple_health.HealthListResponse{Statuses: make(map[string]*triple_health.HealthCheckResponse, min(h.s.known.len(), limit))}
	tooLong := false
	h.s.known.each(func(e *entry) bool {
		if st := h.s.statusOn(e, e.state.Load(), scope); st != serviceUnknown { // elsewhere, or being removed
			if len(out.Statuses) == limit {
				tooLong = true
				return false
			}
			out.Statuses[e.name] = response(st)
		}
		return true
	})
	if tooLong {
		return nil, errListTooLong(limit)
	}
	return out, nil
}

// Watch sends the status of the requested service at once (SERVICE_UNKNOWN if
// it is unknown; the stream stays open until it becomes known), then every
// change, never the same status twice in a row. A slow reader gets the newest
// status and skips stale ones. The stream ends when the client cancels it, or
// with Unavailable: after Shutdown's drain delay, once it has sent
// NOT_SERVING; one opened after the drain, one drain delay after its status;
// at once on Stop or Close. A Watch opened after Stop or Close is refused
// with Unavailable before any message, and one beyond the limits
// (WithMaxWatchers) fails with ResourceExhausted.
//
// One kind of client is sent NOT_SERVING only once the server is down:
// dubbo-go v3.3.2's consumers, whose invokers Watch their provider and drop
// it from their registry directory on the first NOT_SERVING, for 30 seconds
// or, with an etcd registry, for good; a NOT_SERVING that a checker or the
// program sets for a while would take the provider out of every such
// consumer long after it recovered. Those Watch streams (user agent
// "grpc-go-triple/", no "interface" header) are sent SERVING where the
// status is NOT_SERVING, and NOT_SERVING from the start of a shutdown, for
// whatever name they watch; opened after Stop, they get NOT_SERVING before
// they end. Every other client, and any Watch with the WatcherHeader, gets
// the true status.
//
// A request that the application's security refused (WithRefusal) fails
// with its error, except the Watch of dubbo-go's invoker, which sends no
// credentials: it is sent SERVING, whatever the name, until the server is
// down, then NOT_SERVING, so that its consumer still drops the provider at
// once when it shuts down.
func (h *Handler) Watch(ctx context.Context, req *triple_health.HealthCheckRequest, stream triple_health.Health_WatchServer) error {
	name := req.GetService()
	if err := h.s.checkName(name); err != nil {
		return wireError(err)
	}
	conn := stream.Conn()
	v := viewOf(conn.RequestHeader())
	if err := refusalOf(ctx); err != nil {
		if v != closingView {
			return err
		}
		// dubbo-go's invoker sends no credentials: it is told when the
		// server closes, and nothing else.
		v = lifecycleView
	}
	if h.s.lifecycleNow().refusesWatches() {
		return refuse(v, stream)
	}
	host, scope := hostOf(conn.Peer().Addr), scopeOf(ctx)
	_, known := h.s.statusFor(name, scope)
	if err := h.s.watches.admit(host, name, known); err != nil {
		return err
	}
	defer h.s.watches.release(host, name)
	e := h.s.subscribe(name)
	defer h.s.unsubscribe(e)
	return h.watch(ctx, e, watchView{view: v, scope: scope}, stream)
}

// watchView is what one Watch stream is sent: the view of its client kind
// on the scope of its request.
type watchView struct {
	view  view
	scope string
}

// refuse ends a Watch opened after Stop. It is refused before any message
// and before the limits, which streams still ending may fill: a client
// that got a status would reopen at once (grpc-go's health checking does);
// one that got none backs off. dubbo-go's invoker never reopens, and is
// told NOT_SERVING first so that it drops the provider.
func refuse(v view, stream triple_health.Health_WatchServer) error {
	if v != trueView {
		_ = stream.Send(response(NotServing))
	}
	return errDraining()
}

// watch runs an admitted Watch stream of e until it ends. Only the entry's
// state is watched: a status change or a lifecycle step replaces it and
// closes its channel. One channel per wake-up keeps the fan-out to thousands
// of streams cheap.
func (h *Handler) watch(ctx context.Context, e *entry, v watchView, stream triple_health.Health_WatchServer) error {
	st := e.state.Load()
	if st.life.refusesWatches() {
		return refuse(v.view, stream) // stopped since the check in Watch
	}
	show := func(st *state) Status { return v.view.show(h.s.statusOn(e, st, v.scope), st.life) }
	last := show(st)
	if err := stream.Send(response(last)); err != nil {
		return err
	}
	// A Watch opened after the drain is held open for one drain delay
	// before it ends (see drained); one that has been open while the server
	// served ends as soon as the drain comes.
	late := st.life == drained
	var hold <-chan time.Time
	for {
		switch {
		case st.life.refusesWatches(), st.life.endsWatches() && !late:
			// The status shown with the drain (NOT_SERVING) has been sent.
			return errDraining()
		case st.life.endsWatches() && hold == nil:
			if h.s.opts.drainDelay <= 0 {
				return errDraining()
			}
			t := time.NewTimer(h.s.opts.drainDelay)
			defer t.Stop()
			hold = t.C
		case !st.life.endsWatches():
			late, hold = false, nil // after a Resume
		}
		select {
		case <-st.changed:
			st = e.state.Load()
		case <-hold:
			if st = e.state.Load(); st.life.endsWatches() {
				return errDraining()
			}
			// A Resume came with the timer: the switch above makes this
			// an ordinary Watch again.
		case <-ctx.Done():
			return errEnded(ctx.Err())
		}
		if now := show(st); now != last {
			last = now
			if err := stream.Send(response(last)); err != nil {
				return err
			}
		}
	}
}
