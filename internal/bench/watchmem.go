package bench

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

import (
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

import (
	"github.com/dubbo-health/health/healthserver"
	"github.com/dubbo-health/health/triple_health"
)

// The handlers MeasureHandler knows.
const (
	HandlerOurs   = "dubbo-health"
	HandlerGRPCGo = "grpc-go"
)

// HandlerWatch is what open Watch calls of a health handler cost by
// themselves, without a transport: each call's goroutine, its stack and the
// handler's own bookkeeping, and the delivery of a status change to all of
// them.
type HandlerWatch struct {
	// Watches is the number of open Watch calls measured.
	Watches int
	// HeapPerWatch and StackPerWatch are HeapInuse and StackInuse (after a
	// GC) per open call, in bytes.
	HeapPerWatch, StackPerWatch float64
	// GoroutinesPerWatch is the number of goroutines per open call.
	GoroutinesPerWatch float64
	// Flips is the number of status changes timed.
	Flips int
	// FlipWall is the median time from SetServingStatus until every call
	// has sent the new status; FlipCPU the CPU time of the process per
	// change (0 where it cannot be read).
	FlipWall, FlipCPU time.Duration
}

// MeasureHandler opens n Watch calls of service on one handler, this
// module's healthserver.Handler (HandlerOurs) or grpc-go's health.Server
// (HandlerGRPCGo), each in its own goroutine with a stream that discards
// what it is sent, and measures this process's memory per open call; then it
// flips the status flips times and times the delivery to every call.
//
// Measure each handler in a fresh process: the runtime never frees the
// goroutine descriptors of ended goroutines, so a second measurement in the
// same process reuses those of the first and looks cheaper.
func MeasureHandler(handler string, n, flips int, service string) (HandlerWatch, error) {
	switch handler {
	case HandlerOurs:
		hs := healthserver.New()
		if err := hs.SetServingStatus(service, healthserver.Serving); err != nil {
			return HandlerWatch{}, err
		}
		h := hs.Handler()
		req := &triple_health.HealthCheckRequest{Service: service}
		set := func(serving bool) error {
			st := healthserver.NotServing
			if serving {
				st = healthserver.Serving
			}
			return hs.SetServingStatus(service, st)
		}
		return measureWatches(n, flips, set, func(ctx context.Context, sent func()) error {
			return h.Watch(ctx, req, &discardTripleStream{sent: sent})
		})
	case HandlerGRPCGo:
		gs := health.NewServer()
		gs.SetServingStatus(service, healthpb.HealthCheckResponse_SERVING)
		req := &healthpb.HealthCheckRequest{Service: service}
		set := func(serving bool) error {
			st := healthpb.HealthCheckResponse_NOT_SERVING
			if serving {
				st = healthpb.HealthCheckResponse_SERVING
			}
			gs.SetServingStatus(service, st)
			return nil
		}
		return measureWatches(n, flips, set, func(ctx context.Context, sent func()) error {
			return gs.Watch(req, &discardGRPCStream{ctx: ctx, sent: sent})
		})
	default:
		return HandlerWatch{}, fmt.Errorf("unknown handler %q", handler)
	}
}

// measureWatches runs n calls of watch until each has sent its first
// message, measures the memory they hold, then times flips status changes
// made with set.
func measureWatches(n, flips int, set func(serving bool) error, watch func(ctx context.Context, sent func()) error) (HandlerWatch, error) {
	before := memNow()
	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg   sync.WaitGroup
		sent atomic.Int64
	)
	defer func() {
		cancel()
		wg.Wait()
	}()
	onSend := func() { sent.Add(1) }
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = watch(ctx, onSend)
		}()
	}
	if err := waitSent(&sent, int64(n)); err != nil {
		return HandlerWatch{}, err
	}
	after := memNow()
	f := float64(n)
	res := HandlerWatch{
		Watches:            n,
		HeapPerWatch:       (float64(after.HeapInuse) - float64(before.HeapInuse)) / f,
		StackPerWatch:      (float64(after.StackInuse) - float64(before.StackInuse)) / f,
		GoroutinesPerWatch: float64(after.goroutines-before.goroutines) / f,
		Flips:              flips,
	}

	walls := make([]time.Duration, 0, flips)
	cpu0 := selfCPU()
	for i := range flips {
		t0 := time.Now()
		if err := set(i%2 == 1); err != nil {
			return res, err
		}
		if err := waitSent(&sent, int64(n)*int64(i+2)); err != nil {
			return res, err
		}
		walls = append(walls, time.Since(t0))
	}
	if flips > 0 {
		res.FlipWall = MedianDuration(walls)
		res.FlipCPU = (selfCPU() - cpu0) / time.Duration(flips)
	}
	return res, nil
}

// waitSent waits until sent reaches want, for at most 30 seconds.
func waitSent(sent *atomic.Int64, want int64) error {
	deadline := time.Now().Add(30 * time.Second)
	for sent.Load() < want {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d messages sent within 30s", sent.Load(), want)
		}
		time.Sleep(20 * time.Microsecond)
	}
	return nil
}

type memSample struct {
	HeapInuse, StackInuse uint64
	goroutines            int
}

// memNow collects twice (the first GC only sets sync.Pool contents aside)
// and samples the memory in use.
func memNow() memSample {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memSample{HeapInuse: m.HeapInuse, StackInuse: m.StackInuse, goroutines: runtime.NumGoroutine()}
}

// discardTripleStream is a triple_health.Health_WatchServer that discards
// what it is sent.
type discardTripleStream struct {
	sent func()
}

var _ triple_health.Health_WatchServer = (*discardTripleStream)(nil)

func (s *discardTripleStream) Send(*triple_health.HealthCheckResponse) error {
	s.sent()
	return nil
}

func (s *discardTripleStream) ResponseHeader() http.Header    { return nil }
func (s *discardTripleStream) ResponseTrailer() http.Header   { return nil }
func (s *discardTripleStream) Conn() tri.StreamingHandlerConn { return peerConn{} }

// peerConn is the stream's connection; the handler only asks for its peer
// and its request headers (a grpc-go client's: the true status).
type peerConn struct {
	tri.StreamingHandlerConn // nil: any other method panics
}

func (peerConn) Peer() tri.Peer { return tri.Peer{Addr: "127.0.0.1:1"} }

func (peerConn) RequestHeader() http.Header { return grpcGoHeader }

// grpcGoHeader is the request header of a grpc-go client's Watch.
var grpcGoHeader = http.Header{"User-Agent": {"grpc-go/1.72.0"}, "Content-Type": {"application/grpc"}}

// discardGRPCStream is a grpc_health_v1.Health_WatchServer that discards
// what it is sent.
type discardGRPCStream struct {
	ctx  context.Context
	sent func()
}

var (
	_ healthpb.Health_WatchServer = (*discardGRPCStream)(nil)
	_ grpc.ServerStream           = (*discardGRPCStream)(nil)
)

func (s *discardGRPCStream) Send(*healthpb.HealthCheckResponse) error {
	s.sent()
	return nil
}

func (s *discardGRPCStream) SetHeader(metadata.MD) error  { return nil }
func (s *discardGRPCStream) SendHeader(metadata.MD) error { return nil }
func (s *discardGRPCStream) SetTrailer(metadata.MD)       {}
func (s *discardGRPCStream) Context() context.Context     { return s.ctx }
func (s *discardGRPCStream) SendMsg(any) error            { return nil }
func (s *discardGRPCStream) RecvMsg(any) error            { return nil }
