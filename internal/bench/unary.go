package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

import (
	"github.com/dubbo-health/health/internal/testservice/greet"
)

// UnaryCall is the unary method a load sends, with its request.
type UnaryCall struct {
	// Method is the full method name, "/package.Service/Method".
	Method string
	// Request is sent by every call; it is shared and never modified.
	Request any
	// NewResponse returns a response message; each caller reuses its own.
	NewResponse func() any
	// Check validates a response.
	Check func(resp any) error
}

// HealthCheck is the call grpc.health.v1.Health/Check of service, which must
// answer SERVING.
func HealthCheck(service string) UnaryCall {
	return UnaryCall{
		Method:      healthpb.Health_Check_FullMethodName,
		Request:     &healthpb.HealthCheckRequest{Service: service},
		NewResponse: func() any { return new(healthpb.HealthCheckResponse) },
		Check: func(resp any) error {
			if st := resp.(*healthpb.HealthCheckResponse).GetStatus(); st != healthpb.HealthCheckResponse_SERVING {
				return fmt.Errorf("status %v", st)
			}
			return nil
		},
	}
}

// Greet is the call greet.GreetService/Greet, the test servers' no-op
// business method.
func Greet() UnaryCall {
	return UnaryCall{
		Method:      greet.GreetServiceGreetProcedure,
		Request:     &greet.GreetRequest{Name: "bench"},
		NewResponse: func() any { return new(greet.GreetResponse) },
		Check: func(resp any) error {
			if resp.(*greet.GreetResponse).GetGreeting() == "" {
				return errors.New("empty greeting")
			}
			return nil
		},
	}
}

// UnaryOptions shape a unary load.
type UnaryOptions struct {
	// Conns is the number of client connections (grpc.ClientConns).
	Conns int
	// Callers is the number of concurrent callers, spread over the
	// connections; each makes one call at a time.
	Callers int
	// Duration is how long callers start new calls.
	Duration time.Duration
}

// UnaryResult is the outcome of one unary load run.
type UnaryResult struct {
	// Requests counts the calls that succeeded, Errors those that failed.
	Requests, Errors int64
	// FirstError is the first failure, if any.
	FirstError string `json:",omitempty"`
	// Elapsed runs from the first call to the end of the last.
	Elapsed time.Duration
	// RPS is Requests per second of Elapsed.
	RPS float64
	// P50 and P99 are latency percentiles of the successful calls.
	P50, P99 time.Duration
	// ServerCPU is the CPU time the server used during the run, if the
	// caller measured it (Server.CPUTime), else 0.
	ServerCPU time.Duration
}

// RunUnary calls call on addr from o.Callers callers over o.Conns
// connections for o.Duration and measures throughput and latency. Each
// connection is checked with one call first.
func RunUnary(ctx context.Context, addr string, call UnaryCall, o UnaryOptions) (UnaryResult, error) {
	conns := make([]*grpc.ClientConn, o.Conns)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range conns {
		c, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return UnaryResult{}, err
		}
		conns[i] = c
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		resp := call.NewResponse()
		err = c.Invoke(cctx, call.Method, call.Request, resp)
		cancel()
		if err == nil {
			err = call.Check(resp)
		}
		if err != nil {
			return UnaryResult{}, fmt.Errorf("%s on %s: %w", call.Method, addr, err)
		}
	}

	var (
		wg       sync.WaitGroup
		errs     atomic.Int64
		errOnce  sync.Once
		firstErr string
		lat      = make([][]time.Duration, o.Callers)
	)
	start := time.Now()
	stop := start.Add(o.Duration)
	// A call still running well after the end is abandoned.
	rctx, cancel := context.WithDeadline(ctx, stop.Add(5*time.Second))
	defer cancel()
	for i := range o.Callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := conns[i%len(conns)]
			resp := call.NewResponse()
			local := make([]time.Duration, 0, 8192)
			for {
				t0 := time.Now()
				if t0.After(stop) {
					break
				}
				err := conn.Invoke(rctx, call.Method, call.Request, resp)
				d := time.Since(t0)
				if err == nil {
					err = call.Check(resp)
				}
				if err != nil {
					errs.Add(1)
					errOnce.Do(func() { firstErr = err.Error() })
					if rctx.Err() != nil {
						break
					}
					continue
				}
				local = append(local, d)
			}
			lat[i] = local
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	res := UnaryResult{
		Requests:   int64(len(all)),
		Errors:     errs.Load(),
		FirstError: firstErr,
		Elapsed:    elapsed,
		RPS:        float64(len(all)) / elapsed.Seconds(),
		P50:        Percentile(all, 50),
		P99:        Percentile(all, 99),
	}
	return res, ctx.Err()
}

// CheckCode calls Check of service on addr once and returns the gRPC code of
// the answer, "OK" for a success.
func CheckCode(ctx context.Context, addr, service string) (string, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = healthpb.NewHealthClient(conn).Check(cctx, &healthpb.HealthCheckRequest{Service: service})
	return status.Code(err).String(), nil
}
