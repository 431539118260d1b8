package healthserver_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
)

import (
	"github.com/dubbo-health/health/healthcheck"
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

func ExampleServer_AddChecker() {
	hs := healthserver.New()
	defer hs.Close()
	_ = hs.SetServingStatus("greet.GreetService", healthserver.Serving)

	// The Greeter depends on a database that this checker dials every 5s.
	// Until the checker has passed, the Greeter is not SERVING.
	db := healthcheck.CheckerFunc(func(ctx context.Context) error {
		return errors.New("dial tcp 127.0.0.1:5432: connection refused")
	})
	if err := hs.AddChecker("greet.GreetService", "db", db); err != nil {
		fmt.Println(err)
	}
	st, _ := hs.Status("greet.GreetService")
	fmt.Println("with the checker:", st)

	hs.RemoveChecker("greet.GreetService", "db")
	st, _ = hs.Status("greet.GreetService")
	fmt.Println("without it:", st)
	// Output:
	// with the checker: NOT_SERVING
	// without it: SERVING
}

func ExampleServer_HTTPHandler() {
	hs := healthserver.New()
	_ = hs.SetServingStatus("greet.GreetService", healthserver.NotServing)

	rec := httptest.NewRecorder()
	hs.HTTPHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz?service=greet.GreetService", nil))
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// 503 {"service":"greet.GreetService","status":"NOT_SERVING"}
}

// A framework records each export: the service is SERVING under its
// interface name and its service key, which follows the interface name.
func ExampleServer_Export() {
	hs := healthserver.New()
	// The program holds the service back until it has warmed up...
	_ = hs.SetServingStatus("greet.GreetService", healthserver.NotServing)
	// ...and the export, which marks services SERVING, leaves it so.
	unexport, _ := hs.Export("127.0.0.1:20000", "greet.GreetService", "g1/greet.GreetService:1.0.0")
	iface, _ := hs.Status("greet.GreetService")
	key, _ := hs.Status("g1/greet.GreetService:1.0.0")
	fmt.Println("warming up:", iface, key)

	// One call brings the service in under both names.
	_ = hs.SetServingStatus("greet.GreetService", healthserver.Serving)
	key, _ = hs.Status("g1/greet.GreetService:1.0.0")
	fmt.Println("warm:", key)

	unexport()
	_, known := hs.Status("g1/greet.GreetService:1.0.0")
	fmt.Println("after unexport, known:", known)
	// Output:
	// warming up: NOT_SERVING NOT_SERVING
	// warm: SERVING
	// after unexport, known: false
}
