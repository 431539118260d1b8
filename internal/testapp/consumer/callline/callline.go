// Package callline is the line in which the test consumer
// (internal/testapp/consumer) reports each call on its stdout, written by
// the consumer and read by the end-to-end tests and the benchmark runner:
//
//	ok ID TOOK          the call succeeded; ID is the -id of the server that answered
//	err TOOK MESSAGE    the call failed
//
// TOOK is how long the call took, as time.Duration prints it ("12.5ms").
// (internal/e2e/oldconsumer, a module of its own built against older
// dubbo-go releases, prints the same lines without importing this package.)
package callline

import (
	"strings"
	"time"
)

// Call is one reported call.
type Call struct {
	ID   string        // the server that answered; "" if the call failed
	Took time.Duration // how long the call took, as the consumer measured it
	Err  string        // the error on one line; "" if the call succeeded
}

// Format returns the line that reports c.
func Format(c Call) string {
	if c.ID == "" {
		return "err " + c.Took.String() + " " + strings.Join(strings.Fields(c.Err), " ")
	}
	return "ok " + c.ID + " " + c.Took.String()
}

// Parse reads a line that Format wrote. It reports false for any other
// line (the consumer's logs share its output).
func Parse(line string) (Call, bool) {
	kind, rest, _ := strings.Cut(line, " ")
	switch kind {
	case "ok":
		id, took, _ := strings.Cut(rest, " ")
		d, err := time.ParseDuration(took)
		return Call{ID: id, Took: d}, err == nil && id != ""
	case "err":
		took, msg, _ := strings.Cut(rest, " ")
		d, err := time.ParseDuration(took)
		return Call{Took: d, Err: msg}, err == nil && msg != ""
	}
	return Call{}, false
}
