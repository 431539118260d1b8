package testapp

import (
	"context"
	"time"
)

import (
	"github.com/dubbo-health/health/internal/testservice/greet"
)

// Greeter is the business service of the test server.
type Greeter struct {
	// Delay is how long each call takes.
	Delay time.Duration
	// ID is added to each greeting, so callers see which server answered.
	ID string
}

// Greet answers "hello NAME" after Delay.
func (g *Greeter) Greet(ctx context.Context, req *greet.GreetRequest) (*greet.GreetResponse, error) {
	if g.Delay > 0 {
		select {
		case <-time.After(g.Delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	greeting := "hello " + req.GetName()
	if g.ID != "" {
		greeting += " from " + g.ID
	}
	return &greet.GreetResponse{Greeting: greeting}, nil
}
