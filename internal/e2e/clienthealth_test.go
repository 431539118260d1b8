package e2e_test

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"

	"github.com/dubbo-health/health/internal/testapp/consumer/callline"
	"github.com/dubbo-health/health/internal/testservice/greet"
)

// These tests run the test consumers (internal/testapp/consumer) against
// real test servers: tconsumer links package clienthealth, tconsumer-plain
// does not. Each consumer calls Greet every 2ms with the failfast cluster
// and prints one line per call (package callline).

// call is one call a consumer reported.
type call struct {
	at   time.Time     // when the test read the line
	took time.Duration // how long the call took, as the consumer measured it
	id   string        // the -id of the server that answered; "" on error
	err  string        // the error, "" on success
}

// start returns when the call began (where the consumer chose its
// provider), on the test's clock.
func (c call) start() time.Time { return c.at.Add(-c.took) }

// parseCall reads one line a consumer printed (package callline), read at
// at. It reports false for any other line.
func parseCall(line string, at time.Time) (call, bool) {
	c, ok := callline.Parse(line)
	return call{at: at, took: c.Took, id: c.ID, err: c.Err}, ok
}

// consumer is a test consumer running as a child process, with the calls it
// reported so far.
type consumer struct {
	name string
	logs *syncBuffer // everything it printed

	mu    sync.Mutex
	calls []call
}

// startConsumer starts bin with args and records its calls until the test
// ends, when it is killed.
func startConsumer(t *testing.T, name, bin string, args ...string) *consumer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	c := &consumer{name: name, logs: &syncBuffer{}}
	cmd.Stderr = c.logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			now := time.Now()
			_, _ = fmt.Fprintln(c.logs, line)
			if cl, ok := parseCall(line, now); ok {
				c.add(cl)
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("%s output (last 6000 bytes):\n%s", name, c.logs.tail(6000))
		}
	})
	return c
}

func (c *consumer) add(cl call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, cl)
}

// since returns the calls reported after t.
func (c *consumer) since(t time.Time) []call {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := len(c.calls)
	for i > 0 && c.calls[i-1].at.After(t) {
		i--
	}
	return append([]call(nil), c.calls[i:]...)
}

// tally counts calls by the server that answered, errors under "err".
func tally(calls []call) map[string]int {
	n := make(map[string]int)
	for _, c := range calls {
		if c.err != "" {
			n["err"]++
		} else {
			n[c.id]++
		}
	}
	return n
}

// firstErrors returns up to n distinct error messages of calls.
func firstErrors(calls []call, n int) []string {
	seen := make(map[string]bool)
	var out []string
	for _, c := range calls {
		if c.err != "" && !seen[c.err] && len(out) < n {
			seen[c.err] = true
			out = append(out, c.err)
		}
	}
	return out
}

// waitBoth waits until c has had at least n successful calls answered by
// each of ids since from.
func (c *consumer) waitBoth(t *testing.T, from time.Time, n int, ids ...string) {
	t.Helper()
	waitFor(t, 60*time.Second, fmt.Sprintf("%s to call each of %v %d times", c.name, ids, n), func() bool {
		got := tally(c.since(from))
		for _, id := range ids {
			if got[id] < n {
				return false
			}
		}
		return true
	})
}

// directURLs is the -urls flag of a consumer calling servers directly.
func directURLs(servers ...*server) string {
	urls := make([]string, len(servers))
	for i, s := range servers {
		urls[i] = "tri://" + s.Addr
	}
	return strings.Join(urls, ";")
}

// routeAway sets greet.GreetService NOT_SERVING on from and waits until c
// has gone quiet's length of time without a call answered by from while
// other calls succeeded. It returns the time from the set to the last call
// from answered.
func routeAway(t *testing.T, c *consumer, from *server, id string, quiet time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	from.set("greet.GreetService", "NOT_SERVING")
	var last time.Time
	waitFor(t, 20*time.Second, fmt.Sprintf("%v without calls answered by %s", quiet, id), func() bool {
		calls := c.since(start)
		last = start
		for _, cl := range calls {
			if cl.id == id {
				last = cl.at
			}
		}
		after := c.since(last)
		return time.Since(last) >= quiet && len(after) >= 50
	})
	return last.Sub(start)
}

// TestClientHealthNotServing: with two providers, NOT_SERVING on one takes
// it out of the consumer's load balancing within a bounded time, with no
// failed call; SERVING brings it back.
func TestClientHealthNotServing(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		a := startServer(t, bin, "-id", "A")
		b := startServer(t, bin, "-id", "B")
		c := startConsumer(t, "tconsumer", bins.tconsumer, "-urls", directURLs(a, b))
		c.waitBoth(t, time.Time{}, 20, "A", "B")

		start := time.Now()
		away := routeAway(t, c, a, "A", time.Second)
		t.Logf("NOT_SERVING on A -> last call answered by A after %v", away)
		if away > 2*time.Second {
			t.Errorf("A still answered calls %v after it turned NOT_SERVING, want < 2s", away)
		}

		back := time.Now()
		a.set("greet.GreetService", "SERVING")
		c.waitBoth(t, back, 20, "A", "B")
		for _, cl := range c.since(back) {
			if cl.id == "A" {
				t.Logf("SERVING on A -> first call answered by A after %v", cl.at.Sub(back))
				break
			}
		}
		if n := tally(c.since(start))["err"]; n > 0 {
			t.Errorf("%d calls failed, first errors: %q", n, firstErrors(c.since(start), 3))
		}
	})
}

// TestClientHealthRollingRestart restarts one of two providers under
// continuous load, SIGTERM first, and counts the failed calls of a consumer
// with client-side health checking and of one without. The consumer with it
// must fail none.
func TestClientHealthRollingRestart(t *testing.T) {
	modes := []struct {
		name string
		// registry is true for providers found in etcd; false for direct
		// URLs.
		registry bool
	}{
		{"direct", false},
		{"registry", true},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			var reg []string
			if m.registry {
				reg = []string{"-registry", startEtcd(t).Addr}
			}
			// -consumer-wait 1s: the provider keeps its listener and
			// accepts calls for a second after the signal, as dubbo-go's
			// default of 3s does.
			a := startServer(t, bins.plain, append([]string{"-id", "A", "-consumer-wait", "1s"}, reg...)...)
			b := startServer(t, bins.plain, append([]string{"-id", "B", "-consumer-wait", "1s"}, reg...)...)
			target := []string{"-urls", directURLs(a, b)}
			if m.registry {
				target = reg
			}
			with := startConsumer(t, "tconsumer", bins.tconsumer, target...)
			without := startConsumer(t, "tconsumer-plain", bins.tconsumerPlain, target...)
			with.waitBoth(t, time.Time{}, 20, "A", "B")
			without.waitBoth(t, time.Time{}, 20, "A", "B")

			start := time.Now()
			a.signal(syscall.SIGTERM)
			if code := a.waitExit(30 * time.Second); code != 0 {
				t.Errorf("A exited with code %d", code)
			}
			exited := time.Since(start)
			// The new A: on the same address for direct URLs; on a new
			// one with a registry, as a new pod gets a new address
			// (dubbo-go's consumers ignore an address that sent
			// NOT_SERVING for 30s).
			args := append([]string{"-id", "A2", "-consumer-wait", "1s"}, reg...)
			if !m.registry {
				args = append(args, "-port", fmt.Sprint(a.Port))
			}
			startServer(t, bins.plain, args...)
			restarted := time.Since(start)
			with.waitBoth(t, start, 20, "A2", "B")
			without.waitBoth(t, start, 20, "A2", "B")

			withCalls, withoutCalls := with.since(start), without.since(start)
			failedWith, failedWithout := tally(withCalls)["err"], tally(withoutCalls)["err"]
			t.Logf("rolling restart (%s): A exited %v after SIGTERM, A2 served after %v; failed calls with clienthealth %d of %d, without %d of %d",
				m.name, exited.Round(time.Millisecond), restarted.Round(time.Millisecond), failedWith, len(withCalls), failedWithout, len(withoutCalls))
			if failedWithout > 0 {
				t.Logf("without clienthealth, first errors: %q", firstErrors(withoutCalls, 3))
			}
			if failedWith > 0 {
				t.Errorf("with clienthealth %d calls failed, want 0; first errors: %q", failedWith, firstErrors(withCalls, 3))
			}
		})
	}
}

// TestClientHealthGRPCInterop: a grpc-go client with client-side health
// checking (healthCheckConfig, round_robin) against two of our servers
// behaves as tconsumer does: NOT_SERVING on one sends every call to the
// other, SERVING brings it back.
func TestClientHealthGRPCInterop(t *testing.T) {
	a := startServer(t, bins.plain, "-id", "A")
	b := startServer(t, bins.plain, "-id", "B")
	r := manual.NewBuilderWithScheme("e2e")
	r.InitialState(resolver.State{Addresses: []resolver.Address{{Addr: a.Addr}, {Addr: b.Addr}}})
	conn := dial(t, r.Scheme()+":///greeters",
		grpc.WithResolvers(r),
		grpc.WithDefaultServiceConfig(`{
			"loadBalancingConfig": [{"round_robin": {}}],
			"healthCheckConfig": {"serviceName": "greet.GreetService"}
		}`),
	)
	// answers makes n calls and counts them by the server that answered.
	answers := func(n int) map[string]int {
		t.Helper()
		got := make(map[string]int)
		for range n {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			resp := new(greet.GreetResponse)
			err := conn.Invoke(ctx, greet.GreetServiceGreetProcedure, &greet.GreetRequest{Name: "grpc"}, resp)
			cancel()
			if err != nil {
				t.Fatalf("Greet: %v", err)
			}
			_, id, _ := strings.Cut(resp.GetGreeting(), " from ")
			got[id]++
		}
		return got
	}
	waitFor(t, 30*time.Second, "calls answered by A and B", func() bool {
		got := answers(20)
		return got["A"] > 0 && got["B"] > 0
	})

	start := time.Now()
	a.set("greet.GreetService", "NOT_SERVING")
	waitFor(t, 30*time.Second, "50 calls in a row answered by B", func() bool {
		return answers(50)["A"] == 0
	})
	t.Logf("grpc-go: NOT_SERVING on A -> 50 calls in a row answered by B after %v", time.Since(start))

	a.set("greet.GreetService", "SERVING")
	waitFor(t, 30*time.Second, "calls answered by A again", func() bool {
		got := answers(20)
		return got["A"] > 0 && got["B"] > 0
	})
}

// TestClientHealthNoHealthService: a provider without any health service
// (dubbo-go answers the unknown path with HTTP 404, which gRPC reads as
// Unimplemented) stays eligible.
func TestClientHealthNoHealthService(t *testing.T) {
	p := launchServerEnv(t, bins.plain, []string{"DUBBO_HEALTH_AUTOREGISTER=false"}, "-id", "P")
	cli := healthpb.NewHealthClient(dial(t, p.Addr))
	waitFor(t, 60*time.Second, "P to answer Watch with Unimplemented", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		stream, err := cli.Watch(ctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"})
		if err == nil {
			_, err = stream.Recv()
		}
		return status.Code(err) == codes.Unimplemented
	})

	t.Run("beside a serving provider", func(t *testing.T) {
		t.Parallel()
		b := startServer(t, bins.plain, "-id", "B")
		c := startConsumer(t, "tconsumer", bins.tconsumer, "-urls", directURLs(p, b))
		// P is left out only while its health is unknown: after a
		// second of calls it must still take its share.
		c.waitBoth(t, time.Time{}, 1, "B")
		settled := time.Now().Add(time.Second)
		c.waitBoth(t, settled, 100, "P", "B")
	})
	t.Run("alone without fallback", func(t *testing.T) {
		t.Parallel()
		c := startConsumer(t, "tconsumer", bins.tconsumer, "-no-fallback", "-urls", directURLs(p))
		c.waitBoth(t, time.Time{}, 1, "P")
		settled := time.Now()
		c.waitBoth(t, settled, 200, "P")
		if n := tally(c.since(settled))["err"]; n > 0 {
			t.Errorf("%d calls failed, first errors: %q", n, firstErrors(c.since(settled), 3))
		}
	})
}
