package dubbogo

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
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
)

// wantHeader is a provider filter of the tests: it lets through requests
// with the attachment "x-pass" and refuses the others with err.
type wantHeader struct{ err error }

func (f wantHeader) Invoke(ctx context.Context, invoker base.Invoker, inv base.Invocation) result.Result {
	if _, ok := inv.Attachments()["x-pass"]; ok {
		return invoker.Invoke(ctx, inv)
	}
	return &result.RPCResult{Err: f.err}
}

func (wantHeader) OnResponse(_ context.Context, res result.Result, _ base.Invoker, _ base.Invocation) result.Result {
	return res
}

func init() {
	extension.SetFilter("test-auth", func() filter.Filter { return wantHeader{err: errors.New("go away")} })
	extension.SetFilter("test-coded", func() filter.Filter {
		return wantHeader{err: tri.NewError(tri.CodeResourceExhausted, errors.New("slow down"))}
	})
	extension.SetFilter(constant.TokenFilterKey, func() filter.Filter {
		return wantHeader{err: errors.New("[Token Filter]Invalid token! Forbid invoke remote service")}
	})
	extension.SetFilter(constant.TpsLimitFilterKey, func() filter.Filter { return wantHeader{err: errors.New("tps")} })
	registerFilter()
}

func TestChainFor(t *testing.T) {
	for _, tc := range []struct {
		name     string
		provider *global.ProviderConfig
		public   bool
		want     string
	}{
		{"no provider: dubbo-go's default chain, of which token is linked here", nil, false, "dubbo-health:token"},
		{"default chain", &global.ProviderConfig{}, false, "dubbo-health:token"},
		{"own filters, skipped and unknown names dropped", &global.ProviderConfig{Filter: " test-auth, tps,pshutdown,no.such,default,-token,execute,test-coded"}, false, "dubbo-health:test-auth,dubbo-health:test-coded"},
		{"nothing left", &global.ProviderConfig{Filter: "tps,accesslog,no.such"}, false, filterName},
		{"public", withToken(&global.ProviderConfig{Filter: "test-auth"}, "s3cret"), true, filterName},
		{"token", withToken(&global.ProviderConfig{}, "s3cret"), false, "dubbo-health:token"},
	} {
		if got := chainFor(tc.provider, tc.public); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func withToken(p *global.ProviderConfig, token string) *global.ProviderConfig {
	p.Token = token
	return p
}

// invoke runs the filter registered as name on a request with the
// attachments att, in front of an invoker that answers OK.
func invoke(t *testing.T, name string, att map[string]any) (res result.Result, passed bool) {
	t.Helper()
	f, ok := extension.GetFilter(name)
	if !ok {
		t.Fatalf("filter %s is not registered", name)
	}
	end := &recorder{BaseInvoker: base.NewBaseInvoker(common.NewURLWithOptions())}
	inv := invocation.NewRPCInvocation("Check", nil, att)
	res = f.Invoke(context.Background(), end, inv)
	return f.OnResponse(context.Background(), res, end, inv), end.called
}

type recorder struct {
	*base.BaseInvoker
	called bool
}

func (r *recorder) Invoke(ctx context.Context, inv base.Invocation) result.Result {
	r.called = true
	return r.BaseInvoker.Invoke(ctx, inv)
}

func TestGuardCodes(t *testing.T) {
	chainFor(&global.ProviderConfig{Filter: "test-auth,test-coded,token"}, false) // registers the guards
	for _, tc := range []struct {
		filter string
		pass   bool
		code   tri.Code
		msg    string
	}{
		{"test-auth", false, tri.CodePermissionDenied, "permission_denied: refused by filter test-auth: go away"},
		{"test-coded", false, tri.CodeResourceExhausted, "resource_exhausted: slow down"},
		{"token", false, tri.CodeUnauthenticated, "unauthenticated: invalid or missing token"},
		{"test-auth", true, 0, ""},
	} {
		att := map[string]any{}
		if tc.pass {
			att["x-pass"] = []string{"1"}
		}
		res, passed := invoke(t, guardPrefix+tc.filter, att)
		if passed != tc.pass {
			t.Errorf("%s: passed on %v, want %v", tc.filter, passed, tc.pass)
		}
		err := res.Error()
		if tc.pass {
			if err != nil {
				t.Errorf("%s: %v, want no error", tc.filter, err)
			}
			continue
		}
		if tri.CodeOf(err) != tc.code || err.Error() != tc.msg {
			t.Errorf("%s: %v (code %v), want %q", tc.filter, err, tri.CodeOf(err), tc.msg)
		}
	}
}

func TestViewGuard(t *testing.T) {
	chainFor(&global.ProviderConfig{Filter: "test-auth"}, false)
	url := common.NewURLWithOptions(common.WithParamsValue(constant.ServiceFilterKey, "dubbo-health:test-auth,metrics"))
	g := guardOf(url)
	r := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	if err := g.check(r, ""); tri.CodeOf(err) != tri.CodePermissionDenied {
		t.Errorf("without the header: %v, want PermissionDenied", err)
	}
	r.Header.Set("X-Pass", "1")
	if err := g.check(r, ""); err != nil {
		t.Errorf("with the header: %v", err)
	}
	open := guardOf(common.NewURLWithOptions(common.WithParamsValue(constant.ServiceFilterKey, filterName)))
	if err := open.check(httptest.NewRequest(http.MethodGet, "/readyz", nil), ""); err != nil {
		t.Errorf("with no filter: %v", err)
	}
}
