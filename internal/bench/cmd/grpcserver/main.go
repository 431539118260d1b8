// Command grpcserver is make bench's baseline: grpc-go's health.Server on a
// plain grpc-go server, with a no-op greet.GreetService/Greet beside it. It
// listens on 127.0.0.1 and speaks the control protocol of the dubbo-go test
// server (internal/testapp): lines on stdin, one answer line each, on file
// descriptor 3 when TESTAPP_ANSWERS=3, else on stdout:
//
//	set NAME STATUS   health.Server.SetServingStatus(NAME, STATUS), NAME "-" is ""
//	mem               after a GC: "ok HEAP_INUSE_BYTES GOROUTINES"
//	stop              health.Server.Shutdown, stop the server, exit
//
// "" and greet.GreetService are SERVING from the start.
//
//	grpcserver -port 20000 [-cpuprofile FILE] [-memprofile FILE]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"strconv"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

import (
	ctl "github.com/dubbo-health/health/internal/control"
	"github.com/dubbo-health/health/internal/testservice/greet"
)

func main() {
	port := flag.Int("port", 20000, "port on 127.0.0.1")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file, from start until stop")
	memProfile := flag.String("memprofile", "", "write a heap profile to this file at each mem command")
	flag.Parse()

	stopProfile := func() {}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		stopProfile = func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}
	}

	lis, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		fail(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus(greet.GreetServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	srv.RegisterService(&greetDesc, greeter{})
	go func() {
		ctl.Serve(map[string]ctl.Command{
			"set": ctl.Set(func(name string, st healthpb.HealthCheckResponse_ServingStatus) error {
				hs.SetServingStatus(name, st)
				return nil
			}),
			"mem":  ctl.Mem(*memProfile),
			"stop": func(...string) (string, error) { return "", ctl.ErrStop },
		})
		// stop, or stdin closed: the harness is gone.
		hs.Shutdown()
		srv.Stop()
	}()
	if err := srv.Serve(lis); err != nil {
		fail(err)
	}
	stopProfile()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "grpcserver:", err)
	os.Exit(2)
}

// greetServer is greet.GreetService for grpc-go.
type greetServer interface {
	Greet(context.Context, *greet.GreetRequest) (*greet.GreetResponse, error)
}

// greeter answers as internal/testapp's Greeter does, without delay.
type greeter struct{}

func (greeter) Greet(_ context.Context, req *greet.GreetRequest) (*greet.GreetResponse, error) {
	return &greet.GreetResponse{Greeting: "hello " + req.GetName()}, nil
}

// greetDesc is greet.GreetService for grpc-go's server; the greet package has
// Triple stubs only.
var greetDesc = grpc.ServiceDesc{
	ServiceName: greet.GreetServiceName,
	HandlerType: (*greetServer)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Greet",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(greet.GreetRequest)
			if err := dec(in); err != nil {
				return nil, err
			}
			return srv.(greetServer).Greet(ctx, in)
		},
	}},
	Metadata: "greet.proto",
}
