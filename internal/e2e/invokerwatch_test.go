package e2e_test

import (
	"syscall"
	"testing"
	"time"
)

import (
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	"dubbo.apache.org/dubbo-go/v3/graceful_shutdown"
	"dubbo.apache.org/dubbo-go/v3/protocol/triple"

	"github.com/dubbo-health/health/internal/dubbogo"
)

// checkedDubboGo is the dubbo-go version whose consumers
// healthserver/consumers.go was checked against, as every touch point of
// internal/dubbogo was.
const checkedDubboGo = dubbogo.CheckedVersion

// closingRemover stands in for a consumer's registry directory: dubbo-go's
// closing events for its service key arrive here.
type closingRemover struct {
	keys chan string
}

func (r *closingRemover) RemoveClosingInstance(instanceKey string) bool {
	select {
	case r.keys <- instanceKey:
	default:
	}
	return true
}

// TestInvokerWatch pins what healthserver/consumers.go relies on in
// dubbo-go: a real TripleInvoker of dubbo-go (the one every dubbo-go v3.3.2
// consumer makes per provider) against a test server. The invoker opens a
// Watch of its provider's service key as it is made; a NOT_SERVING of the
// service that lasts a while reaches every other watcher (a grpc-go Watch
// here) but is never reported by the invoker as closing; a SIGTERM is, at
// once, with the invoker's instance key. If dubbo-go changes how its invoker
// watches (another client, headers, no Watch, another reaction), this test
// fails, and so does TestConsumersThroughBlips with plain consumers.
func TestInvokerWatch(t *testing.T) {
	if v := constant.Version; v != checkedDubboGo {
		t.Errorf("the tests run dubbo-go %s; healthserver/consumers.go was checked against %s: check it again, then update checkedDubboGo", v, checkedDubboGo)
	}
	t.Run("public", func(t *testing.T) {
		s := startServer(t, bins.plain, "-drain", "200ms", "-consumer-wait", "1s")
		s.waitServing("greet.GreetService")
		invokerWatch(t, s)
	})
	// With a server token, the invoker's Watch carries none and is refused
	// by health's filters: it is still told when the provider closes.
	t.Run("token", func(t *testing.T) {
		md := []string{"token", testToken}
		s := startWithMD(t, bins.plain, nil, md, "-drain", "200ms", "-consumer-wait", "1s", "-token", testToken)
		invokerWatch(t, s, md...)
	})
}

// invokerWatch runs a real dubbo-go invoker against s through a NOT_SERVING
// set by hand and a SIGTERM; md is what a client must send to read health.
func invokerWatch(t *testing.T, s *server, md ...string) {
	truth := watchLog(t, "the server", s.Addr, "greet.GreetService", md...)

	rem := &closingRemover{keys: make(chan string, 8)}
	closing := graceful_shutdown.DefaultClosingDirectoryRegistry()
	closing.Register("greet.GreetService", rem)
	t.Cleanup(func() { closing.Unregister("greet.GreetService", rem) })
	u, err := common.NewURL("tri://" + s.Addr + "/greet.GreetService?interface=greet.GreetService&serialization=protobuf&timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := triple.NewTripleInvoker(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inv.Destroy)

	// The invoker's Watch is open beside the grpc-go one.
	waitFor(t, 30*time.Second, "the invoker to open its Watch (2 open Watch streams on the server)", func() bool {
		return s.control("watchers") == "2"
	})

	// A NOT_SERVING that lasts: the grpc-go Watch reads it; the invoker must
	// stay quiet for twenty times as long (at least 500ms).
	start := time.Now()
	s.set("greet.GreetService", "NOT_SERVING")
	read := truth.await(t, healthpb.HealthCheckResponse_NOT_SERVING, start)
	baseline := read.Sub(start)
	window := max(20*baseline, 500*time.Millisecond)
	select {
	case key := <-rem.keys:
		t.Fatalf("the invoker reported its provider closing (%s) on a NOT_SERVING set by hand: plain dubbo-go consumers would drop it", key)
	case <-time.After(window):
	}
	figure(t, "grpc-go Watch read NOT_SERVING after %s; the invoker reported nothing in the %s after", ms(baseline), ms(window))
	// UNKNOWN, then SERVING: nothing either.
	s.set("greet.GreetService", "UNKNOWN")
	truth.await(t, healthpb.HealthCheckResponse_UNKNOWN, read)
	s.set("greet.GreetService", "SERVING")
	truth.await(t, healthpb.HealthCheckResponse_SERVING, read)

	// A real shutdown: the invoker reports it, as fast as a grpc-go Watch
	// reads NOT_SERVING, give or take the allowance of the scenario test.
	start = time.Now()
	s.signal(syscall.SIGTERM)
	read = truth.await(t, healthpb.HealthCheckResponse_NOT_SERVING, start)
	bound := time.Second + 2*max(baseline, read.Sub(start))
	select {
	case key := <-rem.keys:
		if want := u.GetCacheInvokerMapKey(); key != want {
			t.Errorf("the invoker reported instance %q closing, want %q", key, want)
		}
		figure(t, "SIGTERM: the invoker reported its provider closing after %s, the grpc-go Watch read NOT_SERVING after %s",
			ms(time.Since(start)), ms(read.Sub(start)))
	case <-time.After(bound):
		t.Errorf("the invoker did not report its provider closing within %v of SIGTERM: plain dubbo-go consumers would keep calling it", bound)
	}
	exitCode(t, s, 30*time.Second)
}
