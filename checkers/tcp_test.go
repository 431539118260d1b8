package checkers_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

import (
	"github.com/dubbo-health/health/checkers"
)

// tcpServer is a real listener that accepts connections and closes them.
type tcpServer struct {
	ln   net.Listener
	done chan struct{} // closed when the accept loop has returned
	once sync.Once
}

// startTCP listens on addr, waiting for the port to be free if another
// listener had it, and accepts until stop.
func startTCP(t *testing.T, addr string) *tcpServer {
	t.Helper()
	var ln net.Listener
	eventually(t, 5*time.Second, func() error {
		var err error
		ln, err = net.Listen("tcp", addr)
		return err
	})
	s := &tcpServer{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	t.Cleanup(s.stop)
	return s
}

func (s *tcpServer) addr() string { return s.ln.Addr().String() }

// stop closes the listener and waits for the accept loop to end.
func (s *tcpServer) stop() {
	s.once.Do(func() {
		_ = s.ln.Close()
		<-s.done
	})
}

func TestTCPFollowsListener(t *testing.T) {
	t.Parallel()
	srv := startTCP(t, "127.0.0.1:0")
	addr := srv.addr()
	check := checkers.TCP(addr)

	if err := check.Check(testContext(t)); err != nil {
		t.Fatalf("listening: Check = %v, want nil", err)
	}

	srv.stop()
	err := check.Check(testContext(t))
	if err == nil {
		t.Fatal("closed: Check = nil, want an error")
	}
	if want := "tcp dial " + addr + ": connection refused"; err.Error() != want {
		t.Errorf("closed: Check = %q, want %q", err, want)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("closed: errors.Is(%v, ECONNREFUSED) = false", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "dial" {
		t.Errorf("closed: error %#v does not unwrap to the dial's *net.OpError", err)
	}

	startTCP(t, addr) // the same port again
	if err := check.Check(testContext(t)); err != nil {
		t.Fatalf("listening again: Check = %v, want nil", err)
	}
}

func TestTCPHonoursContext(t *testing.T) {
	t.Parallel()
	srv := startTCP(t, "127.0.0.1:0")
	check := checkers.TCP(srv.addr())
	shutdown := errors.New("shutting down")

	tests := []struct {
		name    string
		ctx     func() context.Context
		wantIs  error
		wantMsg string
	}{{
		name: "canceled",
		ctx: func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		},
		wantIs:  context.Canceled,
		wantMsg: "context canceled",
	}, {
		name: "deadline passed",
		ctx: func() context.Context {
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx
		},
		wantIs:  context.DeadlineExceeded,
		wantMsg: "context deadline exceeded",
	}, {
		// The moment between a deadline and the timer that ends the
		// context: the dial sees the deadline first.
		name:    "deadline passed, context not ended yet",
		ctx:     func() context.Context { return lateContext{context.Background()} },
		wantIs:  context.DeadlineExceeded,
		wantMsg: "context deadline exceeded",
	}, {
		name: "canceled with a cause",
		ctx: func() context.Context {
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(shutdown)
			return ctx
		},
		wantIs:  context.Canceled,
		wantMsg: "shutting down",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := check.Check(tt.ctx())
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Check = %v, want an error matching %v although the server listens", err, tt.wantIs)
			}
			if want := "tcp dial " + srv.addr() + ": " + tt.wantMsg; err.Error() != want {
				t.Errorf("Check = %q, want %q", err, want)
			}
		})
	}
}

func TestTCPBadAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr, want string
	}{
		{"127.0.0.1", "tcp dial 127.0.0.1: address 127.0.0.1: missing port in address"},
		{"127.0.0.1:99999", "tcp dial 127.0.0.1:99999: "},
		{"", "tcp dial : "},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			err := checkers.TCP(tt.addr).Check(testContext(t))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Check = %v, want an error starting %q", err, tt.want)
			}
		})
	}
}

func TestTCPConcurrent(t *testing.T) {
	t.Parallel()
	srv := startTCP(t, "127.0.0.1:0")
	check := checkers.TCP(srv.addr())
	ctx := testContext(t)
	errs := make(chan error, 16)
	for range cap(errs) {
		go func() { errs <- check.Check(ctx) }()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("Check = %v, want nil", err)
		}
	}
}

// lateContext is a context whose deadline has passed but that has not ended.
type lateContext struct{ context.Context }

func (lateContext) Deadline() (time.Time, bool) { return time.Now().Add(-time.Second), true }
