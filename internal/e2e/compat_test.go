//go:build compat

package e2e_test

import (
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
func TestOldConsumers(t *testing.T) {
	olds := buildOldConsumers(t)
	etcd := startEtcd(t)
	regArgs := []string{"-registry", etcd.Addr}
	app := "compat-" + strconv.Itoa(freePort(t))
	start := func(id string, dep *dependency) *provider {
		args := append([]string{"-id", id, "-check-tcp", dep.addr, "-registry-type", "all", "-app", app,
			"-consumer-wait", "2s", "-ip", "127.0.0.1", "-registry-kind", "etcd"}, regArgs...)
		s := launchServerEnv(t, bins.plain, []string{"DUBBO_IP_TO_REGISTRY=127.0.0.1"}, args...)
		s.waitServing("greet.GreetService")
		return &provider{server: s, id: id, dep: dep, watch: watchLog(t, id, s.Addr, "greet.GreetService")}
	}
	a := start("A", newDependency(t))
	start("B", newDependency(t))

	var refs []*ref
	for _, version := range []string{"v3.3.0", "v3.3.1"} {
		for _, discovery := range []string{"interface", "application"} {
			for _, cluster := range []string{"failover", "failfast"} {
				name := version + "/" + discovery + "/" + cluster
				args := append([]string{"-discovery", discovery, "-cluster", cluster, "-interval", blipInterval.String()}, regArgs...)
				refs = append(refs, &ref{consumer: startConsumer(t, name, olds[version], args...)})
			}
		}
	}
	begin := time.Now()
	waitCalls(t, refs, begin, 100)
	for _, r := range refs {
		figure(t, "old consumers: %s: calls by provider before the blip: %v", r.name, tally(r.since(begin)))
	}

	// A's dependency down for blipHold: A reads NOT_SERVING.
	blipStart := time.Now()
	a.dep.down()
	notServing := a.watch.await(t, healthpb.HealthCheckResponse_NOT_SERVING, blipStart)
	waitFor(t, 30*time.Second, "the blip to last its time", func() bool { return time.Since(blipStart) >= blipHold })
	a.dep.up()
	serving := a.watch.await(t, healthpb.HealthCheckResponse_SERVING, notServing)
	waitCalls(t, refs, serving, 20)
	noFailures(t, refs, "A's dependency down", blipStart, time.Now())
	for _, r := range refs {
		during := r.between(notServing, serving)
		n := tally(during)["A"]
		figure(t, "old consumers: A's dependency down: %s: A answered %d of %d calls while NOT_SERVING", r.name, n, len(during))
		if n == 0 && tally(r.between(begin, blipStart))["A"] > 0 {
			t.Errorf("%s made no call to A while it was NOT_SERVING (%d calls): these versions read no health", r.name, len(during))
		}
	}

	// SIGTERM of A.
	sig := time.Now()
	a.signal(syscall.SIGTERM)
	exitCode(t, a.server, 30*time.Second)
	exited := time.Now()
	waitCalls(t, refs, exited.Add(time.Second), 100)
	for _, r := range refs {
		calls := r.since(sig)
		_, last := lastCall(r, "A", sig, time.Now())
		late := r.since(exited.Add(time.Second))
		figure(t, "old consumers: SIGTERM of A (exit %s after): %s: last call answered by A %s SIGTERM; %d of %d calls failed from SIGTERM on, %d of %d from 1s after A exited; first errors %q",
			ms(exited.Sub(sig)), r.name, last, tally(calls)["err"], len(calls), tally(late)["err"], len(late), firstErrors(calls, 2))
	}
}
