package healthserver_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
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

// waitTimeout bounds every wait for a state in these tests. It is long, so a
// slow machine under -race never fails a correct test; a wrong server fails
// after it.
const waitTimeout = 15 * time.Second

// cleanupTimeout bounds the wait for each Watch to end when its test ends.
// It is shorter than waitTimeout: a test that leaves many streams behind has
// already failed, and goleak reports them.
const cleanupTimeout = 5 * time.Second

// testConn is the triple_protocol.StreamingHandlerConn of a testStream. Only
// Peer and RequestHeader are implemented; the server needs nothing else.
type testConn struct {
	tri.StreamingHandlerConn // nil: any other method panics
	addr                     string
	header                   http.Header
}

func (c testConn) Peer() tri.Peer { return tri.Peer{Addr: c.addr} }

func (c testConn) RequestHeader() http.Header { return c.header }

// testStream is a triple_health.Health_WatchServer that records what Watch
// sends. Messages go to msgs, if it is not nil; the last status and the
// number of messages are always recorded. If gate is not nil, Send waits until
// release is called (or the stream is closed) before it records a message.
type testStream struct {
	peer    string
	header  http.Header // the request's headers
	msgs    chan healthserver.Status
	gate    chan struct{}
	entered chan struct{} // receives a value, if there is room, whenever Send is entered

	releaseOnce sync.Once
	closeOnce   sync.Once
	done        chan struct{} // closed by close: Send stops blocking

	last    atomic.Int32
	count   atomic.Int64
	repeats atomic.Int64 // messages equal to the one before
	invalid atomic.Int64 // messages with a status outside the protocol
}

var _ triple_health.Health_WatchServer = (*testStream)(nil)

// newStream returns a stream that keeps up to 64 unread messages.
func newStream(peer string) *testStream {
	s := newDiscardStream(peer)
	s.msgs = make(chan healthserver.Status, 64)
	return s
}

// newDiscardStream returns a stream that only records the last status.
func newDiscardStream(peer string) *testStream {
	s := &testStream{peer: peer, done: make(chan struct{}), entered: make(chan struct{}, 1)}
	s.last.Store(-1)
	return s
}

// newGatedStream returns a stream whose Send blocks until release.
func newGatedStream(peer string) *testStream {
	s := newStream(peer)
	s.gate = make(chan struct{})
	return s
}

func (s *testStream) Send(m *triple_health.HealthCheckResponse) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-s.done:
			return errors.New("test stream closed")
		}
	}
	st := m.GetStatus()
	switch st {
	case healthserver.Unknown, healthserver.Serving, healthserver.NotServing, healthserver.ServiceUnknown:
	default:
		s.invalid.Add(1)
	}
	if healthserver.Status(s.last.Swap(int32(st))) == st {
		s.repeats.Add(1)
	}
	s.count.Add(1)
	if s.msgs != nil {
		select {
		case s.msgs <- st:
		case <-s.done:
			return errors.New("test stream closed")
		}
	}
	return nil
}

func (s *testStream) ResponseHeader() http.Header { return http.Header{} }

func (s *testStream) ResponseTrailer() http.Header { return http.Header{} }

func (s *testStream) Conn() tri.StreamingHandlerConn {
	return testConn{addr: s.peer, header: s.header}
}

// release lets a gated Send through, now and from then on.
func (s *testStream) release() { s.releaseOnce.Do(func() { close(s.gate) }) }

// close makes every Send return an error instead of blocking.
func (s *testStream) close() { s.closeOnce.Do(func() { close(s.done) }) }

// lastStatus returns the last status sent, and false if none was.
func (s *testStream) lastStatus() (healthserver.Status, bool) {
	v := s.last.Load()
	return healthserver.Status(v), v >= 0
}

// watchCall is a Watch running in its own goroutine, as the transport runs it.
type watchCall struct {
	stream *testStream
	cancel context.CancelFunc
	done   chan struct{} // closed when Watch has returned err
	err    error
}

// startWatch runs h.Watch(service) on stream in a goroutine. The test's
// cleanup cancels the call and waits for it to end.
func startWatch(tb testing.TB, h *healthserver.Handler, service string, stream *testStream) *watchCall {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watchCall{stream: stream, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.err = h.Watch(ctx, &triple_health.HealthCheckRequest{Service: service}, stream)
	}()
	tb.Cleanup(func() {
		cancel()
		stream.close()
		select {
		case <-w.done:
		case <-time.After(cleanupTimeout):
			tb.Errorf("Watch(%q) did not return within %v after its context was cancelled", service, cleanupTimeout)
		}
	})
	return w
}

// next returns the next status the Watch sends.
func (w *watchCall) next(tb testing.TB) healthserver.Status {
	tb.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	select {
	case st := <-w.stream.msgs:
		return st
	case <-w.done:
		select {
		case st := <-w.stream.msgs:
			return st
		default:
		}
		tb.Fatalf("Watch ended with %v before sending another message", w.err)
	case <-timer.C:
		tb.Fatalf("no message from Watch within %v", waitTimeout)
	}
	panic("unreachable")
}

// expectNext checks that the next messages are want, in order.
func (w *watchCall) expectNext(tb testing.TB, want ...healthserver.Status) {
	tb.Helper()
	for i, st := range want {
		if got := w.next(tb); got != st {
			tb.Fatalf("message %d: got %v, want %v", i, got, st)
		}
	}
}

// expectQuiet checks that Watch sends nothing and stays open for d. It can
// only prove that the server is slow to misbehave, so tests also check the
// message that follows.
func (w *watchCall) expectQuiet(tb testing.TB, d time.Duration) {
	tb.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case st := <-w.stream.msgs:
		tb.Fatalf("unexpected message %v", st)
	case <-w.done:
		tb.Fatalf("Watch ended unexpectedly with %v", w.err)
	case <-timer.C:
	}
}

// result waits for Watch to return and returns its error.
func (w *watchCall) result(tb testing.TB) error {
	tb.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	select {
	case <-w.done:
		return w.err
	case <-timer.C:
		tb.Fatalf("Watch did not return within %v", waitTimeout)
	}
	return nil
}

// expectEnd waits for Watch to return and checks the code of its error.
func (w *watchCall) expectEnd(tb testing.TB, code tri.Code) {
	tb.Helper()
	err := w.result(tb)
	wantCode(tb, err, code)
}

// ended reports whether Watch has returned.
func (w *watchCall) ended() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// wantCode fails unless err is a Triple error with code.
func wantCode(tb testing.TB, err error, code tri.Code) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want code %v", code)
	}
	if got := tri.CodeOf(err); got != code {
		tb.Fatalf("got error %q with code %v, want code %v", err, got, code)
	}
}

// waitFor polls cond until it holds, and fails the test after waitTimeout.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	ticker := time.NewTicker(time.Millisecond)
	defer ticker.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
		<-ticker.C
	}
}

// checkReq returns a Check request for service.
func checkReq(service string) *triple_health.HealthCheckRequest {
	return &triple_health.HealthCheckRequest{Service: service}
}
