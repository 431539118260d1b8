package dubbogo

import (
	"context"
	"errors"
)

import (
	"dubbo.apache.org/dubbo-go/v3/metrics/probe"

	"github.com/dubbo-health/health/healthserver"
)

// Relies on (dubbo-go v3.3.2, metrics/probe/probe.go and server.go): the
// readiness endpoint of dubbo-go's Kubernetes probe server
// (dubbo.metrics.probe, off by default) answers 200 only when every check
// registered with probe.RegisterReadiness passes; checks are kept by name
// and run at each request. package server links metrics/probe already.

// errNotServing is the readiness error of dubbo-go's probe while "" is not
// SERVING.
var errNotServing = errors.New(`dubbo-health: "" is not SERVING`)

// registerReadiness makes dubbo-go's readiness probe follow "", the whole
// server's health status: a team can point Kubernetes at either and get the
// same answer. Liveness is left alone: a NOT_SERVING server must not be
// restarted.
func registerReadiness() {
	probe.RegisterReadiness(internalServiceName, func(context.Context) error {
		if !host.Enabled() {
			return nil
		}
		if st, _ := host.Store().Status(""); st != healthserver.Serving {
			return errNotServing
		}
		return nil
	})
}
