package clienthealth_test

import (
	"testing"
)

import (
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// Every test releases what its routers hold, so no watch goroutine and
	// no connection outlives it: the leak check proves release works.
	goleak.VerifyTestMain(m)
}
