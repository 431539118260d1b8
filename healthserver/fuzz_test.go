package healthserver_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

import (
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"
)

import (
	"github.com/dubbo-health/health/healthserver"
)

// fuzzNameLimit is small so that the fuzzer reaches it.
const fuzzNameLimit = 64

func addFuzzSeeds(f *testing.F) {
	f.Add("", byte(healthserver.Serving))
	f.Add("greet.GreetService", byte(healthserver.NotServing))
	f.Add("greet.GreetService", byte(healthserver.Unknown))
	f.Add("svc", byte(healthserver.ServiceUnknown))
	f.Add("svc", byte(42))
	f.Add("grüße", byte(healthserver.Serving))
	f.Add("bad\xff", byte(healthserver.Serving))
	f.Add(strings.Repeat("a", fuzzNameLimit+1), byte(healthserver.Serving))
}

// fuzzCase is what the fuzz targets expect of a name and a status.
type fuzzCase struct {
	name     string
	st       healthserver.Status
	valid    bool // name is accepted
	settable bool // st may be set
}

func newFuzzCase(name string, b byte) fuzzCase {
	st := healthserver.Status(b)
	return fuzzCase{
		name:     name,
		st:       st,
		valid:    len(name) <= fuzzNameLimit && utf8.ValidString(name),
		settable: st == healthserver.Unknown || st == healthserver.Serving || st == healthserver.NotServing,
	}
}

// set sets the status and checks the error; it reports whether the set
// took effect.
func (c fuzzCase) set(t *testing.T, s *healthserver.Server) bool {
	t.Helper()
	err := s.SetServingStatus(c.name, c.st)
	switch {
	case !c.settable:
		if err == nil {
			t.Fatalf("SetServingStatus(%q, %d) accepted a status that cannot be set", c.name, c.st)
		}
		return false
	case !c.valid:
		if !errors.Is(err, healthserver.ErrNameTooLong) && !errors.Is(err, healthserver.ErrNameNotUTF8) {
			t.Fatalf("SetServingStatus(%q) = %v, want a name error", c.name, err)
		}
		return false
	case err != nil:
		t.Fatalf("SetServingStatus(%q, %v): %v", c.name, c.st, err)
	}
	return true
}

// wantAllowedCode fails unless err is nil or has a code Check and Watch may
// return for a request.
func wantAllowedCode(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	switch tri.CodeOf(err) {
	case tri.CodeNotFound, tri.CodeInvalidArgument:
	default:
		t.Fatalf("error %q has code %v, want NotFound or InvalidArgument", err, tri.CodeOf(err))
	}
}

func FuzzCheck(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, name string, b byte) {
		c := newFuzzCase(name, b)
		s := healthserver.New(healthserver.WithMaxServiceNameLength(fuzzNameLimit))
		h := s.Handler()
		ok := c.set(t, s)

		resp, err := h.Check(context.Background(), checkReq(name))
		wantAllowedCode(t, err)
		switch {
		case !c.valid:
			wantCode(t, err, tri.CodeInvalidArgument)
		case ok:
			if err != nil || resp.GetStatus() != c.st {
				t.Fatalf("Check(%q) = %v, %v after setting %v", name, resp.GetStatus(), err, c.st)
			}
			if st, known := s.Status(name); !known || st != c.st {
				t.Fatalf("Status(%q) = %v, %v after setting %v", name, st, known, c.st)
			}
		case name == "":
			if err != nil || resp.GetStatus() != healthserver.Serving {
				t.Fatalf(`Check("") = %v, %v on a new server`, resp.GetStatus(), err)
			}
		default:
			wantCode(t, err, tri.CodeNotFound)
		}

		s.Remove(name)
		_, err = h.Check(context.Background(), checkReq(name))
		wantAllowedCode(t, err)
		if c.valid {
			wantCode(t, err, tri.CodeNotFound)
		}
	})
}

func FuzzWatch(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, name string, b byte) {
		c := newFuzzCase(name, b)
		s := healthserver.New(healthserver.WithMaxServiceNameLength(fuzzNameLimit))
		h := s.Handler()
		ok := c.set(t, s)

		w := startWatch(t, h, name, newStream("fuzz"))
		if !c.valid {
			err := w.result(t)
			wantAllowedCode(t, err)
			wantCode(t, err, tri.CodeInvalidArgument)
			return
		}
		want := healthserver.ServiceUnknown
		switch {
		case ok:
			want = c.st
		case name == "":
			want = healthserver.Serving
		}
		w.expectNext(t, want)

		next := healthserver.NotServing
		if want == healthserver.NotServing {
			next = healthserver.Serving
		}
		if err := s.SetServingStatus(name, next); err != nil {
			t.Fatal(err)
		}
		w.expectNext(t, next)
		s.Remove(name)
		w.expectNext(t, healthserver.ServiceUnknown)

		w.cancel()
		w.expectEnd(t, tri.CodeCanceled)
		if n := s.Watchers(); n != 0 {
			t.Fatalf("Watchers() = %d after the Watch ended", n)
		}
	})
}
