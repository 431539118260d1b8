package healthcheck

import (
	"context"
)

// A Checker checks one dependency of a service or of the whole server: a
// database, a downstream service, a disk. Check returns nil when the
// dependency is usable and an error saying why not otherwise. It must return
// soon after ctx is done; the Runner stops waiting for it then.
//
// A Checker that also implements io.Closer is closed when it is removed from
// its Runner or the Runner is closed.
type Checker interface {
	Check(ctx context.Context) error
}

// CheckerFunc adapts a function to a Checker.
type CheckerFunc func(ctx context.Context) error

// Check calls f(ctx).
func (f CheckerFunc) Check(ctx context.Context) error { return f(ctx) }
