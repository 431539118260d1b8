package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// FanoutOptions shape a Watch fan-out run.
type FanoutOptions struct {
	// Streams is the number of Watch streams, spread over Conns client
	// connections. Go's HTTP/2 server allows 250 streams per connection.
	Streams, Conns int
	// Service is the name watched and flipped.
	Service string
	// Flips is the number of status changes timed: NOT_SERVING, SERVING,
	// NOT_SERVING, ... ending on SERVING when even.
	Flips int
	// Timeout bounds each wait: for every stream to open, for every watcher
	// to have a flip.
	Timeout time.Duration
	// AfterWatching, if not nil, is called right after the server's memory
	// was measured with every stream open (for a heap profile of that
	// moment).
	AfterWatching func()
}

// FanoutResult is the outcome of one fan-out run.
type FanoutResult struct {
	// Streams is the number of streams opened.
	Streams int
	// Open is the time from starting the streams until every one received
	// its first status.
	Open time.Duration
	// Idle is the server before the client connected, Conns with the
	// connections open and checked, Watching with every stream open,
	// Closed after the streams and connections closed.
	Idle, Conns, Watching, Closed Mem
	// HeapPerStream, RSSPerStream and GoroutinesPerStream are the
	// differences between Watching and Conns divided by Streams.
	HeapPerStream, RSSPerStream, GoroutinesPerStream float64
	// HeapPerConn is the difference between Conns and Idle divided by the
	// connections.
	HeapPerConn float64
	// OpenCPU is the CPU time the server used to open the streams and send
	// their first status.
	OpenCPU time.Duration
	// Flips are the timed status changes.
	Flips []Flip
}

// Flip is one timed status change: the time from the control command that
// set it until each watcher received it.
type Flip struct {
	// Status is the status set.
	Status string
	// P50, P99 and Max are percentiles of the delivery times.
	P50, P99, Max time.Duration
	// ServerCPU is the CPU time the server used from the command until the
	// last watcher had the status.
	ServerCPU time.Duration
}

type watchEvent struct {
	status healthpb.HealthCheckResponse_ServingStatus
	at     time.Time
	err    error
}

// RunFanout opens o.Streams Watch streams of o.Service on srv, measures the
// server's memory, flips the status o.Flips times through srv's control
// channel and times the delivery to every watcher, then closes everything.
// The service must be SERVING before and is SERVING after an even number of
// flips.
func RunFanout(ctx context.Context, srv *Server, o FanoutOptions) (FanoutResult, error) {
	res := FanoutResult{Streams: o.Streams}
	var err error
	if res.Idle, err = srv.Mem(); err != nil {
		return res, err
	}

	// The streams carry no deadline, as a prober's Watch does not (with
	// one, both servers would keep a timer per stream); they end when ctx
	// does.
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stopAfter := context.AfterFunc(ctx, cancel)
	conns := make([]*grpc.ClientConn, o.Conns)
	var wg sync.WaitGroup
	defer func() {
		stopAfter()
		cancel()
		wg.Wait()
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	req := &healthpb.HealthCheckRequest{Service: o.Service}
	for i := range conns {
		c, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return res, err
		}
		conns[i] = c
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = healthpb.NewHealthClient(c).Check(cctx, req)
		ccancel()
		if err != nil {
			return res, fmt.Errorf("%s: check %q: %w", srv.Name, o.Service, err)
		}
	}
	if res.Conns, err = srv.Mem(); err != nil {
		return res, err
	}

	events := make(chan watchEvent, o.Streams)
	send := func(ev watchEvent) {
		select {
		case events <- ev:
		case <-wctx.Done():
		}
	}
	cpu0 := srv.CPUTime()
	start := time.Now()
	for i := range o.Streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream, err := healthpb.NewHealthClient(conns[i%len(conns)]).Watch(wctx, req)
			if err != nil {
				send(watchEvent{err: err})
				return
			}
			for {
				resp, err := stream.Recv()
				if err != nil {
					if wctx.Err() == nil {
						send(watchEvent{err: fmt.Errorf("stream %d: %w", i, err)})
					}
					return
				}
				send(watchEvent{status: resp.GetStatus(), at: time.Now()})
			}
		}()
	}
	if _, err := collect(events, o.Streams, healthpb.HealthCheckResponse_SERVING, start, o.Timeout); err != nil {
		return res, fmt.Errorf("%s: opening %d streams: %w", srv.Name, o.Streams, err)
	}
	res.Open = time.Since(start)
	res.OpenCPU = srv.CPUTime() - cpu0
	if res.Watching, err = srv.Mem(); err != nil {
		return res, err
	}
	if o.AfterWatching != nil {
		o.AfterWatching()
	}
	n := float64(o.Streams)
	res.HeapPerStream = (float64(res.Watching.HeapInuse) - float64(res.Conns.HeapInuse)) / n
	res.RSSPerStream = (float64(res.Watching.RSS) - float64(res.Conns.RSS)) / n
	res.GoroutinesPerStream = float64(res.Watching.Goroutines-res.Conns.Goroutines) / n
	res.HeapPerConn = (float64(res.Conns.HeapInuse) - float64(res.Idle.HeapInuse)) / float64(o.Conns)

	for i := range o.Flips {
		want := healthpb.HealthCheckResponse_NOT_SERVING
		if i%2 == 1 {
			want = healthpb.HealthCheckResponse_SERVING
		}
		cpu0 := srv.CPUTime()
		t0 := time.Now()
		if err := srv.Set(o.Service, want.String()); err != nil {
			return res, err
		}
		lat, err := collect(events, o.Streams, want, t0, o.Timeout)
		if err != nil {
			return res, fmt.Errorf("%s: flip %d to %v: %w", srv.Name, i+1, want, err)
		}
		res.Flips = append(res.Flips, Flip{
			Status:    want.String(),
			P50:       Percentile(lat, 50),
			P99:       Percentile(lat, 99),
			Max:       lat[len(lat)-1],
			ServerCPU: srv.CPUTime() - cpu0,
		})
	}

	cancel()
	wg.Wait()
	for i, c := range conns {
		c.Close()
		conns[i] = nil
	}
	// The server notices the closed streams asynchronously: wait a little
	// for its goroutines to end, then report what is left.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if res.Closed, err = srv.Mem(); err != nil {
			return res, err
		}
		if res.Closed.Goroutines <= res.Idle.Goroutines || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return res, nil
}

// collect waits for n events of status want and returns their latencies from
// t0, sorted.
func collect(events <-chan watchEvent, n int, want healthpb.HealthCheckResponse_ServingStatus, t0 time.Time, timeout time.Duration) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, n)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for len(lat) < n {
		select {
		case ev := <-events:
			if ev.err != nil {
				return nil, ev.err
			}
			if ev.status != want {
				return nil, fmt.Errorf("a watcher received %v, want %v", ev.status, want)
			}
			lat = append(lat, ev.at.Sub(t0))
		case <-timer.C:
			return nil, fmt.Errorf("%d of %d watchers received %v within %v", len(lat), n, want, timeout)
		}
	}
	slices.Sort(lat)
	return lat, nil
}
