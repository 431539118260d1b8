// Command oldconsumer is a plain dubbo-go consumer built against an older
// dubbo-go than the library requires: v3.3.0 (go.mod) or v3.3.1
// (go.v3.3.1.mod, built with -modfile). dubbo-go's consumers opened no
// health Watch before v3.3.2; the end-to-end tests (make compat) run this
// program against the test servers to see what such consumers do through a
// NOT_SERVING and a SIGTERM of a provider.
//
// It is its own module so that its dubbo-go is not the library's, and it
// imports nothing of the library: greet.GreetService's messages, a string
// in field 1 each, go on the wire as wrapperspb.StringValue. Like the
// library's test consumer, it calls Greet in a loop and prints one line per
// call in the format of internal/testapp/consumer/callline, which it
// cannot import: "ok ID TOOK" (ID, the server that answered; TOOK, how long
// the call took) or "err TOOK MESSAGE".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

import (
	"google.golang.org/protobuf/types/known/wrapperspb"
)

import (
	"dubbo.apache.org/dubbo-go/v3/client"
	_ "dubbo.apache.org/dubbo-go/v3/imports"
	"dubbo.apache.org/dubbo-go/v3/registry"
)

func main() {
	var (
		registryAt = flag.String("registry", "", "etcd address host:port")
		discovery  = flag.String("discovery", "interface", "interface or application")
		cluster    = flag.String("cluster", "failfast", "dubbo-go cluster of the reference")
		interval   = flag.Duration("interval", 20*time.Millisecond, "pause between calls")
		timeout    = flag.Duration("timeout", time.Second, "timeout of each call")
	)
	flag.Parse()

	ropts := []registry.Option{registry.WithEtcdV3(), registry.WithAddress(*registryAt), registry.WithTimeout(3 * time.Second)}
	// "interface" or "service" (application level): v3.3.0 has no
	// registry.WithRegisterService.
	registryType := "interface"
	if *discovery == "application" {
		registryType = "service"
	}
	ropts = append(ropts, func(o *registry.Options) { o.Registry.RegistryType = registryType })
	cli, err := client.NewClient(client.WithClientRegistry(ropts...))
	if err != nil {
		fail(err)
	}
	info := &client.ClientInfo{InterfaceName: "greet.GreetService", MethodNames: []string{"Greet"}}
	conn, err := cli.DialWithInfo("greet.GreetService", info,
		client.WithCluster(*cluster), client.WithRequestTimeout(*timeout))
	if err != nil {
		fail(err)
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		resp := new(wrapperspb.StringValue)
		start := time.Now()
		err := conn.CallUnary(ctx, []interface{}{wrapperspb.String("e2e")}, resp, "Greet")
		took := time.Since(start)
		cancel()
		if err != nil {
			fmt.Println("err", took, strings.Join(strings.Fields(err.Error()), " "))
		} else {
			_, id, _ := strings.Cut(resp.GetValue(), " from ")
			fmt.Println("ok", id, took)
		}
		time.Sleep(*interval)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "oldconsumer:", err)
	os.Exit(2)
}
