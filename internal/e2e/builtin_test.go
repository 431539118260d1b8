package e2e_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"
)

import (
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestBuiltinHealthProviders: providers that serve dubbo-go's built-in
// health service instead of this module's (linked with dubbo-go's imports,
// DUBBO_HEALTH_AUTOREGISTER=false), found in etcd by consumers with
// clienthealth and without. Calls reach both providers, none fails, and a
// SIGTERM takes the provider out of every consumer within 1s (plus the
// allowance of the blip scenario).
func TestBuiltinHealthProviders(t *testing.T) {
	reg := startEtcd(t)
	regArgs := []string{"-registry", reg.Addr, "-registry-kind", "etcd"}
	app := "builtin-" + fmt.Sprint(freePort(t))
	start := func(id string) *server {
		args := append([]string{"-id", id, "-ip", "127.0.0.1", "-registry-type", "all", "-app", app, "-consumer-wait", "2s"}, regArgs...)
		s := launchServerEnv(t, bins.imports, []string{"DUBBO_HEALTH_AUTOREGISTER=false", "DUBBO_IP_TO_REGISTRY=127.0.0.1"}, args...)
		cli := healthpb.NewHealthClient(dial(t, s.Addr))
		waitFor(t, 60*time.Second, id+"'s built-in health to answer SERVING", func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			resp, err := cli.Check(ctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"})
			return err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING
		})
		return s
	}
	x := start("X")
	start("Y")
	refs := []*ref{
		startRef(t, "clienthealth/interface", bins.tconsumer, true, append([]string{"-discovery", "interface"}, regArgs...)...),
		startRef(t, "clienthealth/application", bins.tconsumer, true, append([]string{"-discovery", "application"}, regArgs...)...),
		startRef(t, "plain/interface", bins.tconsumerPlain, false, append([]string{"-discovery", "interface"}, regArgs...)...),
	}
	begin := time.Now()
	for _, r := range refs {
		r.waitBoth(t, begin, 20, "X", "Y")
	}
	reached := time.Now() // every consumer has both providers
	var bd bounds
	for _, r := range refs {
		bd.period = max(bd.period, medianPeriod(r, 20))
	}

	watch := watchLog(t, "X", x.Addr, "greet.GreetService")
	watch.await(t, healthpb.HealthCheckResponse_SERVING, begin)
	sig := time.Now()
	x.signal(syscall.SIGTERM)
	read := watch.await(t, healthpb.HealthCheckResponse_NOT_SERVING, sig)
	bd.watch = read.Sub(sig)
	exitCode(t, x, 30*time.Second)
	exited := time.Now()
	waitCalls(t, refs, exited, 20)
	checkCalls(t, refs, "SIGTERM of X", reached, time.Now(), true)
	for _, r := range refs {
		removal, last := lastCall(r, "X", sig, time.Now())
		figure(t, "built-in health: %s: last call to X %s SIGTERM (the built-in health read NOT_SERVING %s after it)", r.name, last, ms(bd.watch))
		if removal > bd.of(time.Second) {
			t.Errorf("%s called X %v after SIGTERM, want < %v", r.name, removal, bd.of(time.Second))
		}
		if n := tally(r.since(exited))["Y"]; n == 0 {
			t.Errorf("%s made no call to Y after X exited", r.name)
		}
	}
}
