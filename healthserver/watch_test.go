package healthserver_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

import (
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"
)

import (
	"github.com/dubbo-health/health/healthserver"
	"github.com/dubbo-health/health/triple_health"
)

// quiet is how long tests wait to see that a Watch sends nothing. Such a
// wait can only catch a server that misbehaves quickly, so each test also
// checks the message that follows.
const quiet = 50 * time.Millisecond

func TestWatchSendsCurrentStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(*healthserver.Server)
		service string
		want    healthserver.Status
	}{
		{name: "empty name on new server", service: "", want: healthserver.Serving},
		{name: "serving", setup: set("a", healthserver.Serving), service: "a", want: healthserver.Serving},
		{name: "not serving", setup: set("a", healthserver.NotServing), service: "a", want: healthserver.NotServing},
		{name: "unknown status", setup: set("a", healthserver.Unknown), service: "a", want: healthserver.Unknown},
		{name: "unknown service", service: "a", want: healthserver.ServiceUnknown},
		{name: "removed service", setup: both(set("a", healthserver.Serving), remove("a")), service: "a", want: healthserver.ServiceUnknown},
		{name: "shut down", setup: both(set("a", healthserver.Serving), (*healthserver.Server).Shutdown), service: "a", want: healthserver.NotServing},
		{name: "empty name shut down", setup: (*healthserver.Server).Shutdown, service: "", want: healthserver.NotServing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
			if tt.setup != nil {
				tt.setup(s)
			}
			w := startWatch(t, s.Handler(), tt.service, newStream("peer"))
			w.expectNext(t, tt.want)
			if w.ended() {
				t.Fatalf("Watch ended after its first message with %v", w.err)
			}
			if n := s.Watchers(); n != 1 {
				t.Errorf("Watchers() = %d, want 1", n)
			}
			s.Stop()
		})
	}
}

func TestWatchUnknownServiceStaysOpen(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	w := startWatch(t, s.Handler(), "later", newStream("peer"))
	w.expectNext(t, healthserver.ServiceUnknown)
	w.expectQuiet(t, quiet)
	if _, ok := s.Statuses()["later"]; ok {
		t.Error("watching a service made it known")
	}
	set("later", healthserver.Serving)(s)
	w.expectNext(t, healthserver.Serving)
	set("later", healthserver.NotServing)(s)
	w.expectNext(t, healthserver.NotServing)
}

func TestWatchSendsEveryChange(t *testing.T) {
	t.Parallel()
	steps := []struct {
		name string
		do   func(*healthserver.Server)
		want healthserver.Status
	}{
		{"set not serving", set("a", healthserver.NotServing), healthserver.NotServing},
		{"set serving", set("a", healthserver.Serving), healthserver.Serving},
		{"set unknown", set("a", healthserver.Unknown), healthserver.Unknown},
		{"set serving again", set("a", healthserver.Serving), healthserver.Serving},
		{"remove", remove("a"), healthserver.ServiceUnknown},
		{"set after remove", set("a", healthserver.NotServing), healthserver.NotServing},
		{"set serving before shutdown", set("a", healthserver.Serving), healthserver.Serving},
		{"shutdown", (*healthserver.Server).Shutdown, healthserver.NotServing},
		{"set during shutdown", set("a", healthserver.Unknown), -1},
		{"resume", (*healthserver.Server).Resume, healthserver.Unknown},
		{"remove again", remove("a"), healthserver.ServiceUnknown},
		{"set serving last", set("a", healthserver.Serving), healthserver.Serving},
	}
	s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
	set("a", healthserver.Serving)(s)
	w := startWatch(t, s.Handler(), "a", newStream("peer"))
	w.expectNext(t, healthserver.Serving)
	for _, step := range steps {
		step.do(s)
		if step.want < 0 {
			continue
		}
		if got := w.next(t); got != step.want {
			t.Fatalf("after %s: got %v, want %v", step.name, got, step.want)
		}
	}
	if n := w.stream.repeats.Load(); n != 0 {
		t.Errorf("Watch sent the same status twice in a row %d times", n)
	}
}

// TestWatchNoRepeats checks that Watch never sends the same status twice in a
// row: after each change that leaves the status as it was, the next message
// must be the sentinel that follows.
func TestWatchNoRepeats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		start healthserver.Status
		do    func(*healthserver.Server)
	}{
		{name: "set serving twice", start: healthserver.Serving, do: set("a", healthserver.Serving)},
		{name: "set not serving twice", start: healthserver.NotServing, do: set("a", healthserver.NotServing)},
		{name: "shutdown and resume on not serving", start: healthserver.NotServing, do: both((*healthserver.Server).Shutdown, (*healthserver.Server).Resume)},
		{name: "set during shutdown on not serving", start: healthserver.NotServing, do: both((*healthserver.Server).Shutdown, set("a", healthserver.Serving), set("a", healthserver.NotServing), (*healthserver.Server).Resume)},
		{name: "remove unknown name", start: healthserver.Serving, do: remove("other")},
		{name: "set other name", start: healthserver.Serving, do: set("other", healthserver.NotServing)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
			set("a", tt.start)(s)
			w := startWatch(t, s.Handler(), "a", newStream("peer"))
			w.expectNext(t, tt.start)
			tt.do(s)
			w.expectQuiet(t, quiet)
			sentinel := healthserver.Unknown
			set("a", sentinel)(s)
			w.expectNext(t, sentinel)
			if n := w.stream.repeats.Load(); n != 0 {
				t.Errorf("Watch sent the same status twice in a row %d times", n)
			}
		})
	}
}

// TestWatchSlowWatcher blocks Watch in Send while statuses change: the setter
// must not block, and once Send returns, the watcher gets only the newest
// status, and nothing if the newest is what it sent last.
func TestWatchSlowWatcher(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		whileSlow []func(*healthserver.Server)
		want      []healthserver.Status // after the first, blocked message
	}{
		{
			name: "newest only",
			whileSlow: []func(*healthserver.Server){
				set("a", healthserver.NotServing), set("a", healthserver.Unknown), set("a", healthserver.Serving),
				set("a", healthserver.NotServing),
			},
			want: []healthserver.Status{healthserver.NotServing},
		},
		{
			name: "back where it was",
			whileSlow: []func(*healthserver.Server){
				set("a", healthserver.NotServing), set("a", healthserver.Unknown), set("a", healthserver.Serving),
			},
			want: nil,
		},
		{
			name: "removed and set again",
			whileSlow: []func(*healthserver.Server){
				remove("a"), set("a", healthserver.Unknown),
			},
			want: []healthserver.Status{healthserver.Unknown},
		},
		{
			name: "removed",
			whileSlow: []func(*healthserver.Server){
				set("a", healthserver.NotServing), remove("a"),
			},
			want: []healthserver.Status{healthserver.ServiceUnknown},
		},
		{
			name: "shutdown and resume",
			whileSlow: []func(*healthserver.Server){
				(*healthserver.Server).Shutdown, set("a", healthserver.Unknown), (*healthserver.Server).Resume,
			},
			want: []healthserver.Status{healthserver.Unknown},
		},
		{
			name: "many changes",
			whileSlow: func() []func(*healthserver.Server) {
				var steps []func(*healthserver.Server)
				for i := range 1000 {
					steps = append(steps, set("a", []healthserver.Status{healthserver.NotServing, healthserver.Serving}[i%2]))
				}
				return append(steps, set("a", healthserver.Unknown))
			}(),
			want: []healthserver.Status{healthserver.Unknown},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
			set("a", healthserver.Serving)(s)
			h := s.Handler()
			const slow = 10
			var ws []*watchCall
			for i := range slow {
				w := startWatch(t, h, "a", newGatedStream(fmt.Sprintf("peer%d", i)))
				ws = append(ws, w)
				<-w.stream.entered // Watch is blocked in its first Send
			}
			// A fast watcher next to the slow ones sees every change.
			fast := startWatch(t, h, "a", newDiscardStream("fast"))
			waitFor(t, "the fast watcher's first message", func() bool { return fast.stream.count.Load() == 1 })

			for _, step := range tt.whileSlow {
				step(s) // must return although every slow watcher is blocked
			}
			want, _ := s.Status("a") // SERVICE_UNKNOWN if removed
			waitFor(t, "the fast watcher's last message", func() bool {
				st, _ := fast.stream.lastStatus()
				return st == want
			})

			for _, w := range ws {
				w.stream.release()
			}
			wantAll := append([]healthserver.Status{healthserver.Serving}, tt.want...)
			for i, w := range ws {
				var got []healthserver.Status
				for range wantAll {
					got = append(got, w.next(t))
				}
				if fmt.Sprint(got) != fmt.Sprint(wantAll) {
					t.Errorf("slow watcher %d got %v, want %v", i, got, wantAll)
				}
			}
			// The next message is a sentinel: nothing stale comes before it.
			sentinel := healthserver.NotServing
			if want == healthserver.NotServing {
				sentinel = healthserver.Serving
			}
			set("a", sentinel)(s)
			for i, w := range ws {
				if got := w.next(t); got != sentinel {
					t.Errorf("slow watcher %d got %v after the newest status, want the sentinel %v", i, got, sentinel)
				}
			}
			if n := fast.stream.repeats.Load(); n != 0 {
				t.Errorf("the fast watcher got the same status twice in a row %d times", n)
			}
		})
	}
}

func TestWatchCancel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(*healthserver.Server)
		service string
		first   healthserver.Status
	}{
		{name: "known", setup: set("a", healthserver.Serving), service: "a", first: healthserver.Serving},
		{name: "unknown", service: "a", first: healthserver.ServiceUnknown},
		{name: "empty name", service: "", first: healthserver.Serving},
		{name: "during drain delay", setup: both(set("a", healthserver.Serving), (*healthserver.Server).Shutdown), service: "a", first: healthserver.NotServing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
			if tt.setup != nil {
				tt.setup(s)
			}
			before := s.Statuses()
			ws := []*watchCall{
				startWatch(t, s.Handler(), tt.service, newStream("p1")),
				startWatch(t, s.Handler(), tt.service, newStream("p1")),
				startWatch(t, s.Handler(), tt.service, newStream("p2")),
			}
			for _, w := range ws {
				w.expectNext(t, tt.first)
			}
			if n := s.Watchers(); n != len(ws) {
				t.Fatalf("Watchers() = %d, want %d", n, len(ws))
			}
			for i, w := range ws {
				start := time.Now()
				w.cancel()
				w.expectEnd(t, tri.CodeCanceled)
				if d := time.Since(start); d > time.Second {
					t.Errorf("Watch took %v to end after cancel", d)
				}
				if n, want := s.Watchers(), len(ws)-i-1; n != want {
					t.Errorf("Watchers() = %d after %d cancels, want %d", n, i+1, want)
				}
			}
			if got := s.Statuses(); !equalStatuses(got, before) {
				t.Errorf("watching changed the statuses from %v to %v", before, got)
			}
			s.Stop()
		})
	}
}

func TestWatchCancelledBeforeStart(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Handler().Watch(ctx, checkReq(""), newStream("peer"))
	wantCode(t, err, tri.CodeCanceled)
	if n := s.Watchers(); n != 0 {
		t.Errorf("Watchers() = %d, want 0", n)
	}
}

func TestWatchInvalidName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		service string
	}{
		{"too long", strings.Repeat("n", 33)},
		{"invalid utf-8", "a\x80b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(healthserver.WithMaxServiceNameLength(32))
			st := newStream("peer")
			err := s.Handler().Watch(context.Background(), checkReq(tt.service), st)
			wantCode(t, err, tri.CodeInvalidArgument)
			if n := st.count.Load(); n != 0 {
				t.Errorf("Watch sent %d messages", n)
			}
			if n := s.Watchers(); n != 0 {
				t.Errorf("Watchers() = %d, want 0", n)
			}
		})
	}
}

func TestShutdownDrainsWatches(t *testing.T) {
	t.Parallel()
	for _, delay := range []time.Duration{0, 50 * time.Millisecond} {
		t.Run(fmt.Sprintf("delay=%v", delay), func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(healthserver.WithDrainDelay(delay))
			set("a", healthserver.Serving)(s)
			set("b", healthserver.NotServing)(s)
			h := s.Handler()
			watches := []struct {
				service string
				want    []healthserver.Status
			}{
				{"", []healthserver.Status{healthserver.Serving, healthserver.NotServing}},
				{"a", []healthserver.Status{healthserver.Serving, healthserver.NotServing}},
				{"b", []healthserver.Status{healthserver.NotServing}},
				{"unknown", []healthserver.Status{healthserver.ServiceUnknown}},
			}
			var ws []*watchCall
			for _, wt := range watches {
				w := startWatch(t, h, wt.service, newStream("peer"))
				w.expectNext(t, wt.want[0])
				ws = append(ws, w)
			}
			start := time.Now()
			s.Shutdown()
			set("a", healthserver.Unknown)(s) // remembered, not shown
			for i, w := range ws {
				w.expectNext(t, watches[i].want[1:]...)
				w.expectEnd(t, tri.CodeUnavailable)
				if d := time.Since(start); d < delay {
					t.Errorf("Watch(%q) ended %v after Shutdown, before the drain delay %v", watches[i].service, d, delay)
				}
				if n := w.stream.count.Load(); n != int64(len(watches[i].want)) {
					t.Errorf("Watch(%q) sent %d messages, want %d", watches[i].service, n, len(watches[i].want))
				}
			}
			if n := s.Watchers(); n != 0 {
				t.Errorf("Watchers() = %d after the drain, want 0", n)
			}

			// A Watch opened after the drain sends its status and ends one
			// drain delay later, so that clients reopening at once do not
			// spin.
			for _, service := range []string{"", "a", "unknown"} {
				w := startWatch(t, h, service, newStream("late"))
				opened := time.Now()
				want := healthserver.NotServing
				if service == "unknown" {
					want = healthserver.ServiceUnknown
				}
				w.expectNext(t, want)
				w.expectEnd(t, tri.CodeUnavailable)
				if d := time.Since(opened); d < delay {
					t.Errorf("Watch(%q) opened after the drain ended after %v, before the drain delay %v", service, d, delay)
				}
			}

			s.Resume()
			if st, _ := s.Status("a"); st != healthserver.Unknown {
				t.Errorf(`Status("a") after Resume = %v, want UNKNOWN set during shutdown`, st)
			}
			// After Resume, a new Watch stays open again.
			w := startWatch(t, h, "a", newStream("resumed"))
			w.expectNext(t, healthserver.Unknown)
			set("a", healthserver.Serving)(s)
			w.expectNext(t, healthserver.Serving)
			w.cancel()
			w.expectEnd(t, tri.CodeCanceled)
		})
	}
}

// TestDrainReachesSlowWatchers shuts down while Watch streams are blocked in
// Send: when they get going again, the drain has already happened, and each
// must still send NOT_SERVING before it ends.
func TestDrainReachesSlowWatchers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []healthserver.Option
		stop func(*healthserver.Server)
	}{
		{name: "shutdown without delay", opts: []healthserver.Option{healthserver.WithDrainDelay(0)}, stop: (*healthserver.Server).Shutdown},
		{name: "stop", opts: []healthserver.Option{healthserver.WithDrainDelay(time.Hour)}, stop: (*healthserver.Server).Stop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(tt.opts...)
			var ws []*watchCall
			for i := range 16 {
				w := startWatch(t, s.Handler(), "", newGatedStream(fmt.Sprintf("peer%d", i)))
				<-w.stream.entered
				ws = append(ws, w)
			}
			tt.stop(s)
			for _, w := range ws {
				w.stream.release()
			}
			for i, w := range ws {
				var got []healthserver.Status
				for range 2 {
					got = append(got, w.next(t))
				}
				if want := []healthserver.Status{healthserver.Serving, healthserver.NotServing}; fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("slow watcher %d got %v, want %v", i, got, want)
				}
				w.expectEnd(t, tri.CodeUnavailable)
			}
		})
	}
}

func TestWatchOpenedDuringDrainDelay(t *testing.T) {
	t.Parallel()
	s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
	set("a", healthserver.Serving)(s)
	s.Shutdown()
	w := startWatch(t, s.Handler(), "a", newStream("peer"))
	w.expectNext(t, healthserver.NotServing)
	w.expectQuiet(t, quiet)
	s.Resume()
	w.expectNext(t, healthserver.Serving)
	s.Shutdown()
	w.expectNext(t, healthserver.NotServing)
	start := time.Now()
	s.Stop()
	w.expectEnd(t, tri.CodeUnavailable)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Watch ended %v after Stop", d)
	}
}

func TestStopEndsWatchesAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		first func(*healthserver.Server)
	}{
		{name: "stop", first: func(*healthserver.Server) {}},
		{name: "shutdown then stop", first: (*healthserver.Server).Shutdown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
			set("a", healthserver.Serving)(s)
			var ws []*watchCall
			for _, service := range []string{"", "a"} {
				w := startWatch(t, s.Handler(), service, newStream("peer"))
				w.expectNext(t, healthserver.Serving)
				ws = append(ws, w)
			}
			tt.first(s)
			start := time.Now()
			s.Stop()
			for _, w := range ws {
				w.expectEnd(t, tri.CodeUnavailable)
				if got, _ := w.stream.lastStatus(); got != healthserver.NotServing {
					t.Errorf("last status before the end = %v, want NOT_SERVING", got)
				}
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Watch streams ended %v after Stop, want at once", d)
			}
			if n := s.Watchers(); n != 0 {
				t.Errorf("Watchers() = %d after Stop", n)
			}
			// A Watch opened after Stop is refused before any message,
			// so that clients back off instead of reopening at once.
			w := startWatch(t, s.Handler(), "a", newStream("late"))
			w.expectEnd(t, tri.CodeUnavailable)
			if n := w.stream.count.Load(); n != 0 {
				t.Errorf("a Watch opened after Stop sent %d messages, want none", n)
			}
		})
	}
}

// TestResumeWhileDrainTimerFires resumes many servers at about the moment
// their drain delay ends. Resume must win: a Watch opened after Resume stays
// open, whether or not the drain timer had fired.
func TestResumeWhileDrainTimerFires(t *testing.T) {
	t.Parallel()
	const servers = 3000
	type run struct {
		s *healthserver.Server
		w *watchCall
	}
	runs := make([]run, servers)
	for i := range runs {
		delay := time.Duration(1+i%50) * time.Microsecond
		s := healthserver.New(healthserver.WithDrainDelay(delay))
		s.Shutdown()
		// Resume when the timer is due, or a few microseconds later.
		for start, due := time.Now(), delay+time.Duration(i%8)*time.Microsecond; time.Since(start) < due; {
		}
		s.Resume()
		runs[i] = run{s: s, w: startWatch(t, s.Handler(), "", newStream("peer"))}
	}
	for _, r := range runs {
		r.w.expectNext(t, healthserver.Serving)
	}
	// Give a drain timer that fired during Resume time to do harm.
	timer := time.NewTimer(quiet)
	<-timer.C
	ended := 0
	for i, r := range runs {
		if r.w.ended() {
			ended++
			if ended <= 3 {
				t.Errorf("server %d (drain delay %v): Watch opened after Resume ended with %v; IsShutdown() = %v",
					i, time.Duration(1+i%50)*time.Microsecond, r.w.err, r.s.IsShutdown())
			}
		}
	}
	if ended > 0 {
		t.Errorf("%d of %d Watch streams opened after Resume were drained", ended, servers)
	}
}

func TestWatchLimits(t *testing.T) {
	t.Parallel()
	s := healthserver.New(healthserver.WithMaxWatchers(8, 3))
	_ = s.SetServingStatus("a.A", healthserver.Serving)
	h := s.Handler()
	open := func(peer, name string) *watchCall {
		t.Helper()
		w := startWatch(t, h, name, newStream(peer))
		st, known := s.Status(name)
		if !known {
			st = healthserver.ServiceUnknown
		}
		w.expectNext(t, st)
		return w
	}
	refused := func(peer, name string) {
		t.Helper()
		st := newStream(peer)
		// If the Watch is wrongly accepted, it ends with Canceled.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := h.Watch(ctx, checkReq(name), st)
		wantCode(t, err, tri.CodeResourceExhausted)
		if n := st.count.Load(); n != 0 {
			t.Errorf("a refused Watch sent %d messages", n)
		}
	}

	// Per host, whatever the connection (port).
	a1 := open("10.0.0.1:1000", "")
	open("10.0.0.1:1001", "")
	open("10.0.0.1:1002", "x")
	refused("10.0.0.1:1003", "y") // unknown name: no reserve
	refused("10.0.0.1:1003", "")  // already watched from this host
	// The first Watch of a host for a known name is admitted beyond the
	// per-host limit.
	a4 := open("10.0.0.1:1004", "a.A")
	// Fill the total (8) from other hosts.
	b1 := open("10.0.0.2:2000", "")
	open("10.0.0.2:2001", "y")
	open("10.0.0.3:3000", "y")
	open("10.0.0.4:4000", "y")
	if n := s.Watchers(); n != 8 {
		t.Fatalf("Watchers() = %d, want 8", n)
	}
	refused("10.0.0.5:5000", "y")   // total, unknown name
	refused("10.0.0.2:2002", "")    // total, name already watched by its host
	open("10.0.0.5:5000", "")       // total, but first of a known name: the reserve (8/4 = 2)
	open("10.0.0.6:6000", "a.A")    // the reserve's last slot
	refused("10.0.0.7:7000", "a.A") // the reserve is full too
	if n := s.Watchers(); n != 10 {
		t.Fatalf("Watchers() = %d, want 10", n)
	}

	// The refused ones left no trace and the open ones still work.
	set("", healthserver.NotServing)(s)
	for _, w := range []*watchCall{a1, b1} {
		w.expectNext(t, healthserver.NotServing)
	}

	// Closing streams makes room again.
	a1.cancel()
	a1.expectEnd(t, tri.CodeCanceled)
	a4.cancel()
	a4.expectEnd(t, tri.CodeCanceled)
	b1.cancel()
	b1.expectEnd(t, tri.CodeCanceled)
	open("10.0.0.8:8000", "y")    // 7 open, below the total
	refused("10.0.0.9:9000", "y") // 8 open
}

func TestWatchLimitsOff(t *testing.T) {
	t.Parallel()
	s := healthserver.New(healthserver.WithMaxWatchers(0, 0))
	for range 100 {
		startWatch(t, s.Handler(), "", newDiscardStream("same peer"))
	}
	waitFor(t, "100 watchers", func() bool { return s.Watchers() == 100 })
}

// TestWatchStress flips statuses from many goroutines while thousands of
// Watch streams follow them, then checks that every stream ends on the final
// status and that no goroutine is left.
func TestWatchStress(t *testing.T) {
	t.Parallel()
	const (
		setters        = 8
		watchers       = 2000
		opsPerSetter   = 1000
		maxStressPhase = 300 * time.Millisecond
	)
	services := []string{"", "a", "b", "c"}
	final := map[string]healthserver.Status{
		"": healthserver.NotServing, "a": healthserver.Serving, "b": healthserver.Unknown, "c": healthserver.NotServing,
	}
	settable := []healthserver.Status{healthserver.Serving, healthserver.NotServing, healthserver.Unknown}

	s := healthserver.New(healthserver.WithDrainDelay(time.Hour))
	h := s.Handler()
	ws := make([]*watchCall, watchers)
	for i := range ws {
		ws[i] = startWatch(t, h, services[i%len(services)], newDiscardStream(fmt.Sprintf("peer%d", i%50)))
	}
	waitFor(t, "every Watch to start", func() bool { return s.Watchers() == watchers })

	var wg sync.WaitGroup
	end := time.Now().Add(maxStressPhase)
	for i := range setters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 42))
			for op := 0; op < opsPerSetter && time.Now().Before(end); op++ {
				service := services[r.IntN(len(services))]
				if r.IntN(20) == 0 {
					s.Remove(service)
					continue
				}
				if err := s.SetServingStatus(service, settable[r.IntN(len(settable))]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Add(2)
	go func() { // shut down and resume
		defer wg.Done()
		for time.Now().Before(end) {
			s.Shutdown()
			s.Resume()
		}
	}()
	go func() { // read
		defer wg.Done()
		for time.Now().Before(end) {
			for _, service := range services {
				if _, err := h.Check(context.Background(), checkReq(service)); err != nil && tri.CodeOf(err) != tri.CodeNotFound {
					t.Errorf("Check(%q): %v", service, err)
				}
			}
			if _, err := h.List(context.Background(), &triple_health.HealthListRequest{}); err != nil {
				t.Errorf("List: %v", err)
			}
		}
	}()
	wg.Wait()

	s.Resume()
	for service, st := range final {
		set(service, st)(s)
	}
	waitFor(t, "every watcher to see the final status", func() bool {
		for i, w := range ws {
			if st, _ := w.stream.lastStatus(); st != final[services[i%len(services)]] {
				return false
			}
		}
		return true
	})
	for i, w := range ws {
		if n := w.stream.repeats.Load(); n != 0 {
			t.Errorf("watcher %d got the same status twice in a row %d times", i, n)
		}
		if n := w.stream.invalid.Load(); n != 0 {
			t.Errorf("watcher %d got %d invalid statuses", i, n)
		}
	}
	for _, w := range ws {
		w.cancel()
	}
	for _, w := range ws {
		w.expectEnd(t, tri.CodeCanceled)
	}
	if n := s.Watchers(); n != 0 {
		t.Errorf("Watchers() = %d after every Watch ended", n)
	}
}

// TestLateWatchHeld: a Watch opened after the drain is held open for one
// drain delay; Stop and Close end it at once; after a Resume it is an
// ordinary Watch again, no longer bound to end.
func TestLateWatchHeld(t *testing.T) {
	t.Parallel()
	const delay = time.Second
	for _, then := range []string{"Stop", "Close", "Resume"} {
		t.Run(then, func(t *testing.T) {
			t.Parallel()
			s := healthserver.New(healthserver.WithDrainDelay(delay))
			defer s.Close()
			set("a", healthserver.Serving)(s)
			early := startWatch(t, s.Handler(), "a", newStream("early"))
			early.expectNext(t, healthserver.Serving)
			s.Shutdown()
			early.expectNext(t, healthserver.NotServing)
			early.expectEnd(t, tri.CodeUnavailable) // the drain has come

			late := startWatch(t, s.Handler(), "a", newStream("late"))
			late.expectNext(t, healthserver.NotServing)
			late.expectQuiet(t, delay/4) // held, not ended at once
			start := time.Now()
			switch then {
			case "Stop":
				s.Stop()
			case "Close":
				s.Close()
			case "Resume":
				s.Resume()
				late.expectNext(t, healthserver.Serving)
				late.expectQuiet(t, delay+delay/4) // past the hold: still open
				late.cancel()
				late.expectEnd(t, tri.CodeCanceled)
				return
			}
			late.expectEnd(t, tri.CodeUnavailable)
			if d := time.Since(start); d > delay/2 {
				t.Errorf("the held Watch ended %v after %s, want at once", d, then)
			}
		})
	}
}

// TestStopRefusesBeforeLimits: after Stop a new Watch is refused with
// Unavailable even while streams still ending fill the Watch limit (a
// ResourceExhausted would tell clients the provider is merely busy).
func TestStopRefusesBeforeLimits(t *testing.T) {
	t.Parallel()
	s := healthserver.New(healthserver.WithDrainDelay(time.Hour), healthserver.WithMaxWatchers(0, 1))
	defer s.Close()
	held := newGatedStream("p") // its Send blocks: Stop cannot end it yet
	startWatch(t, s.Handler(), "", held)
	waitFor(t, "the first Watch", func() bool { return s.Watchers() == 1 })
	s.Stop()
	w := startWatch(t, s.Handler(), "", newStream("p"))
	w.expectEnd(t, tri.CodeUnavailable)
}
