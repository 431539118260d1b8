package healthserver_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

import (
	"github.com/dubbo-health/health/healthserver"
)

// changes records what a server's change hook reports.
type changes struct {
	mu  sync.Mutex
	all []healthserver.Change
}

func (c *changes) hook(ch healthserver.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all = append(c.all, ch)
}

// shown returns the statuses service was shown with, in order.
func (c *changes) shown(service string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, ch := range c.all {
		if ch.Service == service {
			out = append(out, ch.Status.String())
		}
	}
	return strings.Join(out, " ")
}

// TestExportKeepsKeyBehindItsInterface: a service held NOT_SERVING by its
// interface name never shows SERVING under its service key, neither while
// it is exported nor while it is unexported.
func TestExportKeepsKeyBehindItsInterface(t *testing.T) {
	t.Parallel()
	const iface, key = "order.Held", "g1/order.Held:1.0.0"
	var c changes
	s := healthserver.New(healthserver.WithChangeHook(c.hook))
	if err := s.SetServingStatus(iface, healthserver.NotServing); err != nil {
		t.Fatal(err)
	}
	unexport, err := s.Export("", iface, key)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Status(key); st != healthserver.NotServing {
		t.Errorf("exported key shows %v, want NOT_SERVING from its interface", st)
	}
	unexport()
	if got, want := c.shown(key), "NOT_SERVING SERVICE_UNKNOWN"; got != want {
		t.Errorf("the key was shown %q, want %q", got, want)
	}
	if got, want := c.shown(iface), "NOT_SERVING SERVICE_UNKNOWN"; got != want {
		t.Errorf("the interface was shown %q, want %q", got, want)
	}
}

// TestExportCounts: a name exported twice (two ports) stays until its last
// export goes; an unexport called twice counts once.
func TestExportCounts(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	un1, _ := s.Export("127.0.0.1:1", "a.A", "")
	un2, _ := s.Export("127.0.0.1:2", "a.A", "")
	if st, ok := s.Status("a.A"); !ok || st != healthserver.Serving {
		t.Fatalf("exported: %v, %v", st, ok)
	}
	un1()
	un1()
	if _, ok := s.Status("a.A"); !ok {
		t.Fatal("unknown while a second export lives (or an unexport counted twice)")
	}
	un2()
	if _, ok := s.Status("a.A"); ok {
		t.Fatal("known after its last unexport")
	}
}

// TestUnexportWhileDown: an unexport during a shutdown leaves the name
// showing NOT_SERVING, never unknown, whatever the interleaving; the store
// decides under one lock.
func TestUnexportWhileDown(t *testing.T) {
	t.Parallel()
	for range 200 {
		s := healthserver.New()
		unexport, _ := s.Export("", "a.A", "g/a.A:1")
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); s.Shutdown() }()
		go func() { defer wg.Done(); unexport() }()
		wg.Wait()
		// Either the unexport came first (unknown) or the shutdown did
		// (NOT_SERVING); a SERVING would mean a torn decision.
		for _, name := range []string{"a.A", "g/a.A:1"} {
			if st, ok := s.Status(name); ok && st != healthserver.NotServing {
				t.Fatalf("%s shows %v after Shutdown", name, st)
			}
		}
		s.Close()
	}
}

// TestExportKeepsStatusSetBefore: a status set before the export is kept.
func TestExportKeepsStatusSetBefore(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	_ = s.SetServingStatus("a.A", healthserver.NotServing)
	if _, err := s.Export("", "a.A", ""); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Status("a.A"); st != healthserver.NotServing {
		t.Errorf("export overrode a status set before: %v", st)
	}
}

func TestClosedServerRefusesChanges(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	s.Close()
	if err := s.SetServingStatus("a", healthserver.Serving); !errors.Is(err, healthserver.ErrClosed) {
		t.Errorf("SetServingStatus after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Export("", "a.A", ""); !errors.Is(err, healthserver.ErrClosed) {
		t.Errorf("Export after Close = %v, want ErrClosed", err)
	}
	if err := s.AddChecker("", "x", newScripted()); !errors.Is(err, healthserver.ErrClosed) {
		t.Errorf("AddChecker after Close = %v, want ErrClosed", err)
	}
}
