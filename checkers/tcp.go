package checkers

import (
	"context"
	"net"
)

import (
	"github.com/dubbo-health/health/healthcheck"
)

// TCP returns a checker that passes when a TCP connection to addr, a
// "host:port" as net.Dial takes it, can be opened. It opens one and closes it
// at once, sending no data.
//
// The error of a failed dial reads like
//
//	tcp dial 127.0.0.1:5432: connection refused
//
// and unwraps to the *net.OpError (errors.Is(err, syscall.ECONNREFUSED) holds
// for a refused connection). The dial ends when ctx does; nothing else
// limits it.
func TCP(addr string) healthcheck.Checker {
	var d net.Dialer
	return healthcheck.CheckerFunc(func(ctx context.Context) error {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return newCheckError(ctx, "tcp dial "+addr, err)
		}
		// Nothing was written: an error closing the connection says nothing
		// about the dependency.
		_ = conn.Close()
		return nil
	})
}
