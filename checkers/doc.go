// Package checkers holds the dependency checkers most services need: a TCP
// dial, an HTTP GET, another server's grpc.health.v1 endpoint, and any
// function. Each is a healthcheck.Checker.
//
// A checker only answers "is this dependency usable now?". Running it on a
// schedule, counting failures and turning the result into a serving status
// is the health server's job: pass a checker to Server.AddChecker with the
// service it belongs to ("" for the whole server), a name and options such as
// the interval and the timeout of one run:
//
//	hs := healthserver.New()
//	_ = hs.AddChecker("", "postgres", checkers.TCP("db.internal:5432"))
//	_ = hs.AddChecker("greet.GreetService", "search",
//		checkers.HTTPGet("http://search.internal:9200/_cluster/health"))
//	_ = hs.AddChecker("greet.GreetService", "users",
//		checkers.GRPCHealth("users.internal:20000", "users.UserService"))
//
// The server closes a checker that implements io.Closer, as the GRPCHealth
// and the HTTPGet checker do, when the checker is removed or the server is
// closed.
//
// # Contexts, errors and concurrency
//
// Every checker honours its context (one made by Func as well as its
// function does): it gives up and returns an error soon after the context's
// deadline passes or it is canceled, and that error matches
// context.DeadlineExceeded or context.Canceled with errors.Is and says so.
// No checker has a timeout of its own; the context is the only limit, so call
// them with one that has a deadline (the health server does).
//
// A checker returns nil when the dependency is usable and otherwise an error
// whose message says what was checked and why it failed, such as
//
//	tcp dial 127.0.0.1:5432: connection refused
//
// The underlying error stays reachable with errors.Is and errors.As.
//
// Every checker is safe for concurrent use (one made by Func if its function
// is): it may run in several goroutines at once.
package checkers
