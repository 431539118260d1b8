// Package clienthealth is client-side health checking for dubbo-go
// consumers: providers whose grpc.health.v1 status is not SERVING are left
// out of load balancing, as grpc-go does for clients with a
// healthCheckConfig. One blank import turns it on for every reference of the
// process:
//
//	import _ "github.com/dubbo-health/health/clienthealth"
//
// The import registers a router factory with dubbo-go, so every router chain
// the framework builds gets a health router: the chains of references to
// direct URLs ("tri://10.0.0.1:20000;tri://10.0.0.2:20000") and of references
// whose providers come from a registry.
//
// # What is watched
//
// For each Triple provider of a chain, the router holds a Watch of
// grpc.health.v1.Health on the provider's address (host:port of its URL) for
// the name the provider is called by, its URL's service key: the interface
// name ("greet.GreetService"), or group/interface:version
// ("g1/greet.GreetService:1.0.0") when the reference has a group or a
// version. Those are the names this module's server marks, and the names
// dubbo-go's built-in health service uses.
//
// There is one Watch per provider address and name for the whole process,
// shared by every reference, and one gRPC connection (grpc-go, plaintext) per
// provider address, shared by the watches on it. A router releases a Watch
// when the provider leaves its chain (the registry dropped it), and all of
// its watches when the garbage collector reclaims the router (dubbo-go never
// tells a router that its chain is gone). The last release ends the Watch
// stream, and closes the connection once no Watch uses it. Disable ends
// everything at once.
//
// # Eligibility
//
// The rules are grpc-go's:
//
//   - SERVING: eligible.
//   - NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN: not eligible.
//   - The Watch fails with code Unimplemented: the provider has no health
//     service, so it is eligible and no longer watched. (dubbo-go answers a
//     path it does not serve with HTTP 404, which gRPC reads as
//     Unimplemented.)
//   - The Watch fails with code ResourceExhausted: the provider's health
//     service is at its limit of Watch streams. Its health is unknown, not
//     bad, so it is eligible (grpc-go would count it as failing), unless it
//     was last seen NOT_SERVING, which stays out; the Watch is retried as
//     below.
//   - Any other error, or the end of the stream: not eligible (a provider
//     whose last status was NOT_SERVING stays so, without a new log line).
//     The Watch is opened again after 100ms, then after delays growing 1.6
//     times per failure up to 5s, each moved by up to 20% at random; the
//     backoff starts over once SERVING arrives (not on any status, as in
//     grpc-go: a provider in its graceful shutdown answers every Watch with
//     NOT_SERVING and ends it). The connection reconnects on the same
//     schedule (100ms growing to 5s), not on grpc-go's default one, which
//     grows to two minutes.
//   - No answer yet: not eligible.
//   - Providers on other protocols, and Triple providers reached over TLS, are
//     not watched: eligible.
//
// When no provider of a chain is eligible, the router takes, in order:
//
//  1. the providers whose Watch has not answered yet, if any: their health
//     is unknown, as it would be without this package, so they are tried
//     before providers known not to serve;
//  2. otherwise every provider: the reference falls back to load balancing
//     as if this package were absent (fail-open, as Envoy's panic mode), and
//     a warning is logged once per such period. References that prefer to
//     fail fast use WithoutFallback (or ParamNoEligible, or EnvNoEligible for
//     the whole process): their calls then fail at once with code
//     Unavailable and the message "no provider of NAME is serving".
//
// # In the router chain
//
// The router's priority, RouterPriority, puts it after every router dubbo-go
// ships, right before load balancing: routing rules (tags, conditions,
// scripts) choose the candidates, and the health router keeps the eligible
// ones among them. Route never changes the slice it is given; when every
// provider is eligible it returns that slice itself.
//
// # Cost
//
// No call waits for health: Route reads a snapshot through an atomic pointer
// and each provider's state through an atomic integer. It takes no lock,
// makes no network round trip and, when every provider is eligible,
// allocates nothing. Route and Notify are safe for concurrent use. Each
// Watch costs one goroutine and one HTTP/2 stream; statuses arrive when they
// change, so an idle Watch sends nothing.
//
// # Logs
//
// Through dubbo-go's logger (gost), prefixed "[Health]", one line per
// change: a provider leaving or rejoining load balancing, a provider found
// without health service, the start and end of a period with no eligible
// provider. Never one per call.
//
// # Turning it off
//
// DUBBO_HEALTH_CLIENT=false, read when a reference is created and whenever
// its providers change, leaves the router out of its chain. Disable turns it
// off for the rest of the process, for references that exist too. A
// graceful shutdown of dubbo-go calls Disable as its last step.
//
// # Next to dubbo-go's own health watch
//
// dubbo-go v3.3.2's Triple invoker opens a Watch of its own per provider (on
// its own connection) and reacts only to NOT_SERVING: for references with a
// registry it removes the provider from the reference until the registry
// reports that provider again. Providers that serve this module's health
// service show that Watch NOT_SERVING only once they shut down (see
// healthserver.Handler.Watch), so a provider that is NOT_SERVING for a while
// stays in the reference and this package routes around it and back; at a
// shutdown both take it out. This package's own Watch sends the header
// healthserver.WatcherHeader, which asks for the true status.
package clienthealth
