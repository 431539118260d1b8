package clienthealth

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"
)

import (
	"github.com/dubbogo/gost/log/logger"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common/constant"

	"github.com/dubbo-health/health/healthserver"
)

// state is what a consumer knows about the health of one service on one
// provider.
type state int32

const (
	// pending: the Watch has not answered yet.
	pending state = iota
	// serving: the last status was SERVING.
	serving
	// notServing: the last status was NOT_SERVING, UNKNOWN or
	// SERVICE_UNKNOWN.
	notServing
	// failing: the Watch failed or ended; it is retried with backoff.
	failing
	// unimplemented: the provider has no health service; not watched any
	// more.
	unimplemented
	// refused: the provider's health service refused the Watch with
	// ResourceExhausted (its limit of Watch streams), Unauthenticated or
	// PermissionDenied (its security filters). Its health is unknown, not
	// bad, so it is eligible as without health checking; the Watch is
	// retried with backoff.
	refused
)

// eligible reports whether a provider in state s takes part in load
// balancing.
func (s state) eligible() bool { return s == serving || s == unimplemented || s == refused }

// key names one watch: a service on a provider address.
type key struct {
	addr    string // host:port of the provider's Triple port
	service string // the name asked for: url.ServiceKey()
	token   string // the provider's token, sent as dubbo-go's consumers do; "" for none
}

// watch is one health Watch of a service on a provider, shared by every
// router that holds a reference to it.
type watch struct {
	key   key
	state atomic.Int32

	// Guarded by the pool's mutex.
	refs   int
	ch     *channel // the connection it uses; nil once it stopped using it
	cancel context.CancelFunc
}

// current returns the watch's state. A nil watch (a provider that is not
// watched) is always eligible.
func (w *watch) current() state {
	if w == nil {
		return unimplemented
	}
	return state(w.state.Load())
}

// set records s and logs the change, if it is one.
func (w *watch) set(s state, detail string) {
	old := state(w.state.Swap(int32(s)))
	if old == s {
		return
	}
	switch {
	case s == serving && old == pending:
		logger.Debugf("[Health] provider %s %s: SERVING, eligible", w.key.addr, w.key.service)
	case s == serving:
		logger.Infof("[Health] provider %s %s: SERVING, eligible again", w.key.addr, w.key.service)
	case s == unimplemented:
		logger.Infof("[Health] provider %s has no health service (%s): eligible, not watched", w.key.addr, detail)
	case s == refused:
		logger.Warnf("[Health] provider %s %s: health watch refused (%s), eligible until it can be watched", w.key.addr, w.key.service, detail)
	case s == notServing:
		logger.Warnf("[Health] provider %s %s: %s, left out of load balancing", w.key.addr, w.key.service, detail)
	case s == failing:
		logger.Warnf("[Health] provider %s %s: health watch failed (%s), left out of load balancing until it answers", w.key.addr, w.key.service, detail)
	}
}

// fromStatus maps a status a Watch sent to a state.
func fromStatus(st healthpb.HealthCheckResponse_ServingStatus) state {
	if st == healthpb.HealthCheckResponse_SERVING {
		return serving
	}
	return notServing
}

// run keeps w's Watch open on cc until ctx ends or the provider turns out
// to have no health service.
func (p *pool) run(ctx context.Context, w *watch, cc *grpc.ClientConn) {
	defer p.wg.Done()
	cli := healthpb.NewHealthClient(cc)
	req := &healthpb.HealthCheckRequest{Service: w.key.service}
	for attempt := 0; ; attempt++ {
		// Only SERVING starts the backoff over: a provider that is
		// shutting down answers each new Watch with NOT_SERVING and ends
		// it, and must not be asked again at the base delay all along.
		err := watchOnce(ctx, cli, req, w, func() { attempt = 0 })
		if ctx.Err() != nil {
			return
		}
		switch code := status.Code(err); {
		case code == codes.Unimplemented:
			w.set(unimplemented, describe(err))
			p.stopUsingChannel(w)
			return
		case w.current() == notServing:
			// The provider said it is not serving; the end of the
			// stream or a failed retry, refused ones included, tells
			// nothing new.
		case code == codes.ResourceExhausted, code == codes.Unauthenticated, code == codes.PermissionDenied:
			w.set(refused, describe(err))
		default:
			w.set(failing, describe(err))
		}
		t := time.NewTimer(p.backoff.delay(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// watchOnce opens one Watch stream and records every status it sends until
// it ends. serving is called on each SERVING received.
func watchOnce(ctx context.Context, cli healthpb.HealthClient, req *healthpb.HealthCheckRequest, w *watch, serving func()) error {
	// Ask for the true status: a provider with dubbo-health shows dubbo-go's
	// own consumers NOT_SERVING only when it shuts down.
	md := []string{healthserver.WatcherHeader, "clienthealth"}
	if w.key.token != "" {
		// The provider's token, as dubbo-go's consumers send it to its
		// business services: a provider's health runs its token filter.
		md = append(md, constant.TokenKey, w.key.token)
	}
	ctx = metadata.AppendToOutgoingContext(ctx, md...)
	stream, err := cli.Watch(ctx, req)
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		if resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			serving()
		}
		w.set(fromStatus(resp.GetStatus()), resp.GetStatus().String())
	}
}

// describe returns err's text on one line, cut to a length fit for a log.
func describe(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// backoff spaces the retries of a failed Watch: base, growing by factor per
// attempt up to max, each delay moved by up to ±jitter of itself.
type backoff struct {
	base, max time.Duration
	factor    float64
	jitter    float64
}

// defaultBackoff is the retry schedule of every Watch: 100ms, 160ms, 256ms,
// ... up to 5s, ±20%.
var defaultBackoff = backoff{base: 100 * time.Millisecond, max: 5 * time.Second, factor: 1.6, jitter: 0.2}

// delay returns the wait before retry number attempt (0 for the first).
func (b backoff) delay(attempt int) time.Duration {
	d := float64(b.base) * math.Pow(b.factor, float64(attempt))
	if d > float64(b.max) || math.IsInf(d, 1) {
		d = float64(b.max)
	}
	d *= 1 + b.jitter*(2*rand.Float64()-1)
	return time.Duration(d)
}
