package healthserver_test

import (
	"fmt"
)

import (
	"github.com/dubbo-health/health/healthserver"
)

func ExampleServer() {
	hs := healthserver.New()
	if err := hs.SetServingStatus("greet.GreetService", healthserver.NotServing); err != nil {
		fmt.Println(err)
	}

	for _, service := range []string{"", "greet.GreetService", "other.Service"} {
		st, known := hs.Status(service)
		fmt.Printf("%q: %v (known: %v)\n", service, st, known)
	}
	// Output:
	// "": SERVING (known: true)
	// "greet.GreetService": NOT_SERVING (known: true)
	// "other.Service": SERVICE_UNKNOWN (known: false)
}

func ExampleServer_Shutdown() {
	hs := healthserver.New()
	_ = hs.SetServingStatus("greet.GreetService", healthserver.Serving)
	_ = hs.SetServingStatus("admin.AdminService", healthserver.NotServing)
	show := func(when string) {
		for _, service := range []string{"", "greet.GreetService", "admin.AdminService"} {
			st, _ := hs.Status(service)
			fmt.Printf("%s %q: %v\n", when, service, st)
		}
	}

	hs.Shutdown()
	show("shut down")

	// Remembered, but not shown until Resume.
	_ = hs.SetServingStatus("greet.GreetService", healthserver.Unknown)

	hs.Resume()
	show("resumed")
	// Output:
	// shut down "": NOT_SERVING
	// shut down "greet.GreetService": NOT_SERVING
	// shut down "admin.AdminService": NOT_SERVING
	// resumed "": SERVING
	// resumed "greet.GreetService": UNKNOWN
	// resumed "admin.AdminService": NOT_SERVING
}
