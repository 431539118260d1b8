package health_test

import (
	"context"
	"errors"
	"fmt"
)

import (
	health "github.com/dubbo-health/health"
	"github.com/dubbo-health/health/healthcheck"
	"github.com/dubbo-health/health/healthserver"
)

// A program marks a condition of its own: the Greeter is out of rotation
// while it reloads its data, and back afterwards.
func ExampleSetServingStatus() {
	if err := health.SetServingStatus("greet.GreetService", healthserver.NotServing); err != nil {
		fmt.Println(err)
	}
	st, _ := health.Default().Status("greet.GreetService")
	fmt.Println(st)

	_ = health.SetServingStatus("greet.GreetService", healthserver.Serving)
	st, _ = health.Default().Status("greet.GreetService")
	fmt.Println(st)
	// Output:
	// NOT_SERVING
	// SERVING
}

// A dependency checker runs in the background; the service is NOT_SERVING
// until it has passed.
func ExampleAddChecker() {
	_ = health.SetServingStatus("orders.OrderService", healthserver.Serving)
	db := healthcheck.CheckerFunc(func(context.Context) error {
		return errors.New("connection refused")
	})
	if err := health.AddChecker("orders.OrderService", "db", db); err != nil {
		fmt.Println(err)
	}
	defer health.RemoveChecker("orders.OrderService", "db")

	st, _ := health.Default().Status("orders.OrderService")
	fmt.Println(st)
	// Output:
	// NOT_SERVING
}
