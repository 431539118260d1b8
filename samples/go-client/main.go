// Command go-client is dubbo-go's own health check client program, with the
// import path of the stubs changed and the results printed to stdout (the
// text form of a proto message is deliberately unstable, so the status is
// printed by name): it asks a dubbo-go server for the health of
// greet.GreetService with Check, then with Watch.
//
//	go run ./samples/go-client -addr tri://127.0.0.1:20000
//
// prints
//
//	[greet.GreetService's health status:SERVING]
//	[greet.GreetService's health status:SERVING]
package main

import (
	"context"
	"flag"
	"fmt"
)

import (
	"dubbo.apache.org/dubbo-go/v3/client"
	_ "dubbo.apache.org/dubbo-go/v3/imports"

	"github.com/dubbogo/gost/log/logger"

	health "github.com/dubbo-health/health/triple_health"
)

func main() {
	addr := flag.String("addr", "tri://127.0.0.1:20000", "server URL")
	flag.Parse()

	cli, err := client.NewClient(
		client.WithClientURL(*addr),
	)
	if err != nil {
		panic(err)
	}
	svc, err := health.NewHealth(cli)
	if err != nil {
		panic(err)
	}
	check, err := svc.Check(context.Background(), &health.HealthCheckRequest{Service: "greet.GreetService"})
	if err != nil {
		logger.Error(err)
	} else {
		fmt.Printf("[greet.GreetService's health status:%s]\n", check.GetStatus())
	}
	watch, err := svc.Watch(context.Background(), &health.HealthCheckRequest{Service: "greet.GreetService"})
	if err != nil {
		logger.Error(err)
	} else {
		if watch.Recv() {
			fmt.Printf("[greet.GreetService's health status:%s]\n", watch.Msg().GetStatus())
		}
	}
}
