package healthserver_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

import (
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"
)

import (
	"github.com/dubbo-health/health/healthserver"
)

func TestNew(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	if st, ok := s.Status(""); !ok || st != healthserver.Serving {
		t.Errorf(`Status("") = %v, %v; want SERVING, true`, st, ok)
	}
	if got, want := s.Statuses(), map[string]healthserver.Status{"": healthserver.Serving}; !equalStatuses(got, want) {
		t.Errorf("Statuses() = %v, want %v", got, want)
	}
	if s.IsShutdown() {
		t.Error("IsShutdown() = true on a new server")
	}
	if n := s.Watchers(); n != 0 {
		t.Errorf("Watchers() = %d on a new server", n)
	}
}

func TestSetServingStatus(t *testing.T) {
	t.Parallel()
	const limit = 8
	tests := []struct {
		name    string
		service string
		status  healthserver.Status
		wantErr error // the sentinel the error matches
	}{
		{name: "serving", service: "svc", status: healthserver.Serving},
		{name: "not serving", service: "svc", status: healthserver.NotServing},
		{name: "unknown", service: "svc", status: healthserver.Unknown},
		{name: "empty name", service: "", status: healthserver.NotServing},
		{name: "name at limit", service: strings.Repeat("s", limit), status: healthserver.Serving},
		{name: "service unknown", service: "svc", status: healthserver.ServiceUnknown, wantErr: healthserver.ErrStatusNotSettable},
		{name: "out of range", service: "svc", status: healthserver.Status(42), wantErr: healthserver.ErrStatusNotSettable},
		{name: "negative", service: "svc", status: healthserver.Status(-1), wantErr: healthserver.ErrStatusNotSettable},
		{name: "name over limit", service: strings.Repeat("s", limit+1), status: healthserver.Serving, wantErr: healthserver.ErrNameTooLong},
		{name: "invalid utf-8", service: "\xc3\x28", status: healthserver.Serving, wantErr: healthserver.ErrNameNotUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(healthserver.WithMaxServiceNameLength(limit))
			before := s.Statuses()
			err := s.SetServingStatus(tt.service, tt.status)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("SetServingStatus(%q, %v): %v", tt.service, tt.status, err)
				}
				if st, ok := s.Status(tt.service); !ok || st != tt.status {
					t.Errorf("Status(%q) = %v, %v; want %v, true", tt.service, st, ok, tt.status)
				}
				return
			}
			if err == nil {
				t.Fatalf("SetServingStatus(%q, %v) succeeded, want an error", tt.service, tt.status)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error %q does not match %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "healthserver: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if got := s.Statuses(); !equalStatuses(got, before) {
				t.Errorf("a rejected SetServingStatus changed the statuses from %v to %v", before, got)
			}
		})
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(*healthserver.Server)
		service string
		want    map[string]healthserver.Status // Statuses after Remove
	}{
		{
			name:    "known",
			setup:   both(set("a", healthserver.Serving), set("b", healthserver.NotServing)),
			service: "a",
			want:    map[string]healthserver.Status{"": healthserver.Serving, "b": healthserver.NotServing},
		},
		{
			name:    "empty name",
			service: "",
			want:    map[string]healthserver.Status{},
		},
		{
			name:    "unknown",
			setup:   set("a", healthserver.Serving),
			service: "nope",
			want:    map[string]healthserver.Status{"": healthserver.Serving, "a": healthserver.Serving},
		},
		{
			name:    "while shut down",
			setup:   both(set("a", healthserver.Serving), (*healthserver.Server).Shutdown),
			service: "a",
			want:    map[string]healthserver.Status{"": healthserver.NotServing},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New()
			if tt.setup != nil {
				tt.setup(s)
			}
			s.Remove(tt.service)
			if got := s.Statuses(); !equalStatuses(got, tt.want) {
				t.Errorf("Statuses() = %v, want %v", got, tt.want)
			}
			if st, ok := s.Status(tt.service); ok {
				t.Errorf("Status(%q) = %v, true after Remove", tt.service, st)
			}
			_, err := s.Handler().Check(context.Background(), checkReq(tt.service))
			wantCode(t, err, tri.CodeNotFound)
		})
	}
}

func TestRemoveThenSet(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	set("a", healthserver.NotServing)(s)
	s.Remove("a")
	set("a", healthserver.Serving)(s)
	if st, ok := s.Status("a"); !ok || st != healthserver.Serving {
		t.Errorf(`Status("a") = %v, %v; want SERVING, true`, st, ok)
	}
}

func TestShutdownStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// before runs before Shutdown, during between Shutdown and Resume.
		before, during func(*healthserver.Server)
		// wantDuring is what every known service shows while shut down.
		wantDuring map[string]healthserver.Status
		wantAfter  map[string]healthserver.Status
	}{
		{
			name:       "new server",
			wantDuring: map[string]healthserver.Status{"": healthserver.NotServing},
			wantAfter:  map[string]healthserver.Status{"": healthserver.Serving},
		},
		{
			name:   "own statuses come back",
			before: both(set("a", healthserver.Serving), set("b", healthserver.NotServing), set("c", healthserver.Unknown)),
			wantDuring: map[string]healthserver.Status{
				"": healthserver.NotServing, "a": healthserver.NotServing, "b": healthserver.NotServing, "c": healthserver.NotServing,
			},
			// grpc-go's Resume would show SERVING for all four.
			wantAfter: map[string]healthserver.Status{
				"": healthserver.Serving, "a": healthserver.Serving, "b": healthserver.NotServing, "c": healthserver.Unknown,
			},
		},
		{
			name:   "empty name not serving on purpose",
			before: set("", healthserver.NotServing),
			wantDuring: map[string]healthserver.Status{
				"": healthserver.NotServing,
			},
			wantAfter: map[string]healthserver.Status{"": healthserver.NotServing},
		},
		{
			name:   "sets during shutdown are remembered",
			before: both(set("a", healthserver.NotServing), set("b", healthserver.Serving)),
			during: both(set("a", healthserver.Serving), set("b", healthserver.NotServing), set("new", healthserver.Serving)),
			wantDuring: map[string]healthserver.Status{
				"": healthserver.NotServing, "a": healthserver.NotServing, "b": healthserver.NotServing, "new": healthserver.NotServing,
			},
			wantAfter: map[string]healthserver.Status{
				"": healthserver.Serving, "a": healthserver.Serving, "b": healthserver.NotServing, "new": healthserver.Serving,
			},
		},
		{
			name:       "remove during shutdown",
			before:     set("a", healthserver.Serving),
			during:     remove("a"),
			wantDuring: map[string]healthserver.Status{"": healthserver.NotServing},
			wantAfter:  map[string]healthserver.Status{"": healthserver.Serving},
		},
		{
			name:       "shutdown twice",
			before:     set("a", healthserver.NotServing),
			during:     (*healthserver.Server).Shutdown,
			wantDuring: map[string]healthserver.Status{"": healthserver.NotServing, "a": healthserver.NotServing},
			wantAfter:  map[string]healthserver.Status{"": healthserver.Serving, "a": healthserver.NotServing},
		},
		{
			name:       "stop during shutdown",
			before:     set("a", healthserver.NotServing),
			during:     (*healthserver.Server).Stop,
			wantDuring: map[string]healthserver.Status{"": healthserver.NotServing, "a": healthserver.NotServing},
			wantAfter:  map[string]healthserver.Status{"": healthserver.Serving, "a": healthserver.NotServing},
		},
	}
	for _, tt := range tests {
		for _, stop := range []bool{false, true} {
			name := tt.name + "/shutdown"
			if stop {
				name = tt.name + "/stop"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				s := healthserver.New(healthserver.WithDrainDelay(0))
				h := s.Handler()
				if tt.before != nil {
					tt.before(s)
				}
				if stop {
					s.Stop()
				} else {
					s.Shutdown()
				}
				if !s.IsShutdown() {
					t.Error("IsShutdown() = false after Shutdown")
				}
				if tt.during != nil {
					tt.during(s)
				}
				checkAll(t, s, h, tt.wantDuring)
				s.Resume()
				if s.IsShutdown() {
					t.Error("IsShutdown() = true after Resume")
				}
				checkAll(t, s, h, tt.wantAfter)
				s.Resume() // does nothing
				checkAll(t, s, h, tt.wantAfter)
			})
		}
	}
}

// checkAll checks that Statuses, Status and Check all report want.
func checkAll(t *testing.T, s *healthserver.Server, h *healthserver.Handler, want map[string]healthserver.Status) {
	t.Helper()
	if got := s.Statuses(); !equalStatuses(got, want) {
		t.Errorf("Statuses() = %v, want %v", got, want)
	}
	for name, st := range want {
		if got, ok := s.Status(name); !ok || got != st {
			t.Errorf("Status(%q) = %v, %v; want %v, true", name, got, ok, st)
		}
		resp, err := h.Check(context.Background(), checkReq(name))
		if err != nil || resp.GetStatus() != st {
			t.Errorf("Check(%q) = %v, %v; want %v", name, resp.GetStatus(), err, st)
		}
	}
}

// TestManyServices: adding a service costs the same however many are known
// (the set of known services is not copied at each add): adding ten times
// as many takes far less than a hundred times as long, as a copy at each
// add would. Both sides are measured in the same test, each as the fastest
// of three rounds, so a busy machine slows both and a burst of load on one
// round does not count.
func TestManyServices(t *testing.T) {
	add := func(n int) time.Duration {
		best := time.Duration(0)
		for range 3 {
			s := healthserver.New(healthserver.WithLogger(nil))
			start := time.Now()
			for i := range n {
				if _, err := s.Export("", fmt.Sprintf("svc%d.Service", i), ""); err != nil {
					t.Fatal(err)
				}
			}
			if d := time.Since(start); best == 0 || d < best {
				best = d
			}
			s.Close()
		}
		return best
	}
	add(1000) // warm up
	small, large := add(2000), add(20000)
	t.Logf("2,000 services: %v; 20,000: %v (%.1fx)", small, large, float64(large)/float64(small))
	if large > 40*small {
		t.Errorf("20,000 services took %v, %.0fx the time of 2,000 (%v): adding is not amortised", large, float64(large)/float64(small), small)
	}
}
