package dubbogo

import (
	"context"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common/extension"
	"dubbo.apache.org/dubbo-go/v3/filter"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"
	"dubbo.apache.org/dubbo-go/v3/protocol/result"
)

// Relies on (dubbo-go v3.3.2, server/options.go and filter/): a service's
// own filter list (server.WithFilter) replaces dubbo-go's default provider
// chain, whose graceful-shutdown filter would count every open Watch as an
// in-flight request (holding up the stop by seconds) and reject probes once
// the shutdown rejects requests, when a probe should read NOT_SERVING
// instead; and whose TPS and execute limits are meant for business methods,
// not for probes. dubbo-go needs a non-empty list to replace the default.

// filterName is the provider filter chain of the health service.
const filterName = "dubbo-health-passthrough"

func registerFilter() {
	extension.SetFilter(filterName, func() filter.Filter { return passthrough{} })
}

// passthrough is a filter that does nothing.
type passthrough struct{}

func (passthrough) Invoke(ctx context.Context, invoker base.Invoker, inv base.Invocation) result.Result {
	return invoker.Invoke(ctx, inv)
}

func (passthrough) OnResponse(_ context.Context, res result.Result, _ base.Invoker, _ base.Invocation) result.Result {
	return res
}
