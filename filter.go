package health

import (
	"context"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common/extension"
	"dubbo.apache.org/dubbo-go/v3/filter"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"
	"dubbo.apache.org/dubbo-go/v3/protocol/result"
)

// filterName is the provider filter chain of the health service. It replaces
// dubbo-go's default provider chain, whose graceful-shutdown filter would count
// every open Watch as an in-flight request (holding up the stop by seconds) and
// reject probes once the shutdown rejects requests, when a probe should read
// NOT_SERVING instead; and whose TPS and execute limits are meant for business
// methods, not for probes.
const filterName = "dubbo-health-passthrough"

func init() {
	extension.SetFilter(filterName, func() filter.Filter { return passthrough{} })
}

// passthrough is a filter that does nothing: dubbo-go needs a non-empty
// filter list to replace its default one.
type passthrough struct{}

func (passthrough) Invoke(ctx context.Context, invoker base.Invoker, inv base.Invocation) result.Result {
	return invoker.Invoke(ctx, inv)
}

func (passthrough) OnResponse(_ context.Context, res result.Result, _ base.Invoker, _ base.Invocation) result.Result {
	return res
}
