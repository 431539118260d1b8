package healthcheck

import (
	"errors"
)

// Errors returned by Runner.Add. Callers match them with errors.Is; the
// returned errors say more.
var (
	// ErrNilChecker: the checker is nil.
	ErrNilChecker = errors.New("healthcheck: nil checker")
	// ErrEmptyName: the checker has no name.
	ErrEmptyName = errors.New("healthcheck: empty checker name")
	// ErrDuplicate: a checker of the same service and name is running.
	ErrDuplicate = errors.New("healthcheck: checker already added")
	// ErrInvalidOption: an option has a value out of its range, such as
	// a zero interval.
	ErrInvalidOption = errors.New("healthcheck: invalid option")
	// ErrClosed: the Runner is closed.
	ErrClosed = errors.New("healthcheck: runner is closed")
)

// ErrStuck is the error of a run that could not start because the previous
// run has not returned yet, though its timeout passed.
var ErrStuck = errors.New("the previous run has not returned yet")
