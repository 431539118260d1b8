package health

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

import (
	"github.com/dubbo-health/health/healthserver"
	"github.com/dubbo-health/health/triple_health"
)

// TestConfigureRacesDefault: Configure and the first Default called at once
// either apply the options or report ErrConfigured, never neither. Each
// round runs in a child process, since the default server is created once
// per process.
func TestConfigureRacesDefault(t *testing.T) {
	if os.Getenv("HEALTH_TEST_CHILD") == "configure-race" {
		configureRaceChild(t)
		return
	}
	for range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestConfigureRacesDefault$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "HEALTH_TEST_CHILD=configure-race")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestConfigureRacesDefault") {
			t.Fatalf("child: %v\n%s", err, out)
		}
	}
}

func configureRaceChild(t *testing.T) {
	var wg sync.WaitGroup
	var err error
	wg.Add(2)
	go func() { defer wg.Done(); _ = Default() }()
	go func() { defer wg.Done(); err = Configure(healthserver.WithoutList()) }()
	wg.Wait()
	_, listErr := Default().Handler().List(context.Background(), &triple_health.HealthListRequest{})
	switch {
	case err == nil && listErr == nil:
		t.Error("Configure(WithoutList()) returned nil, but List still answers: the option was lost")
	case err != nil && err != ErrConfigured:
		t.Errorf("Configure = %v, want nil or ErrConfigured", err)
	}
	Default().Close()
}
