// Package testapp is the dubbo-go server that the end-to-end tests start as a
// child process: a Greeter plus whatever health the binary links. Two mains
// link it: cmd/plain (this module and the filters dubbo-go's default provider
// chain names, nothing else) and cmd/imports (dubbo-go's imports package,
// which also links dubbo-go's built-in health service).
//
// Flags pick the port, group, version, registry, TLS and shutdown timings,
// the application's security: a server token (-token), provider filters
// (-filter; the test server registers its own, e2e-auth, which wants the
// header x-e2e-auth: ok), public health (-public), an HTTP handler attached
// to the Triple port (-attach) and Triple's receive limit (-max-recv), and
// the configurations of configs.go and load.go: a server-wide group and
// version, a Dubbo port, no Triple port, a health store of the program's
// own, dubbo-go's probe server, and dubbo.Load YAML variants.
// Lines on stdin control the running process:
//
//	set NAME STATUS   health.SetServingStatus(NAME, STATUS), NAME "-" is ""
//	export NAME       register and export a Greeter under interface NAME
//	unexport NAME     unexport it again
//	watchers          "ok N": open health Watch streams
//	mem               after a GC: "ok HEAP_INUSE_BYTES GOROUTINES"
//	stop              graceful_shutdown.Shutdown, then exit
//
// Each command answers one line, starting "ok" or "error: ".
package testapp
