package healthserver_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

import (
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"
)

import (
	"github.com/dubbo-health/health/healthserver"
	"github.com/dubbo-health/health/triple_health"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	const limit = 16
	tests := []struct {
		name     string
		setup    func(*healthserver.Server)
		service  string
		want     healthserver.Status
		wantCode tri.Code // 0: no error
		wantMsg  string   // checked when not empty
	}{
		{name: "known serving", setup: set("svc", healthserver.Serving), service: "svc", want: healthserver.Serving},
		{name: "known not serving", setup: set("svc", healthserver.NotServing), service: "svc", want: healthserver.NotServing},
		{name: "known unknown", setup: set("svc", healthserver.Unknown), service: "svc", want: healthserver.Unknown},
		{name: "unknown", service: "nope", wantCode: tri.CodeNotFound, wantMsg: "unknown service"},
		{name: "unknown is case sensitive", setup: set("svc", healthserver.Serving), service: "SVC", wantCode: tri.CodeNotFound},
		{name: "empty on new server", service: "", want: healthserver.Serving},
		{name: "empty after shutdown", setup: (*healthserver.Server).Shutdown, service: "", want: healthserver.NotServing},
		{name: "known after shutdown", setup: both(set("svc", healthserver.Serving), (*healthserver.Server).Shutdown), service: "svc", want: healthserver.NotServing},
		{name: "empty set not serving", setup: set("", healthserver.NotServing), service: "", want: healthserver.NotServing},
		{name: "name at limit", setup: set(strings.Repeat("a", limit), healthserver.Serving), service: strings.Repeat("a", limit), want: healthserver.Serving},
		{name: "name over limit", service: strings.Repeat("a", limit+1), wantCode: tri.CodeInvalidArgument},
		{name: "invalid utf-8", service: "svc\xff", wantCode: tri.CodeInvalidArgument},
		{name: "truncated utf-8", service: "\xe2\x82", wantCode: tri.CodeInvalidArgument},
		{name: "unicode name", setup: set("grüße.Dienst", healthserver.Serving), service: "grüße.Dienst", want: healthserver.Serving},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(healthserver.WithMaxServiceNameLength(limit))
			if tt.setup != nil {
				tt.setup(s)
			}
			resp, err := s.Handler().Check(context.Background(), checkReq(tt.service))
			if tt.wantCode != 0 {
				wantCode(t, err, tt.wantCode)
				if resp != nil {
					t.Errorf("got response %v with the error", resp)
				}
				if tt.wantMsg != "" {
					var terr *tri.Error
					if !errors.As(err, &terr) || terr.Message() != tt.wantMsg {
						t.Errorf("got error message %q, want %q", err, tt.wantMsg)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Check(%q): %v", tt.service, err)
			}
			if got := resp.GetStatus(); got != tt.want {
				t.Errorf("Check(%q) = %v, want %v", tt.service, got, tt.want)
			}
		})
	}
}

func TestCheckDefaultNameLimit(t *testing.T) {
	t.Parallel()
	h := healthserver.New().Handler()
	tests := []struct {
		n        int
		wantCode tri.Code
	}{
		{healthserver.DefaultMaxServiceNameLength, tri.CodeNotFound},
		{healthserver.DefaultMaxServiceNameLength + 1, tri.CodeInvalidArgument},
	}
	for _, tt := range tests {
		_, err := h.Check(context.Background(), checkReq(strings.Repeat("x", tt.n)))
		if tri.CodeOf(err) != tt.wantCode {
			t.Errorf("Check(%d bytes): got %v, want code %v", tt.n, err, tt.wantCode)
		}
	}
}

// TestCheckAllocs is not parallel: AllocsPerRun counts every allocation of
// the process.
func TestCheckAllocs(t *testing.T) {
	s := healthserver.New()
	if err := s.SetServingStatus("greet.GreetService", healthserver.NotServing); err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	ctx := context.Background()
	for _, service := range []string{"", "greet.GreetService"} {
		req := checkReq(service)
		allocs := testing.AllocsPerRun(1000, func() {
			if _, err := h.Check(ctx, req); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Check(%q) allocates %v times, want 0", service, allocs)
		}
	}
}

// TestCheckNeverServiceUnknown checks that Check, Status, Statuses and List
// never report SERVICE_UNKNOWN, which the protocol reserves for Watch, while a
// service is being added and removed: a service is either known with its own
// status or unknown.
func TestCheckNeverServiceUnknown(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	h := s.Handler()
	ctx := context.Background()
	const service = "flapping"
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	report := func(err error) {
		select {
		case errc <- err:
		default:
		}
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := checkReq(service)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := h.Check(ctx, req)
				if err != nil {
					if tri.CodeOf(err) != tri.CodeNotFound {
						report(fmt.Errorf("Check: %w", err))
					}
				} else if resp.GetStatus() != healthserver.Serving {
					report(fmt.Errorf("Check returned %v, want SERVING or NotFound", resp.GetStatus()))
				}
				if st, ok := s.Status(service); ok && st != healthserver.Serving {
					report(fmt.Errorf("Status returned %v, true; want SERVING or false", st))
				}
				if i%16 == 0 {
					if st, ok := s.Statuses()[service]; ok && st != healthserver.Serving {
						report(fmt.Errorf("Statuses reports %v", st))
					}
				}
			}
		}()
	}
	for i := 0; i < 5000 && len(errc) == 0; i++ {
		if err := s.SetServingStatus(service, healthserver.Serving); err != nil {
			t.Fatal(err)
		}
		s.Remove(service)
	}
	close(stop)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     []healthserver.Option
		setup    func(*healthserver.Server)
		want     map[string]healthserver.Status
		wantCode tri.Code
	}{
		{
			name: "new server",
			want: map[string]healthserver.Status{"": healthserver.Serving},
		},
		{
			name:  "all services",
			setup: both(set("a", healthserver.Serving), set("b", healthserver.NotServing), set("c", healthserver.Unknown)),
			want: map[string]healthserver.Status{
				"": healthserver.Serving, "a": healthserver.Serving, "b": healthserver.NotServing, "c": healthserver.Unknown,
			},
		},
		{
			name:  "removed service",
			setup: both(set("a", healthserver.Serving), set("b", healthserver.Serving), remove("a")),
			want:  map[string]healthserver.Status{"": healthserver.Serving, "b": healthserver.Serving},
		},
		{
			name:  "shut down",
			setup: both(set("a", healthserver.Serving), (*healthserver.Server).Shutdown),
			want:  map[string]healthserver.Status{"": healthserver.NotServing, "a": healthserver.NotServing},
		},
		{
			name:  "at the limit",
			opts:  []healthserver.Option{healthserver.WithMaxListServices(3)},
			setup: both(set("a", healthserver.Serving), set("b", healthserver.Serving)),
			want:  map[string]healthserver.Status{"": healthserver.Serving, "a": healthserver.Serving, "b": healthserver.Serving},
		},
		{
			name:     "over the limit",
			opts:     []healthserver.Option{healthserver.WithMaxListServices(2)},
			setup:    both(set("a", healthserver.Serving), set("b", healthserver.Serving)),
			wantCode: tri.CodeResourceExhausted,
		},
		{
			name:     "over the default limit",
			setup:    setMany(healthserver.DefaultMaxListServices),
			wantCode: tri.CodeResourceExhausted,
		},
		{
			name:  "at the default limit",
			setup: setMany(healthserver.DefaultMaxListServices - 1),
		},
		{
			name:     "disabled",
			opts:     []healthserver.Option{healthserver.WithoutList()},
			wantCode: tri.CodeUnimplemented,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(tt.opts...)
			if tt.setup != nil {
				tt.setup(s)
			}
			resp, err := s.Handler().List(context.Background(), &triple_health.HealthListRequest{})
			if tt.wantCode != 0 {
				wantCode(t, err, tt.wantCode)
				return
			}
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			want := tt.want
			if want == nil {
				want = s.Statuses()
				if len(want) != healthserver.DefaultMaxListServices {
					t.Fatalf("setup made %d services", len(want))
				}
			}
			got := make(map[string]healthserver.Status, len(resp.GetStatuses()))
			for name, r := range resp.GetStatuses() {
				got[name] = r.GetStatus()
			}
			if !equalStatuses(got, want) {
				t.Errorf("List = %v, want %v", got, want)
			}
		})
	}
}

// set returns a setup that sets the status of service.
func set(service string, st healthserver.Status) func(*healthserver.Server) {
	return func(s *healthserver.Server) {
		if err := s.SetServingStatus(service, st); err != nil {
			panic(err)
		}
	}
}

// remove returns a setup that removes service.
func remove(service string) func(*healthserver.Server) {
	return func(s *healthserver.Server) { s.Remove(service) }
}

// setMany returns a setup that adds n SERVING services besides "".
func setMany(n int) func(*healthserver.Server) {
	return func(s *healthserver.Server) {
		for i := range n {
			set(fmt.Sprintf("svc%d", i), healthserver.Serving)(s)
		}
	}
}

// both returns a setup that runs each of steps in order.
func both(steps ...func(*healthserver.Server)) func(*healthserver.Server) {
	return func(s *healthserver.Server) {
		for _, step := range steps {
			step(s)
		}
	}
}

func equalStatuses(a, b map[string]healthserver.Status) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
