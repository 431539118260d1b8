package checkers

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

import (
	"github.com/dubbo-health/health/healthcheck"
)

// grpcMaxReconnectDelay caps the wait between attempts to reconnect to a
// server that is down. grpc-go's default cap, 120 seconds, would let a
// checker fail for two minutes after its server came back.
const grpcMaxReconnectDelay = 5 * time.Second

var (
	_ healthcheck.Checker = (*grpcHealthChecker)(nil)
	_ io.Closer           = (*grpcHealthChecker)(nil)
)

// A GRPCOption configures a checker made by GRPCHealth. GRPCOptions are made
// by WithDialOptions.
type GRPCOption interface {
	applyGRPC(*grpcOptions)
}

type grpcOptionFunc func(*grpcOptions)

func (f grpcOptionFunc) applyGRPC(o *grpcOptions) { f(o) }

type grpcOptions struct {
	dialOptions []grpc.DialOption
}

// WithDialOptions adds options for grpc.NewClient, applied after the
// checker's defaults, so they override them: grpc.WithTransportCredentials
// for TLS, grpc.WithPerRPCCredentials, grpc.WithConnectParams, an
// interceptor. Several WithDialOptions add up.
//
// The defaults are insecure (plaintext) transport credentials and connect
// parameters that retry a server that is down at most 5 seconds apart.
func WithDialOptions(opts ...grpc.DialOption) GRPCOption {
	opts = slices.Clone(opts)
	return grpcOptionFunc(func(o *grpcOptions) { o.dialOptions = append(o.dialOptions, opts...) })
}

// grpcHealthChecker is the checker GRPCHealth returns. It opens one client
// connection, on its first Check, and uses it for every Check until Close.
type grpcHealthChecker struct {
	target, service string
	dialOptions     []grpc.DialOption
	what            string // how errors name the check

	mu     sync.Mutex
	conn   *grpc.ClientConn // nil until the first Check and after Close
	client healthpb.HealthClient
	closed bool
}

// GRPCHealth returns a checker that asks the standard health service,
// grpc.health.v1.Health, at target (a dubbo-go Triple server with this
// module, or any gRPC server) for the status of service and passes only
// when it is SERVING. target is what
// grpc.NewClient takes, "host:port" or a URI such as "dns:///host:port";
// service "" asks about the whole server.
//
// A Check fails, with an error that names service and target, when the
// status is NOT_SERVING or UNKNOWN; when the server does not know service
// (code NotFound), cannot be reached (Unavailable) or answers with any other
// error, and then status.Code of the error is the RPC's code; and when ctx
// ends first:
//
//	service "greet.GreetService" is NOT_SERVING at 127.0.0.1:20000
//	grpc health check of service "greet.GreetService" at 127.0.0.1:20000: NotFound: unknown service
//	grpc health check of service "greet.GreetService" at 127.0.0.1:20000: context deadline exceeded
//
// A Check does not wait for a server that is down: it fails as soon as an
// attempt to connect has failed, and grpc-go keeps trying to reconnect in the
// background, at most 5 seconds apart, so a Check passes again within
// seconds of the server's return.
//
// The checker opens one client connection, on its first Check, and keeps it
// until it is closed: it is an io.Closer, which a healthcheck.Runner (and so
// a health server) closes when the checker is removed. Close it yourself if
// you call it outside of one.
func GRPCHealth(target, service string, opts ...GRPCOption) healthcheck.Checker {
	o := grpcOptions{dialOptions: []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           withMaxDelay(backoff.DefaultConfig, grpcMaxReconnectDelay),
			MinConnectTimeout: 20 * time.Second,
		}),
	}}
	for _, opt := range opts {
		opt.applyGRPC(&o)
	}
	return &grpcHealthChecker{
		target:      target,
		service:     service,
		dialOptions: o.dialOptions,
		what:        fmt.Sprintf("grpc health check of service %q at %s", service, target),
	}
}

func withMaxDelay(c backoff.Config, d time.Duration) backoff.Config {
	c.MaxDelay = d
	return c
}

// Check asks for the status of the checker's service and returns nil only
// when it is SERVING. It opens the checker's connection if it is the first
// Check, and fails after Close.
func (c *grpcHealthChecker) Check(ctx context.Context) error {
	client, err := c.healthClient()
	if err != nil {
		return err
	}
	resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: c.service})
	if err != nil {
		return c.rpcError(ctx, err)
	}
	if st := resp.GetStatus(); st != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("service %q is %s at %s", c.service, st, c.target)
	}
	return nil
}

// Close closes the checker's connection, if it has one. Check fails after
// Close. Closing again does nothing and returns nil.
func (c *grpcHealthChecker) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	conn := c.conn
	c.conn, c.client = nil, nil
	if conn == nil {
		return nil
	}
	if err := conn.Close(); err != nil {
		return fmt.Errorf("%s: close: %w", c.what, err)
	}
	return nil
}

// healthClient returns the client on the checker's connection, opening the
// connection on first use.
func (c *grpcHealthChecker) healthClient() (healthpb.HealthClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("%s: checker is closed", c.what)
	}
	if c.client == nil {
		// NewClient does not connect; it fails only on a bad target or bad
		// options, which the next Check reports again.
		conn, err := grpc.NewClient(c.target, c.dialOptions...)
		if err != nil {
			return nil, &checkError{msg: c.what + ": " + err.Error(), errs: []error{err}}
		}
		c.conn, c.client = conn, healthpb.NewHealthClient(conn)
	}
	return c.client, nil
}

// rpcError describes a failed Check RPC. The result unwraps to err, so
// status.Code reports its code, and to ctx.Err() when ctx ended.
func (c *grpcHealthChecker) rpcError(ctx context.Context, err error) error {
	st := status.Convert(err)
	if st.Code() == codes.DeadlineExceeded || st.Code() == codes.Canceled {
		if ctxErr, cause := ended(ctx); ctxErr != nil {
			return &checkError{msg: c.what + ": " + cause.Error(), errs: []error{err, ctxErr}}
		}
	}
	return &checkError{msg: c.what + ": " + st.Code().String() + ": " + st.Message(), errs: []error{err}}
}
