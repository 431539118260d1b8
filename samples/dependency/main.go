// Command dependency is a Greeter whose health follows the things it
// depends on, the mechanism dubbo-go's own health documentation says it
// lacks:
//
//   - a checker marks greet.GreetService NOT_SERVING while a TCP dependency
//     (a database, say) cannot be reached, and SERVING again when it can;
//
//   - a condition of the program's own (here: a file that an operator creates
//     to take the instance out of rotation) sets it NOT_SERVING by hand and
//     back.
//
//     go run ./samples/dependency -port 20000 -db 127.0.0.1:5432 -maintenance /tmp/maintenance
//
// Watch it with `grpc-health-probe -addr 127.0.0.1:20000 -service
// greet.GreetService`, or `curl 'http://127.0.0.1:20000/readyz?service=greet.GreetService'`,
// while you start and stop the dependency or touch and remove the file.
package main

import (
	"context"
	"flag"
	"os"
	"time"
)

import (
	"dubbo.apache.org/dubbo-go/v3/protocol"
	"dubbo.apache.org/dubbo-go/v3/server"

	_ "dubbo.apache.org/dubbo-go/v3/imports"

	"github.com/dubbogo/gost/log/logger"

	health "github.com/dubbo-health/health"
	"github.com/dubbo-health/health/checkers"
	"github.com/dubbo-health/health/healthcheck"
	"github.com/dubbo-health/health/healthserver"
	"github.com/dubbo-health/health/samples/greet"
)

// GreetServer implements greet.GreetService.
type GreetServer struct{}

// Greet answers "hello NAME".
func (*GreetServer) Greet(_ context.Context, req *greet.GreetRequest) (*greet.GreetResponse, error) {
	return &greet.GreetResponse{Greeting: "hello " + req.GetName()}, nil
}

func main() {
	port := flag.Int("port", 20000, "Triple port")
	db := flag.String("db", "127.0.0.1:5432", "TCP address the Greeter depends on")
	maintenance := flag.String("maintenance", "/tmp/greeter-maintenance", "while this file exists, the Greeter is NOT_SERVING")
	flag.Parse()

	// A dependency checker: runs every 2s in the background; three failures
	// in a row make the Greeter NOT_SERVING, one success makes it SERVING.
	if err := health.AddChecker("greet.GreetService", "db", checkers.TCP(*db),
		healthcheck.WithInterval(2*time.Second), healthcheck.WithTimeout(time.Second)); err != nil {
		panic(err)
	}
	// A condition of the program's own, set by hand.
	go followFile(*maintenance)

	srv, err := server.NewServer(server.WithServerProtocol(protocol.WithTriple(), protocol.WithPort(*port)))
	if err != nil {
		panic(err)
	}
	if err := greet.RegisterGreetServiceHandler(srv, &GreetServer{}); err != nil {
		panic(err)
	}
	if err := srv.Serve(); err != nil {
		logger.Error(err)
	}
}

// followFile sets the Greeter NOT_SERVING while path exists. A checker would
// do as well; this shows SetServingStatus, which wins over passing checkers.
func followFile(path string) {
	inMaintenance := false
	for range time.Tick(time.Second) {
		_, err := os.Stat(path)
		if now := err == nil; now != inMaintenance {
			inMaintenance = now
			st := healthserver.Serving
			if now {
				st = healthserver.NotServing
			}
			if err := health.SetServingStatus("greet.GreetService", st); err != nil {
				logger.Error(err)
			}
		}
	}
}
