// Package bench is the load harness behind make bench. It is not part of the
// module's API and is never run by make test.
//
// It starts test servers as child processes on free loopback ports (the
// dubbo-go test servers of internal/testapp and the grpc-go server of
// cmd/grpcserver), drives them through their stdin control protocol (set
// NAME STATUS, mem, stop), reads their CPU time and resident memory from
// /proc, and measures them with load generators that are bounded in time and
// count:
//
//   - RunUnary: gRPC unary calls (grpc-go client) from many callers over a
//     few connections: throughput and latency percentiles.
//   - RunWRK: HTTP/1.1 POST JSON calls with wrk; RunHTTPLoad: the same with
//     a Go load generator, where wrk is not installed.
//   - RunFanout: thousands of open Watch streams, status flips, and the time
//     until every watcher has each; memory and goroutines per open stream
//     from the server's mem command.
//   - MeasureHandler: the same Watch calls on the health handlers alone, in
//     process, without a transport.
//   - RunGoBench: the in-process Go benchmarks of a package, parsed.
//   - RunConsumers: registry consumers (the test consumers, with and
//     without clienthealth, through an embedded etcd) through a provider's
//     NOT_SERVING, SERVING and SIGTERM: when they stop and start calling it.
//
// cmd/benchrun orchestrates a whole run and writes the table; see its doc.
package bench
