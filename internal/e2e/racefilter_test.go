package e2e_test

import (
	"testing"
)

// raceReport is the shape of the report a race-built dubbo-go v3.3.2
// server printed when a SIGTERM came soon after its start (abridged).
const raceReport = `
Read at 0x00c0003f6e60 by goroutine 51:
  dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol.(*Server).GracefulStop()
      /mod/dubbo-go/v3@v3.3.2/protocol/triple/triple_protocol/server.go:326 +0xdc
  github.com/dubbo-health/health/internal/dubbogo.(*tripleProtocol).Destroy()
      /src/internal/dubbogo/protocol.go:243 +0x1ab

Previous write at 0x00c0003f6e60 by goroutine 36:
  dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol.(*Server).startHttp2()
      /mod/dubbo-go/v3@v3.3.2/protocol/triple/triple_protocol/server.go:200 +0x2b8
`

// TestUpstreamRaceFilter checks that the harness tells dubbo-go's own race
// from one in this module's code.
func TestUpstreamRaceFilter(t *testing.T) {
	tops := raceTops(raceReport)
	if len(tops) != 2 {
		t.Fatalf("raceTops found %q, want the two accesses", tops)
	}
	if upstreamRace(tops) == "" {
		t.Errorf("dubbo-go's Triple server race not recognised: %q", tops)
	}
	ours := []string{"github.com/dubbo-health/health/healthserver.(*Server).set()", tops[1]}
	if why := upstreamRace(ours); why != "" {
		t.Errorf("a race in this module's code taken for an upstream one (%s)", why)
	}
}
