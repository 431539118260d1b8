// Package triple_health holds the Triple stubs of the standard gRPC health
// service, grpc.health.v1.Health: a client (NewHealth), the handler interface
// (HealthHandler) with RegisterHealthHandler, and the service and client
// infos dubbo-go needs. Every Go file but this one is written by `make
// generate` from health.proto and must not be edited by hand.
//
// A Triple client reads health exactly as dubbo-go's own documentation shows:
//
//	svc, err := triple_health.NewHealth(cli)
//	resp, err := svc.Check(ctx, &triple_health.HealthCheckRequest{Service: "greet.GreetService"})
//	stream, err := svc.Watch(ctx, req)
//	for stream.Recv() { fmt.Println(stream.Msg().GetStatus()) }
//
// The client uses the cluster its reference options choose, dubbo-go's
// failover by default. Note that dubbo-go v3.3.2 keeps a reference's options
// on its client: an option passed to NewHealth (client.WithClusterFailFast,
// say) also applies to every reference the client dials afterwards; give a
// health client with options of its own a client of its own.
//
// # Why the messages are aliases
//
// The request, response and status types are type aliases of grpc-go's
// google.golang.org/grpc/health/grpc_health_v1, not freshly generated code.
// Every dubbo-go program links grpc_health_v1 already, and protobuf panics at
// start-up when two Go packages register the same proto file
// (grpc/health/v1/health.proto). Renaming the proto package, as dubbo-go's
// built-in stubs do, avoids the panic but makes server reflection describe a
// service that is not the one on the wire. With aliases there is one
// registration, reflection shows the canonical grpc.health.v1.Health with
// Check, Watch and List, and values pass unchanged between this package and
// grpc-go code. List needs google.golang.org/grpc v1.72 or newer.
package triple_health
