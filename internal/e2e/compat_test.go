//go:build compat

package e2e_test

import (
	"context"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

import (
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// The compatibility suite, behind the build tag compat: make compat. It
// builds internal/e2e/oldconsumer, a plain consumer in its own module, against
// dubbo-go v3.3.0 and v3.3.1, whose consumers open no health Watch at all,
// and runs it against the test servers through etcd. It is not in make
// test: it compiles two more dubbo-go versions.

// buildOldConsumers builds the old consumer against each dubbo-go version
// and returns the programs by version.
func buildOldConsumers(t *testing.T) map[string]string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, "internal", "e2e", "oldconsumer")
	dir := t.TempDir()
	out := map[string]string{"v3.3.0": filepath.Join(dir, "oldconsumer-v3.3.0"), "v3.3.1": filepath.Join(dir, "oldconsumer-v3.3.1")}
	if _, err := goCommand(src, "build", "-o", out["v3.3.0"], "."); err != nil {
		t.Fatal(err)
	}
	if _, err := goCommand(src, "build", "-modfile", "go.v3.3.1.mod", "-o", out["v3.3.1"], "."); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOldConsumers: plain consumers of dubbo-go v3.3.0 and v3.3.1, with
// interface-level and application-level discovery and both clusters,
// calling two providers found in etcd. Those versions read no health at
// all: a NOT_SERVING changes nothing for them (they keep calling, no call
// fails), and they leave a provider at its shutdown only as their registry
// tells them. The test requires what health could change (no failure
// through a NOT_SERVING, and a provider they called is still called) and
// reports what they do at a SIGTERM as figures: that is their own
// behaviour, the same whatever health service the provider has (with an
// etcd registry at interface level, dubbo-go before v3.3.2 never learns
// that a provider left: etcd's deletes are dropped by its listener).
//
// The same runs against providers with dubbo-go's built-in health service
// instead (linked with imports, DUBBO_HEALTH_AUTOREGISTER=false) are the
// control: what those consumers do there is theirs, not this module's.
func TestOldConsumers(t *testing.T) {
	olds := buildOldConsumers(t)
	t.Run("dubbo-health", func(t *testing.T) { runOldConsumers(t, olds, bins.plain, nil) })
	t.Run("built-in health", func(t *testing.T) {
		runOldConsumers(t, olds, bins.imports, []string{"DUBBO_HEALTH_AUTOREGISTER=false"})
	})
}

// runOldConsumers runs the old consumers against providers bin started with
// env.
func runOldConsumers(t *testing.T, olds map[string]string, bin string, env []string) {
	etcd := startEtcd(t)
	regArgs := []string{"-registry", etcd.Addr}
	app := "compat-" + strconv.Itoa(freePort(t))
	start := func(id string, dep *dependency) *provider {
		args := append([]string{"-id", id, "-check-tcp", dep.addr, "-registry-type", "all", "-app", app,
			"-consumer-wait", "2s", "-ip", "127.0.0.1", "-registry-kind", "etcd"}, regArgs...)
		s := launchServerEnv(t, bin, append([]string{"DUBBO_IP_TO_REGISTRY=127.0.0.1"}, env...), args...)
		waitCheck(t, s, "greet.GreetService")
		return &provider{server: s, id: id, dep: dep, watch: watchLog(t, id, s.Addr, "greet.GreetService")}
	}
	a := start("A", newDependency(t))
	builtin := len(env) > 0
	start("B", newDependency(t))

	var refs []*ref
	for _, version := range []string{"v3.3.0", "v3.3.1"} {
		for _, discovery := range []string{"interface", "application"} {
			for _, cluster := range []string{"failover", "failfast"} {
				name := version + "/" + discovery + "/" + cluster
				args := append([]string{"-discovery", discovery, "-cluster", cluster, "-interval", blipInterval.String(), "-timeout", callTimeout.String()}, regArgs...)
				refs = append(refs, &ref{consumer: startConsumer(t, name, olds[version], args...)})
			}
		}
	}
	begin := time.Now()
	waitCalls(t, refs, begin, 100)
	for _, r := range refs {
		figure(t, "old consumers: %s: calls by provider before the blip: %v", r.name, tally(r.since(begin)))
	}

	if builtin {
		// dubbo-go's built-in health has no checkers: no blip, only the
		// SIGTERM.
		shutdownOld(t, a, refs)
		return
	}
	// A's dependency down for blipHold: A reads NOT_SERVING.
	blipStart := time.Now()
	a.dep.down()
	notServing := a.watch.await(t, healthpb.HealthCheckResponse_NOT_SERVING, blipStart)
	waitFor(t, 30*time.Second, "the blip to last its time", func() bool { return time.Since(blipStart) >= blipHold })
	a.dep.up()
	serving := a.watch.await(t, healthpb.HealthCheckResponse_SERVING, notServing)
	waitCalls(t, refs, serving, 20)
	checkCalls(t, refs, "A's dependency down", blipStart, time.Now(), false)
	for _, r := range refs {
		during := r.between(notServing, serving)
		n := tally(during)["A"]
		figure(t, "old consumers: A's dependency down: %s: A answered %d of %d calls while NOT_SERVING", r.name, n, len(during))
		if n == 0 && tally(r.between(begin, blipStart))["A"] > 0 {
			t.Errorf("%s made no call to A while it was NOT_SERVING (%d calls): these versions read no health", r.name, len(during))
		}
	}

	shutdownOld(t, a, refs)
}

// shutdownOld sends A SIGTERM and reports what the old consumers did.
func shutdownOld(t *testing.T, a *provider, refs []*ref) {
	t.Helper()
	sig := time.Now()
	a.signal(syscall.SIGTERM)
	exitCode(t, a.server, 30*time.Second)
	exited := time.Now()
	waitCalls(t, refs, exited.Add(time.Second), 100)
	for _, r := range refs {
		calls := r.since(sig)
		_, last := lastCall(r, "A", sig, time.Now())
		late := r.since(exited.Add(time.Second))
		figure(t, "old consumers, %s: SIGTERM of A (exit %s after): %s: last call answered by A %s SIGTERM; %d of %d calls failed from SIGTERM on, %d of %d from 1s after A exited; first errors %q",
			t.Name(), ms(exited.Sub(sig)), r.name, last, tally(calls)["err"], len(calls), tally(late)["err"], len(late), firstErrors(calls, 2))
	}
}

// waitCheck waits until s's health, whichever it is, answers SERVING for
// service.
func waitCheck(t *testing.T, s *server, service string) {
	t.Helper()
	cli := healthpb.NewHealthClient(dial(t, s.Addr))
	waitFor(t, 60*time.Second, s.Addr+" to answer SERVING for "+service, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		resp, err := cli.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		return err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
}
