// Command go-server is a dubbo-go Greeter (greet.GreetService) on Triple that
// serves grpc.health.v1.Health. The one line about health is the blank import
// of github.com/dubbo-health/health.
//
//	go run ./samples/go-server -port 20000
package main

import (
	"context"
	"flag"
)

import (
	"dubbo.apache.org/dubbo-go/v3/protocol"
	"dubbo.apache.org/dubbo-go/v3/server"

	_ "dubbo.apache.org/dubbo-go/v3/imports"

	"github.com/dubbogo/gost/log/logger"

	_ "github.com/dubbo-health/health"
	"github.com/dubbo-health/health/samples/greet"
)

// GreetServer implements greet.GreetService.
type GreetServer struct{}

// Greet answers "hello NAME".
func (*GreetServer) Greet(_ context.Context, req *greet.GreetRequest) (*greet.GreetResponse, error) {
	return &greet.GreetResponse{Greeting: "hello " + req.GetName()}, nil
}

func main() {
	port := flag.Int("port", 20000, "Triple port")
	flag.Parse()

	srv, err := server.NewServer(
		server.WithServerProtocol(protocol.WithTriple(), protocol.WithPort(*port)),
	)
	if err != nil {
		panic(err)
	}
	if err := greet.RegisterGreetServiceHandler(srv, &GreetServer{}); err != nil {
		panic(err)
	}
	if err := srv.Serve(); err != nil {
		logger.Error(err)
	}
}
