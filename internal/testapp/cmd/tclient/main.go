// Command tclient is the Triple health client of the end-to-end tests. It
// makes one call with the generated triple_health client and prints the
// outcome, one line per message:
//
//	tclient -addr tri://127.0.0.1:20000 check NAME   status SERVING | error CODE MESSAGE
//	tclient -addr ... watch NAME                     status S (each message), then end CODE
//	tclient -addr ... list                           NAME=STATUS lines, or error CODE MESSAGE
//
// NAME "-" stands for "". The watch prints "open" once the stream is set up.
// -group and -version set a client-wide group and version
// (client.WithClientGroup, WithClientVersion), which dubbo-go sends with
// every call.
// With -stub builtin, check and watch go through dubbo-go's own built-in
// health client (protocol/triple/health/triple_health), as programs written
// for dubbo-go's built-in health service do.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
)

import (
	"dubbo.apache.org/dubbo-go/v3/client"
	_ "dubbo.apache.org/dubbo-go/v3/imports"
	builtin "dubbo.apache.org/dubbo-go/v3/protocol/triple/health/triple_health"
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"

	"github.com/dubbo-health/health/triple_health"
)

func main() {
	addr := flag.String("addr", "tri://127.0.0.1:20000", "server URL")
	stub := flag.String("stub", "dubbo-health", "health client: dubbo-health (triple_health of this module) or builtin (dubbo-go's)")
	group := flag.String("group", "", "client-wide group")
	version := flag.String("version", "", "client-wide version")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: tclient [-addr URL] check|watch NAME | list")
		os.Exit(2)
	}
	copts := []client.ClientOption{client.WithClientURL(*addr)}
	if *group != "" {
		copts = append(copts, client.WithClientGroup(*group))
	}
	if *version != "" {
		copts = append(copts, client.WithClientVersion(*version))
	}
	cli, err := client.NewClient(copts...)
	if err != nil {
		fmt.Println("error dial", err)
		os.Exit(1)
	}
	ctx := context.Background()
	name := ""
	if len(args) > 1 && args[1] != "-" {
		name = args[1]
	}
	if *stub == "builtin" {
		runBuiltin(ctx, cli, args[0], name)
		return
	}
	svc, err := triple_health.NewHealth(cli)
	if err != nil {
		fmt.Println("error dial", err)
		os.Exit(1)
	}
	switch args[0] {
	case "check":
		resp, err := svc.Check(ctx, &triple_health.HealthCheckRequest{Service: name})
		printCheck(resp.GetStatus(), err)
	case "list":
		resp, err := svc.List(ctx, &triple_health.HealthListRequest{})
		if err != nil {
			fmt.Println("error", tri.CodeOf(err), err)
			return
		}
		names := make([]string, 0, len(resp.GetStatuses()))
		for n := range resp.GetStatuses() {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("%s=%s\n", n, resp.GetStatuses()[n].GetStatus())
		}
	case "watch":
		stream, err := svc.Watch(ctx, &triple_health.HealthCheckRequest{Service: name})
		if err != nil {
			printCheck(nil, err)
			return
		}
		printWatch(stream.Recv, func() fmt.Stringer { return stream.Msg().GetStatus() }, stream.Err)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", args[0])
		os.Exit(2)
	}
}

// runBuiltin makes the call with dubbo-go's built-in health client, which
// has Check and Watch only.
func runBuiltin(ctx context.Context, cli *client.Client, cmd, name string) {
	svc, err := builtin.NewHealth(cli)
	if err != nil {
		fmt.Println("error dial", err)
		os.Exit(1)
	}
	switch cmd {
	case "check":
		resp, err := svc.Check(ctx, &builtin.HealthCheckRequest{Service: name})
		printCheck(resp.GetStatus(), err)
	case "watch":
		stream, err := svc.Watch(ctx, &builtin.HealthCheckRequest{Service: name})
		if err != nil {
			printCheck(nil, err)
			return
		}
		printWatch(stream.Recv, func() fmt.Stringer { return stream.Msg().GetStatus() }, stream.Err)
	default:
		fmt.Fprintln(os.Stderr, "dubbo-go's built-in client has no", cmd)
		os.Exit(2)
	}
}

// printCheck prints the outcome of a Check: "status S" or "error CODE MSG".
func printCheck(status fmt.Stringer, err error) {
	if err != nil {
		fmt.Println("error", tri.CodeOf(err), err)
		return
	}
	fmt.Println("status", status)
}

// printWatch prints "open", a "status S" line per message, then "end CODE"
// or "end ok".
func printWatch(recv func() bool, status func() fmt.Stringer, end func() error) {
	fmt.Println("open")
	for recv() {
		fmt.Println("status", status())
	}
	if err := end(); err != nil {
		fmt.Println("end", tri.CodeOf(err))
	} else {
		fmt.Println("end ok")
	}
}
