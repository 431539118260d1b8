package clienthealth

import (
	"net"
	"testing"
	"time"
)

// TestBackoff: delays start at the base, grow by the factor, stop at the
// cap, each within the jitter.
func TestBackoff(t *testing.T) {
	t.Parallel()
	b := defaultBackoff
	nominal := b.base
	for attempt := range 20 {
		d := b.delay(attempt)
		lo := time.Duration(float64(nominal) * (1 - b.jitter))
		hi := time.Duration(float64(nominal) * (1 + b.jitter))
		if d < lo || d > hi {
			t.Errorf("attempt %d: delay %v, want within [%v, %v]", attempt, d, lo, hi)
		}
		nominal = min(time.Duration(float64(nominal)*b.factor), b.max)
	}
	if d := b.delay(1 << 20); d > time.Duration(float64(b.max)*(1+b.jitter)) {
		t.Errorf("delay after many attempts %v, want at most %v", d, b.max)
	}
}

// TestPoolClose: close stops watches that have not been answered, returns
// once their goroutines end, and the pool starts nothing afterwards.
func TestPoolClose(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := newPool(defaultBackoff)
	k := key{addr: l.Addr().String(), service: "greet.GreetService"}
	w := p.acquire(k)
	if w == nil || w.current() != pending {
		t.Fatalf("acquire = %v, want a pending watch", w)
	}
	if p.acquire(k) != w {
		t.Fatal("a second acquire of the same key returned another watch")
	}
	p.close()
	if len(p.watches) != 0 || len(p.channels) != 0 {
		t.Errorf("after close: %d watches, %d connections", len(p.watches), len(p.channels))
	}
	if p.acquire(k) != nil {
		t.Error("acquire after close started a watch")
	}
	p.release(w) // after close: a no-op
	p.close()    // again: a no-op
}
