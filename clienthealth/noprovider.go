package clienthealth

import (
	"context"
	"fmt"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"
	"dubbo.apache.org/dubbo-go/v3/protocol/result"
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"
)

// noProvider is what a router without fallback returns, alone, when none of
// its providers is eligible: an invoker that fails every call at once with
// code Unavailable. The router never returns an empty list, because
// dubbo-go v3.3.2 answers one with a nil pointer panic in the caller for
// references to direct URLs (its "No provider available" error reads the
// registry URL those references do not have).
type noProvider struct {
	url *common.URL
	err error
}

// newNoProviderError returns the error of calls to service when none of its
// providers is eligible.
func newNoProviderError(service string) error {
	return tri.NewError(tri.CodeUnavailable, fmt.Errorf("no provider of %s is serving", service))
}

// GetURL returns the URL of one of the providers, so that the cluster reads
// the reference's load balancing parameters from it as usual.
func (n *noProvider) GetURL() *common.URL { return n.url }

// IsAvailable reports true: the cluster must call it to get the error.
func (n *noProvider) IsAvailable() bool { return true }

// Destroy does nothing.
func (n *noProvider) Destroy() {}

// Invoke fails with code Unavailable.
func (n *noProvider) Invoke(context.Context, base.Invocation) result.Result {
	return &result.RPCResult{Err: n.err}
}
