// Command grpc-client asks a dubbo-go server for health with grpc-go's own
// health client, as any gRPC program would: Check, then optionally Watch.
//
//	go run ./samples/grpc-client -addr 127.0.0.1:20000 -service greet.GreetService
//	go run ./samples/grpc-client -addr 127.0.0.1:20000 -watch
//
// With -watch it prints every status the server sends until the stream ends.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:20000", "server address")
	service := flag.String("service", "greet.GreetService", "service to ask about; empty for the whole server")
	watch := flag.Bool("watch", false, "watch the status until the stream ends")
	flag.Parse()

	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatalf("did not connect: %v", err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)
	req := &healthpb.HealthCheckRequest{Service: *service}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	resp, err := client.Check(ctx, req)
	cancel()
	if err != nil {
		log.Fatalf("check %q: %v", *service, err)
	}
	fmt.Printf("check %s: %s\n", *service, resp.GetStatus())
	if !*watch {
		return
	}

	stream, err := client.Watch(context.Background(), req)
	if err != nil {
		log.Fatalf("watch %q: %v", *service, err)
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			fmt.Printf("watch %s: stream ended: %s\n", *service, status.Code(err))
			return
		}
		fmt.Printf("watch %s: %s\n", *service, resp.GetStatus())
	}
}
