// Package consumer is the dubbo-go consumer that the end-to-end tests start
// as a child process: it calls greet.GreetService/Greet in a loop, one call
// at a time per reference, and prints one line per call on stdout, in the
// format of package callline ("ok ID TOOK" or "err TOOK MESSAGE").
//
// Two mains link it: cmd/tconsumer with client-side health checking
// (package clienthealth) and cmd/tconsumer-plain without.
//
// Flags: -urls "tri://127.0.0.1:A;tri://127.0.0.1:B" calls the servers
// directly; -registry HOST:PORT finds them in a registry instead: etcd, or
// ZooKeeper with -registry-kind zookeeper; -discovery interface (the
// default) or application (the providers' application is found through the
// registry's service-name mapping: dubbo-go v3.3.2 never subscribes when the
// reference names it with provided-by). -interval is the pause between calls,
// -timeout the timeout of each. -no-fallback passes
// clienthealth.WithoutFallback's parameter. -cluster is the reference's
// dubbo-go cluster: failfast, the default, prints a failure instead of
// retrying it elsewhere; failover is dubbo-go's default cluster. (One process
// holds one reference: a second reference to the same interface in the same
// process gets no providers from dubbo-go v3.3.2's etcd registry.)
package consumer

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

import (
	"dubbo.apache.org/dubbo-go/v3/client"
	_ "dubbo.apache.org/dubbo-go/v3/imports"
	"dubbo.apache.org/dubbo-go/v3/registry"

	"github.com/dubbo-health/health/internal/testapp/consumer/callline"
	"github.com/dubbo-health/health/internal/testservice/greet"
)

// paramNoEligible is clienthealth.ParamNoEligible, spelled out so that the
// plain consumer does not link clienthealth.
const paramNoEligible = "health.no-eligible"

// Main runs the consumer until it is killed.
func Main() {
	var (
		urls         = flag.String("urls", "", "provider URLs separated by ';'")
		registryAt   = flag.String("registry", "", "registry address host:port")
		registryKind = flag.String("registry-kind", "etcd", "etcd or zookeeper")
		discovery    = flag.String("discovery", "interface", "interface or application")
		interval     = flag.Duration("interval", 2*time.Millisecond, "pause between calls")
		timeout      = flag.Duration("timeout", time.Second, "timeout of each call")
		noFallback   = flag.Bool("no-fallback", false, "fail calls when no provider is eligible")
		cluster      = flag.String("cluster", "failfast", "dubbo-go cluster of the reference: failfast, failover, ...")
	)
	flag.Parse()

	var copts []client.ClientOption
	switch {
	case *urls != "":
		copts = append(copts, client.WithClientURL(*urls))
	case *registryAt != "":
		ropts := []registry.Option{registry.WithAddress(*registryAt), registry.WithTimeout(3 * time.Second)}
		switch *registryKind {
		case "etcd":
			ropts = append(ropts, registry.WithEtcdV3())
		case "zookeeper":
			ropts = append(ropts, registry.WithZookeeper())
		default:
			fail(fmt.Errorf("unknown -registry-kind %q", *registryKind))
		}
		switch *discovery {
		case "interface":
			ropts = append(ropts, registry.WithRegisterInterface())
		case "application":
			ropts = append(ropts, registry.WithRegisterService())
		default:
			fail(fmt.Errorf("unknown -discovery %q", *discovery))
		}
		copts = append(copts, client.WithClientRegistry(ropts...))
	default:
		fail(fmt.Errorf("either -urls or -registry"))
	}
	cli, err := client.NewClient(copts...)
	if err != nil {
		fail(err)
	}
	ropts := []client.ReferenceOption{client.WithCluster(*cluster), client.WithRequestTimeout(*timeout)}
	if *noFallback {
		ropts = append(ropts, client.WithParam(paramNoEligible, "fail"))
	}
	svc, err := greet.NewGreetService(cli, ropts...)
	if err != nil {
		fail(err)
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		start := time.Now()
		resp, err := svc.Greet(ctx, &greet.GreetRequest{Name: "e2e"})
		c := callline.Call{Took: time.Since(start)}
		cancel()
		if err != nil {
			c.Err = err.Error()
		} else {
			_, c.ID, _ = strings.Cut(resp.GetGreeting(), " from ")
		}
		fmt.Println(callline.Format(c))
		time.Sleep(*interval)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "consumer:", err)
	os.Exit(2)
}
