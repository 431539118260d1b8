package healthserver

import (
	"context"
	"errors"
	"fmt"
)

import (
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"
)

// The errors clients see are Triple errors with a code, so a grpc-go client
// gets the matching gRPC status and an HTTP JSON caller the matching HTTP
// status (NotFound is 404, InvalidArgument 400, ResourceExhausted 429,
// Unavailable 503, Unimplemented 404). They are made here and nowhere else.

// wireError turns an error of the Go API into the error a client sees.
func wireError(err error) error {
	switch {
	case errors.Is(err, ErrNameTooLong), errors.Is(err, ErrNameNotUTF8):
		return tri.NewError(tri.CodeInvalidArgument, errors.New(trimPrefix(err.Error())))
	}
	return tri.NewError(tri.CodeInternal, err)
}

// trimPrefix drops the package prefix of a Go API error for clients.
func trimPrefix(msg string) string {
	const prefix = "healthserver: "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):]
	}
	return msg
}

func errUnknownService() error {
	return tri.NewError(tri.CodeNotFound, errors.New("unknown service"))
}

func errListTooLong(limit int) error {
	return tri.NewError(tri.CodeResourceExhausted, fmt.Errorf("server health list exceeds maximum capacity: more than %d services", limit))
}

func errListDisabled() error {
	return tri.NewError(tri.CodeUnimplemented, errors.New("list is disabled on this server"))
}

func errTooManyWatchers(limit int) error {
	return tri.NewError(tri.CodeResourceExhausted, fmt.Errorf("too many watch streams: limit %d", limit))
}

func errTooManyHostWatchers(limit int) error {
	return tri.NewError(tri.CodeResourceExhausted, fmt.Errorf("too many watch streams from this client host: limit %d", limit))
}

func errDraining() error {
	return tri.NewError(tri.CodeUnavailable, errors.New("health service is shutting down"))
}

// errEnded is the error of a Watch whose context ended: Canceled, or
// DeadlineExceeded when that is why.
func errEnded(cause error) error {
	if errors.Is(cause, context.DeadlineExceeded) {
		return tri.NewError(tri.CodeDeadlineExceeded, cause)
	}
	return tri.NewError(tri.CodeCanceled, cause)
}
