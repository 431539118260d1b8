// Package health gives every dubbo-go server the standard gRPC health
// service, grpc.health.v1.Health, on each of its Triple ports, with one blank
// import:
//
//	import _ "github.com/dubbo-health/health"
//
// What the import does, for every server the framework starts
// (dubbo.NewInstance(...).NewServer(), server.NewServer, dubbo.Load):
//
//   - It exports grpc.health.v1.Health (Check, Watch, List) on each Triple
//     protocol of the server, never in a registry or in service discovery.
//     If dubbo-go's own built-in health service is linked (its imports
//     package does that), this one takes its place on the same path.
//   - It marks every exported service SERVING under its interface name
//     ("greet.GreetService") and, when it has a group or version, under its
//     service key ("group/greet.GreetService:1.0.0"), which follows the
//     interface name (a NOT_SERVING set there shows on the key too). A
//     status the program set before the export is kept. Each port answers
//     for itself: a service of another Triple port is unknown there;
//     services exported on a Dubbo port are reported on the Triple ports of
//     their server. The whole server, "", turns SERVING on a port once
//     every service of that port's server is exported. An unexported
//     service becomes unknown.
//   - Health runs the application's security filters (its token, its own
//     provider filters), without the limiters and the graceful-shutdown
//     counting meant for business methods; PublicProbes or
//     DUBBO_HEALTH_PUBLIC=true make it public for probes that cannot send
//     credentials.
//   - On graceful shutdown (SIGTERM, SIGINT or graceful_shutdown.Shutdown)
//     every status turns NOT_SERVING before any listener closes, open Watch
//     streams receive NOT_SERVING, and they end after a drain delay or when the
//     listener is about to close, whichever comes first.
//
// All servers of the process share one status store, Default. Programs mark
// their own conditions on it:
//
//	health.SetServingStatus("greet.GreetService", healthserver.NotServing)
//
// AddChecker adds background dependency checks (package checkers has TCP,
// HTTP, gRPC-health and function checkers). Every Triple port also serves a
// plain HTTP view, GET /healthz and /readyz?service=NAME, for load balancers
// and Kubernetes httpGet probes (DisableHTTP or DUBBO_HEALTH_HTTP=false turn
// it off), and the statuses are exported to Prometheus's default registry.
//
// Configure sets its options before the first server starts; Disable, or
// DUBBO_HEALTH_AUTOREGISTER=false, turns autoregistration off.
//
// The stubs for clients are in package triple_health; the store and handler,
// for programs that register the service by hand, in package healthserver.
package health
