package healthcheck_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

import (
	"go.uber.org/goleak"
)

import (
	"github.com/dubbo-health/health/healthcheck"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder keeps every Change a Runner reports, and signals each one.
type recorder struct {
	mu  sync.Mutex
	all []healthcheck.Change
	got chan healthcheck.Change
}

func newRecorder() *recorder { return &recorder{got: make(chan healthcheck.Change, 100)} }

func (r *recorder) change(c healthcheck.Change) {
	r.mu.Lock()
	r.all = append(r.all, c)
	r.mu.Unlock()
	r.got <- c
}

func (r *recorder) next(t *testing.T) healthcheck.Change {
	t.Helper()
	select {
	case c := <-r.got:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no change reported")
		return healthcheck.Change{}
	}
}

func TestAddRejects(t *testing.T) {
	t.Parallel()
	r := healthcheck.NewRunner(nil)
	defer r.Close()
	ok := healthcheck.CheckerFunc(func(context.Context) error { return nil })
	tests := []struct {
		name    string
		checker healthcheck.Checker
		opts    []healthcheck.Option
		want    error
	}{
		{"nil checker", nil, nil, healthcheck.ErrNilChecker},
		{"empty name", ok, nil, healthcheck.ErrEmptyName},
		{"zero interval", ok, []healthcheck.Option{healthcheck.WithInterval(0)}, healthcheck.ErrInvalidOption},
		{"negative interval", ok, []healthcheck.Option{healthcheck.WithInterval(-time.Second)}, healthcheck.ErrInvalidOption},
		{"zero timeout", ok, []healthcheck.Option{healthcheck.WithTimeout(0)}, healthcheck.ErrInvalidOption},
		{"jitter above 1", ok, []healthcheck.Option{healthcheck.WithJitter(1.5)}, healthcheck.ErrInvalidOption},
		{"negative jitter", ok, []healthcheck.Option{healthcheck.WithJitter(-0.1)}, healthcheck.ErrInvalidOption},
		{"zero failure threshold", ok, []healthcheck.Option{healthcheck.WithFailureThreshold(0)}, healthcheck.ErrInvalidOption},
		{"zero success threshold", ok, []healthcheck.Option{healthcheck.WithSuccessThreshold(0)}, healthcheck.ErrInvalidOption},
	}
	for _, tt := range tests {
		name := "db"
		if tt.name == "empty name" {
			name = ""
		}
		if err := r.Add("", name, tt.checker, tt.opts...); !errors.Is(err, tt.want) {
			t.Errorf("%s: Add = %v, want %v", tt.name, err, tt.want)
		}
	}
	if len(r.States()) != 0 {
		t.Errorf("a rejected Add left a checker: %v", r.States())
	}
	if err := r.Add("", "db", ok); err != nil {
		t.Fatal(err)
	}
	if err := r.Add("", "db", ok); !errors.Is(err, healthcheck.ErrDuplicate) {
		t.Errorf("second Add = %v, want ErrDuplicate", err)
	}
	r.Close()
	if err := r.Add("", "other", ok); !errors.Is(err, healthcheck.ErrClosed) {
		t.Errorf("Add after Close = %v, want ErrClosed", err)
	}
}

// TestChanges: the initial state before Add returns, the first reason of a
// checker that starts failing, each turn, and the removal, in order; no
// report after Remove has returned.
func TestChanges(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	r := healthcheck.NewRunner(rec.change)
	defer r.Close()
	results := make(chan error)
	c := healthcheck.CheckerFunc(func(ctx context.Context) error {
		select {
		case err := <-results:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if err := r.Add("svc", "dep", c, healthcheck.WithInterval(time.Millisecond), healthcheck.WithJitter(0),
		healthcheck.WithFailureThreshold(2)); err != nil {
		t.Fatal(err)
	}
	if got := rec.next(t); got.Passing || got.Err != nil || got.Removed {
		t.Fatalf("initial change %+v, want failing without a reason", got)
	}
	boom := errors.New("boom")
	results <- boom
	if got := rec.next(t); got.Passing || !errors.Is(got.Err, boom) {
		t.Fatalf("first failure %+v, want failing with its reason", got)
	}
	results <- nil
	if got := rec.next(t); !got.Passing {
		t.Fatalf("after a pass %+v, want passing", got)
	}
	results <- boom // one failure: below the threshold of 2
	results <- boom
	if got := rec.next(t); got.Passing || !errors.Is(got.Err, boom) {
		t.Fatalf("after two failures %+v, want failing", got)
	}
	if !r.Remove("svc", "dep") {
		t.Fatal("Remove = false")
	}
	if got := rec.next(t); !got.Removed {
		t.Fatalf("after Remove %+v, want Removed", got)
	}
	select {
	case got := <-rec.got:
		t.Fatalf("a change after Remove returned: %+v", got)
	default:
	}
	if r.Remove("svc", "dep") {
		t.Error("a second Remove = true")
	}
}

// TestStuckRun: a checker that ignores its context fails at its timeout and
// is not run again until it returns.
func TestStuckRun(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	r := healthcheck.NewRunner(rec.change)
	release := make(chan struct{})
	var mu sync.Mutex
	runs := 0
	c := healthcheck.CheckerFunc(func(context.Context) error {
		mu.Lock()
		runs++
		mu.Unlock()
		<-release
		return nil
	})
	if err := r.Add("", "stuck", c, healthcheck.WithInterval(time.Millisecond), healthcheck.WithJitter(0),
		healthcheck.WithTimeout(5*time.Millisecond), healthcheck.WithFailureThreshold(1), healthcheck.WithInitiallyPassing()); err != nil {
		t.Fatal(err)
	}
	rec.next(t) // initial
	if got := rec.next(t); got.Passing || got.Err == nil {
		t.Fatalf("a stuck run: %+v, want failing", got)
	}
	// Runs go on failing with ErrStuck while the first has not returned.
	deadline := time.Now().Add(10 * time.Second)
	for {
		states := r.States()
		if len(states) == 1 && errors.Is(states[0].Err, healthcheck.ErrStuck) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ErrStuck: %+v", states)
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	if runs != 1 {
		t.Errorf("the checker ran %d times while stuck, want 1", runs)
	}
	mu.Unlock()
	close(release)
	r.Close()
}
