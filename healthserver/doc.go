// Package healthserver is the status store and the Triple handler of the
// standard grpc.health.v1.Health service, for dubbo-go servers.
//
// A Server holds the serving status of named services; the empty name "" is
// the whole server. Handler serves a Server as grpc.health.v1.Health through
// the stubs in triple_health:
//
//	hs := healthserver.New()
//	_ = triple_health.RegisterHealthHandler(srv, hs.Handler())
//	_ = hs.SetServingStatus("greet.GreetService", healthserver.NotServing)
//
// Most programs never do this by hand: a blank import of the root package
// github.com/dubbo-health/health registers a default Server on every dubbo-go
// server and keeps it up to date through Export, Shutdown, Stop and Close.
//
// # Semantics
//
// They are grpc-go's health.Server's, with these differences, each chosen for
// users who run behind probes and load balancers:
//
//   - Check of an unknown service fails with code NotFound (HTTP 404 for a
//     JSON caller), never with an untyped error.
//   - Watch of an unknown service sends SERVICE_UNKNOWN and stays open until
//     the service is known. It never sends the same status twice in a row and a
//     slow watcher skips stale statuses.
//   - List reports every known service, up to WithMaxListServices (100), and
//     fails with ResourceExhausted beyond that (gRFC A90). WithoutList turns
//     it off, because service names are information.
//   - Shutdown shows NOT_SERVING everywhere and remembers statuses set while
//     shut down; Resume restores what each service would show without the
//     shutdown (grpc-go forces SERVING instead, losing NOT_SERVING set on
//     purpose). Shutdown also ends open Watch streams after a drain delay, so
//     they never hold up a graceful stop.
//   - Names longer than WithMaxServiceNameLength (1024 bytes) or not UTF-8
//     fail with InvalidArgument; SetServingStatus rejects statuses other than
//     SERVING, NOT_SERVING and UNKNOWN.
//
// # The parts
//
// The Server stores statuses and derives what each service shows (see
// derive.go for the order of precedence: shutdown, the status as set,
// failing checkers, the service a service key follows, the overall policy).
// Its checkers run in a healthcheck.Runner beside it (AddChecker), which
// reports each checker turning passing or failing; the Server only records
// that. The Handler alone speaks the wire: it turns statuses and errors
// into responses and codes, and owns the Watch streams and their limits.
// HTTPHandler is a plain GET view (/healthz, /readyz?service=NAME) for load
// balancers and Kubernetes httpGet probes, and Collector exports the
// statuses to Prometheus. The Go API returns plain errors that match the
// sentinels of errors.go with errors.Is; clients see codes.
//
// # Concurrency
//
// Server and Handler are safe for concurrent use. Statuses are published
// through atomic pointers: Check and Status take no lock and Check
// allocates nothing. A status change takes a mutex, publishes the new status
// and wakes every Watch of the name by closing one channel; it never waits for
// a watcher. Changes are logged and reported to the change hook after the
// mutex is released. Each Watch stream runs in the goroutine the transport
// gives it and starts none of its own. Each checker runs in goroutines of
// the Runner until RemoveChecker or Close.
package healthserver
