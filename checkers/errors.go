package checkers

import (
	"context"
	"net"
	"net/url"
	"os"
	"time"
)

// checkError is the error a checker returns: a message for people that
// names what was checked, and the errors behind it for errors.Is and
// errors.As.
type checkError struct {
	msg  string
	errs []error
}

func (e *checkError) Error() string   { return e.msg }
func (e *checkError) Unwrap() []error { return e.errs }

// newCheckError returns an error reading "what: why". The reason is the
// context's cause when ctx ended, because that is why err happened, and the
// innermost useful text of err otherwise. The result unwraps to err and,
// when ctx ended, to ctx.Err().
func newCheckError(ctx context.Context, what string, err error) error {
	if ctxErr, cause := ended(ctx); ctxErr != nil {
		return &checkError{msg: what + ": " + cause.Error(), errs: []error{err, ctxErr}}
	}
	return &checkError{msg: what + ": " + reason(err), errs: []error{err}}
}

// ended returns ctx.Err() and context.Cause(ctx) when ctx has ended, and
// context.DeadlineExceeded twice when its deadline has passed although
// ctx.Err() does not say so yet: the timer that ends a context fires a little
// after its deadline, and dials and RPCs that watch the deadline itself can
// fail first. It returns nils when ctx has not ended.
func ended(ctx context.Context) (ctxErr, cause error) {
	if ctxErr = ctx.Err(); ctxErr != nil {
		return ctxErr, context.Cause(ctx)
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded, context.DeadlineExceeded
	}
	return nil, nil
}

// reason returns the text of err without the wrappers of packages net, os
// and net/url, which repeat the operation and the address the caller already
// names: "connection refused" rather than "dial tcp 127.0.0.1:5432: connect:
// connection refused".
func reason(err error) string {
	for {
		var inner error
		switch e := err.(type) {
		case *url.Error:
			inner = e.Err
		case *net.OpError:
			inner = e.Err
		case *os.SyscallError:
			inner = e.Err
		}
		if inner == nil {
			return err.Error()
		}
		err = inner
	}
}
