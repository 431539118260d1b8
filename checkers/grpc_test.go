package checkers_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

import (
	"go.uber.org/goleak"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

import (
	"github.com/dubbo-health/health/checkers"
	"github.com/dubbo-health/health/healthcheck"
)

// grpcServer is a real grpc-go server on 127.0.0.1 with grpc-go's health
// service, or another implementation of it.
type grpcServer struct {
	addr     string
	health   *health.Server // nil when another implementation serves
	srv      *grpc.Server
	accepted *atomic.Int32 // connections accepted
	done     chan struct{} // closed when Serve has returned
	once     sync.Once
}

// startGRPC serves hs, or grpc-go's health.Server when hs is nil, on addr,
// waiting for the port to be free if another listener had it.
func startGRPC(t *testing.T, addr string, hs healthpb.HealthServer, opts ...grpc.ServerOption) *grpcServer {
	t.Helper()
	var ln net.Listener
	eventually(t, 5*time.Second, func() error {
		var err error
		ln, err = net.Listen("tcp", addr)
		return err
	})
	s := &grpcServer{
		addr:     ln.Addr().String(),
		srv:      grpc.NewServer(opts...),
		accepted: new(atomic.Int32),
		done:     make(chan struct{}),
	}
	if hs == nil {
		s.health = health.NewServer()
		hs = s.health
	}
	healthpb.RegisterHealthServer(s.srv, hs)
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(countingListener{ln, s.accepted})
	}()
	t.Cleanup(s.stop)
	return s
}

// stop stops the server at once, closing its connections.
func (s *grpcServer) stop() {
	s.once.Do(func() {
		s.srv.Stop()
		<-s.done
	})
}

type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return conn, err
}

// grpcChecker is what GRPCHealth returns: a checker its owner closes.
type grpcChecker interface {
	healthcheck.Checker
	io.Closer
}

// newGRPCChecker returns a checker that is closed with the test.
func newGRPCChecker(t *testing.T, target, service string, opts ...checkers.GRPCOption) grpcChecker {
	t.Helper()
	c, ok := checkers.GRPCHealth(target, service, opts...).(grpcChecker)
	if !ok {
		t.Fatal("the GRPCHealth checker is not an io.Closer")
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	})
	return c
}

func TestGRPCHealthStatus(t *testing.T) {
	t.Parallel()
	srv := startGRPC(t, "127.0.0.1:0", nil)
	srv.health.SetServingStatus("greet.GreetService", healthpb.HealthCheckResponse_SERVING)
	srv.health.SetServingStatus("greet.Down", healthpb.HealthCheckResponse_NOT_SERVING)
	srv.health.SetServingStatus("greet.Unknown", healthpb.HealthCheckResponse_UNKNOWN)

	tests := []struct {
		service  string
		want     string // the whole error; "" for a passing check
		wantCode codes.Code
	}{
		{service: ""},
		{service: "greet.GreetService"},
		{
			service: "greet.Down",
			want:    `service "greet.Down" is NOT_SERVING at ` + srv.addr,
		},
		{
			service: "greet.Unknown",
			want:    `service "greet.Unknown" is UNKNOWN at ` + srv.addr,
		},
		{
			service:  "greet.Missing",
			want:     `grpc health check of service "greet.Missing" at ` + srv.addr + ": NotFound: unknown service",
			wantCode: codes.NotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			t.Parallel()
			err := newGRPCChecker(t, srv.addr, tt.service).Check(testContext(t))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Check = %v, want nil", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Fatalf("Check = %v, want %q", err, tt.want)
			}
			if tt.wantCode != codes.OK && status.Code(err) != tt.wantCode {
				t.Errorf("status.Code(%v) = %v, want %v", err, status.Code(err), tt.wantCode)
			}
		})
	}
}

// TestGRPCHealthFollowsStatus checks one service through its changes, on one
// connection.
func TestGRPCHealthFollowsStatus(t *testing.T) {
	t.Parallel()
	srv := startGRPC(t, "127.0.0.1:0", nil)
	check := newGRPCChecker(t, srv.addr, "greet.GreetService")

	for _, st := range []healthpb.HealthCheckResponse_ServingStatus{
		healthpb.HealthCheckResponse_SERVING,
		healthpb.HealthCheckResponse_NOT_SERVING,
		healthpb.HealthCheckResponse_SERVING,
		healthpb.HealthCheckResponse_NOT_SERVING,
	} {
		srv.health.SetServingStatus("greet.GreetService", st)
		err := check.Check(testContext(t))
		if pass := st == healthpb.HealthCheckResponse_SERVING; (err == nil) != pass {
			t.Fatalf("%v: Check = %v, want passing %v", st, err, pass)
		}
	}
	if n := srv.accepted.Load(); n != 1 {
		t.Errorf("the checks used %d connections, want 1", n)
	}
}

// TestGRPCHealthServerDown stops the server and starts another on the same
// port: the checker fails while it is down and passes again without help.
func TestGRPCHealthServerDown(t *testing.T) {
	t.Parallel()
	srv := startGRPC(t, "127.0.0.1:0", nil)
	check := newGRPCChecker(t, srv.addr, "")
	if err := check.Check(testContext(t)); err != nil {
		t.Fatalf("up: Check = %v, want nil", err)
	}

	srv.stop()
	err := check.Check(testContext(t))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("down: Check = %v, want code Unavailable", err)
	}
	if want := `grpc health check of service "" at ` + srv.addr + ": Unavailable: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("down: Check = %q, want it to start %q", err, want)
	}

	startGRPC(t, srv.addr, nil)
	eventually(t, 10*time.Second, func() error { return check.Check(testContext(t)) })
}

// blockingHealth is a health service whose Check answers only when the
// caller gives up.
type blockingHealth struct {
	healthpb.UnimplementedHealthServer
	reached chan struct{}
}

func (h *blockingHealth) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	h.reached <- struct{}{}
	<-ctx.Done()
	return nil, status.FromContextError(ctx.Err()).Err()
}

func TestGRPCHealthHonoursDeadline(t *testing.T) {
	t.Parallel()
	hs := &blockingHealth{reached: make(chan struct{}, 1)}
	srv := startGRPC(t, "127.0.0.1:0", hs)
	check := newGRPCChecker(t, srv.addr, "greet.GreetService")

	const timeout = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	start := time.Now()
	err := check.Check(ctx)
	elapsed := time.Since(start)

	select {
	case <-hs.reached:
	default:
		t.Fatalf("Check = %v before the request reached the server", err)
	}
	want := `grpc health check of service "greet.GreetService" at ` + srv.addr + ": context deadline exceeded"
	if err == nil || err.Error() != want {
		t.Errorf("Check = %v, want %q", err, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) || status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("Check = %v, want it to match context.DeadlineExceeded and have code DeadlineExceeded", err)
	}
	if elapsed > timeout+time.Second {
		t.Errorf("Check returned %v after its deadline", elapsed-timeout)
	}
}

// TestGRPCHealthOneConnection starts many first Checks at once: they share
// one connection.
func TestGRPCHealthOneConnection(t *testing.T) {
	t.Parallel()
	srv := startGRPC(t, "127.0.0.1:0", nil)
	check := newGRPCChecker(t, srv.addr, "")
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
	if n := srv.accepted.Load(); n != 1 {
		t.Errorf("%d concurrent checks opened %d connections, want 1", cap(errs), n)
	}
}

func TestGRPCHealthDialOptions(t *testing.T) {
	t.Parallel()
	srv := startGRPC(t, "127.0.0.1:0", nil)

	t.Run("applied", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		count := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			calls.Add(1)
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		check := newGRPCChecker(t, srv.addr, "", checkers.WithDialOptions(grpc.WithUnaryInterceptor(count)))
		if err := check.Check(testContext(t)); err != nil {
			t.Fatalf("Check = %v, want nil", err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("the interceptor saw %d calls, want 1", n)
		}
	})

	t.Run("rejected by grpc.NewClient", func(t *testing.T) {
		t.Parallel()
		// Credentials that need TLS on the default plaintext connection.
		check := newGRPCChecker(t, srv.addr, "", checkers.WithDialOptions(grpc.WithPerRPCCredentials(tlsOnlyCreds{})))
		for range 2 { // and again: a failed NewClient leaves nothing behind
			err := check.Check(testContext(t))
			want := `grpc health check of service "" at ` + srv.addr + ": grpc: the credentials require transport level security"
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("Check = %v, want an error starting %q", err, want)
			}
		}
	})

	t.Run("add up", func(t *testing.T) {
		t.Parallel()
		// Per-RPC credentials from one WithDialOptions, the transport
		// credentials they need from another.
		serverTLS, clientTLS := newTLSConfigs(t)
		tlsSrv := startGRPC(t, "127.0.0.1:0", nil, grpc.Creds(credentials.NewTLS(serverTLS)))
		check := newGRPCChecker(t, tlsSrv.addr, "",
			checkers.WithDialOptions(grpc.WithPerRPCCredentials(tlsOnlyCreds{})),
			checkers.WithDialOptions(grpc.WithTransportCredentials(credentials.NewTLS(clientTLS))))
		if err := check.Check(testContext(t)); err != nil {
			t.Fatalf("Check = %v, want nil", err)
		}
	})
}

// TestGRPCHealthTLS checks a server that only speaks TLS: the default
// plaintext connection fails, TLS credentials given with WithDialOptions
// replace it.
func TestGRPCHealthTLS(t *testing.T) {
	t.Parallel()
	serverTLS, clientTLS := newTLSConfigs(t)
	srv := startGRPC(t, "127.0.0.1:0", nil, grpc.Creds(credentials.NewTLS(serverTLS)))

	plain := newGRPCChecker(t, srv.addr, "")
	if err := plain.Check(testContext(t)); status.Code(err) != codes.Unavailable {
		t.Errorf("plaintext: Check = %v, want code Unavailable", err)
	}

	secure := newGRPCChecker(t, srv.addr, "", checkers.WithDialOptions(
		grpc.WithTransportCredentials(credentials.NewTLS(clientTLS))))
	if err := secure.Check(testContext(t)); err != nil {
		t.Errorf("TLS: Check = %v, want nil", err)
	}
}

// newTLSConfigs returns the TLS configurations of a server on 127.0.0.1
// with a new self-signed certificate, and of a client that trusts it.
func newTLSConfigs(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true,

		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	return server, client
}

// tlsOnlyCreds are per-RPC credentials that may only be sent over TLS.
type tlsOnlyCreds struct{}

func (tlsOnlyCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer t"}, nil
}

func (tlsOnlyCreds) RequireTransportSecurity() bool { return true }

// TestGRPCHealthClose is not parallel: it checks that Close leaves no
// goroutine behind, which only works while no other test starts any.
func TestGRPCHealthClose(t *testing.T) {
	srv := startGRPC(t, "127.0.0.1:0", nil)
	before := goleak.IgnoreCurrent()

	check := checkers.GRPCHealth(srv.addr, "").(grpcChecker)
	if err := check.Check(testContext(t)); err != nil {
		t.Fatalf("Check = %v, want nil", err)
	}
	if err := check.Close(); err != nil {
		t.Fatalf("Close = %v, want nil", err)
	}
	// The server's side of the connection ends when the client's does.
	goleak.VerifyNone(t, before)

	want := `grpc health check of service "" at ` + srv.addr + ": checker is closed"
	if err := check.Check(testContext(t)); err == nil || err.Error() != want {
		t.Errorf("Check after Close = %v, want %q", err, want)
	}
	if err := check.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := checkers.GRPCHealth(srv.addr, "").(grpcChecker).Close(); err != nil {
		t.Errorf("Close of an unused checker = %v, want nil", err)
	}
}
