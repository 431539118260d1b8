package dubbogo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	"dubbo.apache.org/dubbo-go/v3/common/extension"
	"dubbo.apache.org/dubbo-go/v3/filter"
	"dubbo.apache.org/dubbo-go/v3/global"
	"dubbo.apache.org/dubbo-go/v3/protocol/base"
	"dubbo.apache.org/dubbo-go/v3/protocol/invocation"
	"dubbo.apache.org/dubbo-go/v3/protocol/result"
	tri "dubbo.apache.org/dubbo-go/v3/protocol/triple/triple_protocol"
	"dubbo.apache.org/dubbo-go/v3/server"

	"github.com/dubbo-health/health/healthserver"
	"github.com/dubbo-health/health/triple_health"
)

// Relies on (dubbo-go v3.3.2, server/action.go, server/options.go,
// protocol/protocolwrapper/protocol_filter_wrapper.go, filter/token and
// protocol/triple/server.go):
//
//   - a service's own filter list (server.WithFilter) replaces the
//     provider's (server.WithServerFilter, YAML provider.filter), and with
//     neither the service runs constant.DefaultServiceFilters
//     (action.go:376-381); metrics and otel filters are appended to any
//     list when they are enabled (action.go:385-390);
//   - every name is looked up with extension.GetFilter when the service is
//     exported, and a name that is not registered gives a nil filter that
//     panics on each call (protocol_filter_wrapper.go:88-92, 130); the
//     provider side does not understand "default" or "-name";
//   - the server's token (server.WithServerToken; a YAML provider.token
//     reaches no service in v3.3.2, business ones included) is copied
//     into every service, internal ones included (options.go:532), and
//     becomes the export URL's "token" parameter (action.go:201), which the
//     token filter compares with the request's "token" attachment; "true"
//     and "default" make a random token per export URL (common/url.go:213);
//   - Triple gives filters the request headers as attachments, lower-case
//     names with []string values (protocol/triple/server.go:905-913), and
//     an error a filter returns reaches the client as it is: an untyped
//     error as code Unknown (HTTP 500).
//
// The health service runs the application's provider filters, so that the
// token, authentication and authorisation the application configured apply
// to it as to its business services, without the ones that must not apply
// to probes (see skippedFilters). PublicProbes (Host.Public) makes it run
// none instead. Each kept filter is wrapped so that a request it refuses
// with an untyped error gets a code: Unauthenticated for the token filter,
// PermissionDenied for the others; a refused Watch reaches the handler with
// its refusal, and the handler tells dubbo-go's invoker Watch (which sends
// no credentials) only when the server closes, and refuses every other.

// filterName is the filter chain of a health service that runs none of the
// application's filters. dubbo-go needs a non-empty list to replace its
// default chain.
const filterName = "dubbo-health-passthrough"

// guardPrefix names the wrapper of an application's filter: "token" runs
// on the health service as "dubbo-health:token".
const guardPrefix = "dubbo-health:"

// skippedFilters are the provider filters the health service never runs,
// by reason:
//
//   - graceful-shutdown counting would count every open Watch as a request
//     in flight (holding up the stop) and reject probes once the shutdown
//     rejects requests, when a probe should read NOT_SERVING;
//   - limiters (TPS, execute, active, adaptive, sentinel, hystrix) are
//     meant for business methods: a saturated business method must not
//     make its probes fail;
//   - echo and generic calls are business protocol features, and an access
//     log would log every probe.
var skippedFilters = map[string]bool{
	constant.GracefulShutdownProviderFilterKey: true,
	constant.GracefulShutdownConsumerFilterKey: true,
	constant.TpsLimitFilterKey:                 true,
	constant.ExecuteLimitFilterKey:             true,
	constant.ActiveFilterKey:                   true,
	constant.AdaptiveServiceProviderFilterKey:  true,
	constant.SentinelProviderFilterKey:         true,
	constant.HystrixProviderFilterKey:          true,
	constant.EchoFilterKey:                     true,
	constant.GenericServiceFilterKey:           true,
	constant.GenericFilterKey:                  true,
	constant.AccessLogFilterKey:                true,
}

var publicProbes atomic.Pointer[func() bool]

// SetPublicProbes gives the adapter the switch that makes health public
// (health.PublicProbes, DUBBO_HEALTH_PUBLIC). It is read when a server
// starts and when its health service is exported.
func SetPublicProbes(public func() bool) { publicProbes.Store(&public) }

// public reports whether health runs none of the application's filters.
func public() bool {
	f := publicProbes.Load()
	return f != nil && (*f)()
}

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

// providerFilters sets the filter list of the health service of a starting
// server from the server's provider filters (see chainFor).
func providerFilters() server.ServiceOption {
	return func(o *server.ServiceOptions) {
		o.Service.Filter = chainFor(o.Provider, public())
	}
}

// chainFor returns the filter list of the health service of a server whose
// provider configuration is p: its provider filters (dubbo-go's default
// chain when it names none) without the skipped ones and those not
// registered, each wrapped; filterName when that leaves none or when
// health is public. It logs what health then requires.
func chainFor(p *global.ProviderConfig, public bool) string {
	if public {
		logger.Infof("[Health] health is public (health.PublicProbes or %s): it runs none of the application's provider filters", envPublicName)
		return filterName
	}
	configured, token := "", ""
	if p != nil {
		configured, token = p.Filter, p.Token
	}
	if strings.TrimSpace(configured) == "" {
		configured = constant.DefaultServiceFilters
	}
	var kept, unknown, enforcing []string
	for _, name := range strings.Split(configured, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "" || skippedFilters[name]:
			continue
		case !registerGuard(name):
			unknown = append(unknown, name)
			continue
		}
		kept = append(kept, guardPrefix+name)
		if name != constant.TokenFilterKey || token != "" {
			enforcing = append(enforcing, name)
		}
	}
	if len(unknown) > 0 {
		logger.Warnf("[Health] the provider filters %s are not registered (not linked, or a name dubbo-go does not understand on the provider side, such as \"default\" or \"-name\"): health does not run them", strings.Join(unknown, ", "))
	}
	if len(enforcing) > 0 {
		logger.Infof("[Health] health runs the application's provider filters %s: a request they refuse is refused (/healthz excepted). Kubelet gRPC probes cannot send credentials (its httpGet probes can, with httpHeaders): to let them in, call health.PublicProbes() or set %s=true", strings.Join(enforcing, ", "), envPublicName)
		if isRandomToken(token) {
			logger.Warnf("[Health] the server's token is random (%q): no client can know the health service's own, so every health request is refused; set a fixed token, or make health public", token)
		}
	}
	if len(kept) == 0 {
		return filterName
	}
	return strings.Join(kept, ",")
}

// envPublicName is the variable that makes health public; the root package
// reads it, the adapter names it in logs.
const envPublicName = "DUBBO_HEALTH_PUBLIC"

// isRandomToken reports whether dubbo-go makes a random token of t
// (common.WithToken).
func isRandomToken(t string) bool {
	return strings.EqualFold(t, "true") || strings.EqualFold(t, "default")
}

var (
	guardsMu sync.Mutex
	guards   = make(map[string]bool) // application filters whose wrapper is registered
)

// registerGuard registers the wrapper of the application's filter name
// once, and reports whether that filter is registered. The wrapper is
// registered when it returns, also for a server that starts at the same
// time.
func registerGuard(name string) bool {
	if _, ok := extension.GetFilter(name); !ok {
		return false
	}
	guardsMu.Lock()
	defer guardsMu.Unlock()
	if !guards[name] {
		extension.SetFilter(guardPrefix+name, func() filter.Filter {
			inner, _ := extension.GetFilter(name)
			return guard{name: name, inner: inner}
		})
		guards[name] = true
	}
	return true
}

// guard runs one of the application's filters on the health service and
// gives a code to a request it refuses.
type guard struct {
	name  string
	inner filter.Filter
}

func (g guard) Invoke(ctx context.Context, invoker base.Invoker, inv base.Invocation) result.Result {
	next := &passedOn{Invoker: invoker}
	res := g.inner.Invoke(ctx, next, inv)
	if next.called || res == nil {
		return res // the filter let the request through
	}
	err := res.Error()
	if err == nil {
		return res
	}
	err = refusal(g.name, err)
	if inv.MethodName() == "Watch" {
		// The handler decides: it refuses every Watch with err but that of
		// dubbo-go's invoker, which sends no credentials and is told only
		// when the server closes (healthserver.WithRefusal).
		return invoker.Invoke(healthserver.WithRefusal(ctx, err), inv)
	}
	res.SetError(err)
	return res
}

func (g guard) OnResponse(ctx context.Context, res result.Result, invoker base.Invoker, inv base.Invocation) result.Result {
	return g.inner.OnResponse(ctx, res, invoker, inv)
}

// passedOn records whether a filter called the rest of the chain.
type passedOn struct {
	base.Invoker
	called bool
}

func (p *passedOn) Invoke(ctx context.Context, inv base.Invocation) result.Result {
	p.called = true
	return p.Invoker.Invoke(ctx, inv)
}

// refusal is the error a client sees when the application's filter name
// refused its request with err.
func refusal(name string, err error) error {
	var coded *tri.Error
	if errors.As(err, &coded) {
		return err
	}
	if name == constant.TokenFilterKey {
		// The token filter's own message names the invoker; say less.
		return tri.NewError(tri.CodeUnauthenticated, errors.New("invalid or missing token"))
	}
	return tri.NewError(tri.CodePermissionDenied, fmt.Errorf("refused by filter %s: %v", name, err))
}

// viewGuard runs the health service's filters, as exported on one
// listener, on requests of the HTTP view, which do not pass through
// dubbo-go's filter chain.
type viewGuard struct {
	head base.Invoker // nil: no filter to run
}

// guardOf returns the guard of the HTTP view beside the health service
// exported with url: the wrapped application filters of its list.
func guardOf(url *common.URL) *viewGuard {
	names := strings.Split(url.GetParam(constant.ServiceFilterKey, ""), ",")
	end := base.Invoker(base.NewBaseInvoker(url)) // lets the request through
	var head base.Invoker = end
	for i := len(names) - 1; i >= 0; i-- {
		name := strings.TrimSpace(names[i])
		if !strings.HasPrefix(name, guardPrefix) {
			continue // passthrough, metrics, tracing
		}
		f, ok := extension.GetFilter(name)
		if !ok {
			continue
		}
		head = &link{Invoker: end, filter: f, next: head}
	}
	if head == end {
		return &viewGuard{}
	}
	return &viewGuard{head: head}
}

// link is one filter of a viewGuard's chain.
type link struct {
	base.Invoker // the end of the chain: URL, availability
	filter       filter.Filter
	next         base.Invoker
}

func (l *link) Invoke(ctx context.Context, inv base.Invocation) result.Result {
	res := l.filter.Invoke(ctx, l.next, inv)
	return l.filter.OnResponse(ctx, res, l.Invoker, inv)
}

// check runs the filters on r, a request of the HTTP view for service, as
// they would run on a Check with r's headers, and returns their refusal.
func (g *viewGuard) check(r *http.Request, service string) error {
	if g.head == nil {
		return nil
	}
	att := make(map[string]any, len(r.Header))
	for k, v := range r.Header {
		att[strings.ToLower(k)] = v
	}
	ctx := context.WithValue(r.Context(), constant.AttachmentKey, att)
	inv := invocation.NewRPCInvocation("Check", []any{&triple_health.HealthCheckRequest{Service: service}}, att)
	res := g.head.Invoke(ctx, inv)
	if res == nil {
		return nil
	}
	return res.Error()
}
