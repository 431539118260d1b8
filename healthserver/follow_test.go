package healthserver_test

import (
	"errors"
	"testing"
)

import (
	"github.com/dubbo-health/health/healthcheck"
	"github.com/dubbo-health/health/healthserver"
)

const (
	iface = "greet.GreetService"
	key   = "g1/greet.GreetService:1.0.0"
)

func TestSetIfUnknown(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	if set, err := s.SetIfUnknown(iface, healthserver.Serving); err != nil || !set {
		t.Fatalf("SetIfUnknown of an unknown service = %v, %v; want true, nil", set, err)
	}
	if got := status(t, s, iface); got != healthserver.Serving {
		t.Errorf("status = %v, want SERVING", got)
	}
	_ = s.SetServingStatus(iface, healthserver.NotServing)
	if set, err := s.SetIfUnknown(iface, healthserver.Serving); err != nil || set {
		t.Errorf("SetIfUnknown of a known service = %v, %v; want false, nil", set, err)
	}
	if got := status(t, s, iface); got != healthserver.NotServing {
		t.Errorf("status = %v, want the NOT_SERVING set before", got)
	}
	s.Remove(iface)
	if set, _ := s.SetIfUnknown(iface, healthserver.Serving); !set {
		t.Error("SetIfUnknown after Remove did not set")
	}
	if _, err := s.SetIfUnknown("x", healthserver.ServiceUnknown); err == nil {
		t.Error("SetIfUnknown accepted SERVICE_UNKNOWN")
	}
	if _, err := s.SetIfUnknown("\xc3\x28", healthserver.Serving); err == nil {
		t.Error("SetIfUnknown accepted an invalid name")
	}
	// Shut down, a newly set service shows NOT_SERVING like any other.
	s.Shutdown()
	defer s.Close()
	_, _ = s.SetIfUnknown("late", healthserver.Serving)
	if got := status(t, s, "late"); got != healthserver.NotServing {
		t.Errorf("status set during shutdown shows %v, want NOT_SERVING", got)
	}
}

func TestFollow(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	defer s.Close()
	_ = s.SetServingStatus(iface, healthserver.Serving)
	_ = s.SetServingStatus(key, healthserver.Serving)
	if err := s.Follow(key, iface); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, s.Handler(), key, newStream("peer"))
	w.expectNext(t, healthserver.Serving)

	steps := []struct {
		what      string
		do        func()
		wantIface healthserver.Status
		wantKey   healthserver.Status
	}{
		{"interface NOT_SERVING", func() { _ = s.SetServingStatus(iface, healthserver.NotServing) }, healthserver.NotServing, healthserver.NotServing},
		{"interface UNKNOWN", func() { _ = s.SetServingStatus(iface, healthserver.Unknown) }, healthserver.Unknown, healthserver.Unknown},
		{"interface SERVING", func() { _ = s.SetServingStatus(iface, healthserver.Serving) }, healthserver.Serving, healthserver.Serving},
		{"key NOT_SERVING on its own", func() { _ = s.SetServingStatus(key, healthserver.NotServing) }, healthserver.Serving, healthserver.NotServing},
		{"key SERVING again", func() { _ = s.SetServingStatus(key, healthserver.Serving) }, healthserver.Serving, healthserver.Serving},
	}
	last := healthserver.Serving
	for _, st := range steps {
		st.do()
		if got := status(t, s, iface); got != st.wantIface {
			t.Errorf("%s: interface shows %v, want %v", st.what, got, st.wantIface)
		}
		if got := status(t, s, key); got != st.wantKey {
			t.Errorf("%s: key shows %v, want %v", st.what, got, st.wantKey)
		}
		if st.wantKey != last {
			w.expectNext(t, st.wantKey)
			last = st.wantKey
		}
	}

	// A checker of the interface name counts for the key as well.
	c := newScripted()
	if err := s.AddChecker(iface, "dep", c, fastCheck(healthcheck.WithInitiallyPassing(), healthcheck.WithFailureThreshold(1))...); err != nil {
		t.Fatal(err)
	}
	feed(t, s, c, iface, "dep", errors.New("down"))
	w.expectNext(t, healthserver.NotServing)
	feed(t, s, c, iface, "dep", nil)
	w.expectNext(t, healthserver.Serving)
	s.RemoveChecker(iface, "dep")

	// A removed parent no longer counts; the follow itself stays.
	_ = s.SetServingStatus(iface, healthserver.NotServing)
	w.expectNext(t, healthserver.NotServing)
	s.Remove(iface)
	w.expectNext(t, healthserver.Serving)
	_ = s.SetServingStatus(iface, healthserver.NotServing)
	w.expectNext(t, healthserver.NotServing)

	// An empty parent ends the follow.
	if err := s.Follow(key, ""); err != nil {
		t.Fatal(err)
	}
	w.expectNext(t, healthserver.Serving)
	w.cancel()
}

func TestFollowEndsWithRemove(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	_ = s.SetServingStatus(iface, healthserver.NotServing)
	_ = s.SetServingStatus(key, healthserver.Serving)
	_ = s.Follow(key, iface)
	if got := status(t, s, key); got != healthserver.NotServing {
		t.Fatalf("key shows %v, want NOT_SERVING from its interface", got)
	}
	s.Remove(key)
	_ = s.SetServingStatus(key, healthserver.Serving)
	if got := status(t, s, key); got != healthserver.Serving {
		t.Errorf("key set again after Remove shows %v, want SERVING: Remove ends the follow", got)
	}
}

func TestRemoveUnknownEndsFollow(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	_ = s.SetServingStatus(iface, healthserver.NotServing)
	_ = s.Follow(key, iface) // key not known yet
	s.Remove(key)
	_ = s.SetServingStatus(key, healthserver.Serving)
	if got := status(t, s, key); got != healthserver.Serving {
		t.Errorf("key shows %v, want SERVING: Remove of an unknown name ends its follow too", got)
	}
}

func TestFollowErrors(t *testing.T) {
	t.Parallel()
	s := healthserver.New(healthserver.WithMaxServiceNameLength(8))
	for _, tt := range []struct{ service, parent string }{
		{"", "a"},
		{"a", "a"},
		{"toolongname", "a"},
		{"a", "toolongname"},
		{"\xc3\x28", "a"},
	} {
		if err := s.Follow(tt.service, tt.parent); err == nil {
			t.Errorf("Follow(%q, %q) = nil, want an error", tt.service, tt.parent)
		}
	}
}
