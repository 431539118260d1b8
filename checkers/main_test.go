package checkers_test

import (
	"context"
	"testing"
	"time"
)

import (
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testContext returns a context that ends with the test or after a few
// seconds, whichever comes first: long enough for a loopback check, short
// enough that a checker that hangs fails the test instead of stalling it.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually calls cond every few milliseconds until it returns nil, and
// fails the test with its last error if that takes longer than timeout.
func eventually(t *testing.T, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		select {
		case <-deadline.C:
			t.Fatalf("still failing after %v: %v", timeout, err)
		case <-tick.C:
		}
	}
}
