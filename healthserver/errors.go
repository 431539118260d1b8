package healthserver

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Errors of the Go API. Callers match them with errors.Is; the returned
// errors say more. Clients of the health service never see these: the
// handler answers them with codes (see Handler).
var (
	// ErrNameTooLong: a service name is longer than the limit
	// (WithMaxServiceNameLength).
	ErrNameTooLong = errors.New("healthserver: service name too long")
	// ErrNameNotUTF8: a service name is not valid UTF-8.
	ErrNameNotUTF8 = errors.New("healthserver: service name is not valid UTF-8")
	// ErrStatusNotSettable: only UNKNOWN, SERVING and NOT_SERVING can be
	// set; SERVICE_UNKNOWN is what an unknown name shows.
	ErrStatusNotSettable = errors.New("healthserver: status cannot be set")
	// ErrClosed: the server has been closed.
	ErrClosed = errors.New("healthserver: server is closed")
)

// checkName validates a service name, from a request or a caller, against
// limit.
func checkName(name string, limit int) error {
	if len(name) > limit {
		return fmt.Errorf("%w: %d bytes, longer than the limit of %d", ErrNameTooLong, len(name), limit)
	}
	if !utf8.ValidString(name) {
		return ErrNameNotUTF8
	}
	return nil
}
