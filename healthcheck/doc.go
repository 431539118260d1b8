// Package healthcheck runs dependency checks in the background and reports
// when each one starts or stops passing.
//
// A Checker answers one question, "is this dependency usable now?"; package
// checkers has TCP, HTTP, gRPC-health and function checkers. A Runner runs
// each checker it is given on its own schedule, with a timeout per run,
// counts consecutive results against thresholds, and calls the function it
// was made with whenever a checker turns passing or failing:
//
//	r := healthcheck.NewRunner(func(c healthcheck.Change) {
//		log.Printf("%s/%s passing=%v: %v", c.Service, c.Name, c.Passing, c.Err)
//	})
//	defer r.Close()
//	err := r.Add("", "postgres", checkers.TCP("db.internal:5432"),
//		healthcheck.WithInterval(2*time.Second), healthcheck.WithTimeout(time.Second))
//
// The Runner knows nothing of serving statuses: the health server
// (healthserver.Server.AddChecker) makes one and turns its changes into
// NOT_SERVING and SERVING.
//
// # Concurrency
//
// A Runner is safe for concurrent use. Each checker runs in a goroutine of
// its own, plus one per run, until Remove or Close; a run that ignores its
// context is abandoned at its timeout and no new run of that checker starts
// until it returns. The change function is called from those goroutines, one
// call at a time per checker, never while the Runner holds a lock; once
// Remove or Close has returned, no call for the removed checkers is made or
// still running.
package healthcheck
