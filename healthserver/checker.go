package healthserver

import (
	"context"
)

// A Checker checks one dependency of a service or of the whole server: a
// database, a downstream service, a disk. Check returns nil when the
// dependency is usable and an error saying why not otherwise. It must return
// soon after ctx is done; the server also stops waiting for it then.
//
// Checkers run in the background on their own schedule (see AddChecker),
// never on the path of a health request: Check and Watch answer from the
// last results.
type Checker interface {
	Check(ctx context.Context) error
}

// CheckerFunc adapts a function to a Checker.
type CheckerFunc func(ctx context.Context) error

// Check calls f(ctx).
func (f CheckerFunc) Check(ctx context.Context) error { return f(ctx) }
