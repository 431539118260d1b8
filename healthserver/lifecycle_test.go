package healthserver_test

import (
	"context"
	"math/rand/v2"
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

// TestLifecycleStress: random Shutdown/Resume/Stop/Set with a tiny drain
// delay and Watches opened all the time; every Watch that ends with
// Unavailable after a message must have sent NOT_SERVING last; after the final
// Stop every Watch ends.
//
// The sleeps only pace the load; nothing waits on them for a state.
func TestLifecycleStress(t *testing.T) {
	t.Parallel()
	for iter := range 5 {
		s := healthserver.New(healthserver.WithDrainDelay(time.Duration(1+iter%3) * time.Millisecond))
		_ = s.SetServingStatus("a", healthserver.Serving)
		h := s.Handler()
		var mu sync.Mutex
		type call struct {
			st   *testStream
			done chan struct{}
			err  error
			ctx  context.CancelFunc
		}
		var calls []*call
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					ctx, cancel := context.WithCancel(context.Background())
					c := &call{st: newDiscardStream("p"), done: make(chan struct{}), ctx: cancel}
					mu.Lock()
					calls = append(calls, c)
					mu.Unlock()
					go func() {
						defer close(c.done)
						c.err = h.Watch(ctx, &triple_health.HealthCheckRequest{Service: "a"}, c.st)
					}()
					time.Sleep(50 * time.Microsecond)
				}
			}()
		}
		r := rand.New(rand.NewPCG(uint64(iter), 1))
		for range 2000 {
			switch r.IntN(6) {
			case 0:
				s.Shutdown()
			case 1:
				s.Resume()
			case 2:
				if r.IntN(5) == 0 {
					s.Stop()
				}
			case 3:
				_ = s.SetServingStatus("a", healthserver.Serving)
			case 4:
				_ = s.SetServingStatus("a", healthserver.NotServing)
			case 5:
				time.Sleep(time.Duration(r.IntN(1500)) * time.Microsecond)
			}
		}
		close(stop)
		wg.Wait()
		s.Stop()
		deadline := time.After(5 * time.Second)
		for i, c := range calls {
			select {
			case <-c.done:
			case <-deadline:
				t.Fatalf("iter %d: Watch %d still open 5s after Stop (last %v, count %d)", iter, i, c.st.last.Load(), c.st.count.Load())
			}
			if c.st.repeats.Load() != 0 {
				t.Errorf("iter %d: Watch %d sent a status twice in a row", iter, i)
			}
			if tri.CodeOf(c.err) == tri.CodeUnavailable && c.st.count.Load() > 0 {
				if st, _ := c.st.lastStatus(); st != healthserver.NotServing {
					t.Errorf("iter %d: Watch ended Unavailable after sending %v last", iter, st)
				}
			}
			c.ctx()
		}
		s.Close()
	}
}
