package healthserver_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
)

import (
	"github.com/dubbogo/gost/log/logger"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

import (
	"github.com/dubbo-health/health/healthserver"
)

const benchService = "greet.GreetService"

var benchWatchers = []int{0, 1000, 10000}

func BenchmarkCheck(b *testing.B) {
	s := healthserver.New()
	set(benchService, healthserver.Serving)(s)
	h := s.Handler()
	req := checkReq(benchService)
	ctx := context.Background()
	check := func() error {
		resp, err := h.Check(ctx, req)
		if err == nil && resp.GetStatus() != healthserver.Serving {
			err = fmt.Errorf("got %v", resp.GetStatus())
		}
		return err
	}
	benchCheck(b, check)
}

// BenchmarkGRPCGoCheck is the baseline: grpc-go's health.Server.Check.
func BenchmarkGRPCGoCheck(b *testing.B) {
	s := health.NewServer()
	s.SetServingStatus(benchService, healthpb.HealthCheckResponse_SERVING)
	req := &healthpb.HealthCheckRequest{Service: benchService}
	ctx := context.Background()
	check := func() error {
		resp, err := s.Check(ctx, req)
		if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			err = fmt.Errorf("got %v", resp.GetStatus())
		}
		return err
	}
	benchCheck(b, check)
}

func benchCheck(b *testing.B, check func() error) {
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := check(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := check(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkSetServingStatus flips a service between SERVING and NOT_SERVING
// while watchers follow it. The gost logger is silenced, as grpc-go's is by
// default, except in the log=zap case, which encodes the log line that every
// change writes (to io.Discard instead of stdout).
func BenchmarkSetServingStatus(b *testing.B) {
	for _, n := range benchWatchers {
		b.Run(fmt.Sprintf("watchers=%d", n), func(b *testing.B) {
			silenceLogger(b, nopLogger{})
			benchSet(b, n)
		})
	}
	b.Run("watchers=0/log=zap", func(b *testing.B) {
		enc := zapcore.NewConsoleEncoder(zap.NewProductionEncoderConfig())
		core := zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel)
		silenceLogger(b, zap.New(core, zap.AddCaller()).Sugar())
		benchSet(b, 0)
	})
}

func benchSet(b *testing.B, watchers int) {
	s := healthserver.New()
	set(benchService, healthserver.Serving)(s)
	h := s.Handler()
	for i := range watchers {
		startWatch(b, h, benchService, newDiscardStream(fmt.Sprintf("peer%d", i%100)))
	}
	waitFor(b, "every Watch to start", func() bool { return s.Watchers() == watchers })
	flip := [2]healthserver.Status{healthserver.NotServing, healthserver.Serving}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.SetServingStatus(benchService, flip[i&1]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkGRPCGoSetServingStatus is the baseline: grpc-go's
// health.Server.SetServingStatus with as many Watch streams.
func BenchmarkGRPCGoSetServingStatus(b *testing.B) {
	for _, n := range benchWatchers {
		b.Run(fmt.Sprintf("watchers=%d", n), func(b *testing.B) {
			s := health.NewServer()
			s.SetServingStatus(benchService, healthpb.HealthCheckResponse_SERVING)
			var started atomic.Int64
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			b.Cleanup(func() {
				cancel()
				wg.Wait()
			})
			req := &healthpb.HealthCheckRequest{Service: benchService}
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_ = s.Watch(req, &grpcWatchStream{ctx: ctx, started: &started})
				}()
			}
			waitFor(b, "every Watch to start", func() bool { return started.Load() == int64(n) })
			flip := [2]healthpb.HealthCheckResponse_ServingStatus{
				healthpb.HealthCheckResponse_NOT_SERVING, healthpb.HealthCheckResponse_SERVING,
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.SetServingStatus(benchService, flip[i&1])
				i++
			}
		})
	}
}

// grpcWatchStream is a grpc_health_v1.Health_WatchServer that discards what
// it is sent and counts the streams that sent their first message.
type grpcWatchStream struct {
	ctx     context.Context
	started *atomic.Int64
	sent    bool
}

var _ healthpb.Health_WatchServer = (*grpcWatchStream)(nil)

func (s *grpcWatchStream) Send(*healthpb.HealthCheckResponse) error {
	if !s.sent {
		s.sent = true
		s.started.Add(1)
	}
	return nil
}

func (s *grpcWatchStream) SetHeader(metadata.MD) error  { return nil }
func (s *grpcWatchStream) SendHeader(metadata.MD) error { return nil }
func (s *grpcWatchStream) SetTrailer(metadata.MD)       {}
func (s *grpcWatchStream) Context() context.Context     { return s.ctx }
func (s *grpcWatchStream) SendMsg(any) error            { return nil }
func (s *grpcWatchStream) RecvMsg(any) error            { return io.EOF }

var _ grpc.ServerStream = (*grpcWatchStream)(nil)

// silenceLogger replaces the gost logger for the benchmark. Benchmarks run
// one at a time after the tests, so nothing else logs meanwhile.
func silenceLogger(b *testing.B, l logger.Logger) {
	old := logger.GetLogger()
	logger.SetLogger(l)
	b.Cleanup(func() { logger.SetLogger(old) })
}

// nopLogger is a gost logger that discards everything.
type nopLogger struct{}

func (nopLogger) Info(...any)           {}
func (nopLogger) Warn(...any)           {}
func (nopLogger) Error(...any)          {}
func (nopLogger) Debug(...any)          {}
func (nopLogger) Fatal(...any)          {}
func (nopLogger) Infof(string, ...any)  {}
func (nopLogger) Warnf(string, ...any)  {}
func (nopLogger) Errorf(string, ...any) {}
func (nopLogger) Debugf(string, ...any) {}
func (nopLogger) Fatalf(string, ...any) {}
