package clienthealth_test

import (
	"context"
	"fmt"
)

import (
	"dubbo.apache.org/dubbo-go/v3/client"

	"github.com/dubbo-health/health/clienthealth"
	"github.com/dubbo-health/health/internal/testservice/greet"
)

// A consumer with client-side health checking: the blank import of
// clienthealth is all it takes; calls go only to providers whose
// greet.GreetService is SERVING. (A real consumer also links dubbo-go's
// clusters and load balancers, usually with a blank import of
// dubbo.apache.org/dubbo-go/v3/imports.) greet stands for the consumer's own
// generated Triple stubs; here it is the test harness's greet.GreetService.
func Example() {
	// import _ "github.com/dubbo-health/health/clienthealth"
	cli, err := client.NewClient(client.WithClientURL("tri://10.0.0.1:20000;tri://10.0.0.2:20000"))
	if err != nil {
		panic(err)
	}
	svc, err := greet.NewGreetService(cli)
	if err != nil {
		panic(err)
	}
	resp, err := svc.Greet(context.Background(), &greet.GreetRequest{Name: "dubbo"})
	fmt.Println(resp.GetGreeting(), err)
}

// A reference whose calls fail at once, with code Unavailable, when none of
// its providers is SERVING, instead of trying them all.
func ExampleWithoutFallback() {
	cli, err := client.NewClient(client.WithClientURL("tri://10.0.0.1:20000;tri://10.0.0.2:20000"))
	if err != nil {
		panic(err)
	}
	svc, err := greet.NewGreetService(cli, clienthealth.WithoutFallback())
	if err != nil {
		panic(err)
	}
	_, err = svc.Greet(context.Background(), &greet.GreetRequest{Name: "dubbo"})
	fmt.Println(err)
}
