package checkers_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

import (
	"github.com/dubbo-health/health/checkers"
)

func ExampleTCP() {
	// A database, say, listening on a local port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	check := checkers.TCP(ln.Addr().String())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	fmt.Println("listening:", check.Check(ctx))

	_ = ln.Close()
	err = check.Check(ctx)
	fmt.Println("closed:", strings.TrimPrefix(err.Error(), "tcp dial "+ln.Addr().String()+": "))
	// Output:
	// listening: <nil>
	// closed: connection refused
}

func ExampleHTTPGet() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	fmt.Println("/healthz:", checkers.HTTPGet(srv.URL+"/healthz").Check(ctx))

	err := checkers.HTTPGet(srv.URL + "/ready").Check(ctx)
	fmt.Println("/ready:", strings.TrimPrefix(err.Error(), "http get "+srv.URL+"/ready: "))
	// Output:
	// /healthz: <nil>
	// /ready: status 503 Service Unavailable, want 2xx
}

func ExampleWithExpectedStatus() {
	// An endpoint that answers 204 No Content when all is well; a 200 from
	// it would be a misconfigured proxy.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	check := checkers.HTTPGet(srv.URL, checkers.WithExpectedStatus(http.StatusNoContent))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	fmt.Println(check.Check(ctx))
	// Output:
	// <nil>
}

func ExampleGRPCHealth() {
	// Another gRPC server with a health service; a dubbo-go server with this
	// module answers the same way.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	defer func() {
		srv.Stop()
		<-served
	}()
	addr := ln.Addr().String()
	hs.SetServingStatus("greet.GreetService", healthpb.HealthCheckResponse_SERVING)

	check := checkers.GRPCHealth(addr, "greet.GreetService")
	// Outside a health server, which closes its checkers, close it yourself.
	defer check.(io.Closer).Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	fmt.Println(check.Check(ctx))

	hs.SetServingStatus("greet.GreetService", healthpb.HealthCheckResponse_NOT_SERVING)
	err = check.Check(ctx)
	fmt.Println(strings.ReplaceAll(err.Error(), addr, "ADDR"))
	// Output:
	// <nil>
	// service "greet.GreetService" is NOT_SERVING at ADDR
}

func ExampleFunc() {
	// Any condition of the program itself: here, a work queue that is
	// too far behind.
	var queued atomic.Int64
	check := checkers.Func(func(ctx context.Context) error {
		if n := queued.Load(); n > 1000 {
			return fmt.Errorf("%d jobs queued, more than 1000", n)
		}
		return ctx.Err()
	})

	ctx := context.Background()
	fmt.Println(check.Check(ctx))
	queued.Store(5000)
	fmt.Println(check.Check(ctx))
	// Output:
	// <nil>
	// 5000 jobs queued, more than 1000
}

func ExampleFunc_database() {
	// Not run: it needs a database driver and a database.
	db, err := sql.Open("postgres", "postgres://db.internal:5432/app")
	if err != nil {
		fmt.Println(err)
		return
	}
	// PingContext honours the context, as a checker must.
	check := checkers.Func(db.PingContext)
	_ = check // hs.AddChecker("", "postgres", check)
}
