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
// server and keeps it up to date.
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
// # Checkers, derived status, HTTP and metrics
//
// AddChecker runs a Checker (see package checkers for built-in ones) in the
// background for a service or for the whole server; the status a service
// shows is derived: unknown if never set; NOT_SERVING while shut down; the
// status as set if that is not SERVING; NOT_SERVING while one of its
// checkers fails; what the service it follows shows for the same reasons
// (Follow: autoregistration makes each service key follow its interface
// name); else SERVING. "" also follows WithOverallPolicy. Checks never run on
// the request path. SetIfUnknown sets a status only where none was set, as
// autoregistration does on export.
//
// HTTPHandler is a plain GET view (/healthz, /readyz?service=NAME) of the
// same statuses for load balancers and Kubernetes httpGet probes, and
// Collector exports them to Prometheus.
//
// # Concurrency
//
// Server and Handler are safe for concurrent use. Statuses are published
// through atomic pointers: Check, Status and Statuses take no lock and Check
// allocates nothing. A status change takes a mutex, publishes the new status
// and wakes every Watch of the name by closing one channel; it never waits for
// a watcher. Each Watch stream runs in the goroutine the transport gives it
// and starts none of its own. Each checker runs in a goroutine of its own,
// plus one per run, until RemoveChecker or Close.
package healthserver
