package dubbogo

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestProgramRoute(t *testing.T) {
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	muxWith := func(patterns ...string) *http.ServeMux {
		m := http.NewServeMux()
		for _, p := range patterns {
			m.Handle(p, ok)
		}
		return m
	}
	for _, tc := range []struct {
		name    string
		handler http.Handler
		method  string
		path    string
		want    bool
	}{
		{"exact route", muxWith("/healthz"), "GET", "/healthz", true},
		{"route with a method", muxWith("GET /readyz"), "GET", "/readyz", true},
		{"route with another method", muxWith("GET /readyz"), "POST", "/readyz", false},
		{"route with a host", muxWith("127.0.0.1/healthz"), "GET", "/healthz", true},
		{"subtree of the path", muxWith("/healthz/"), "GET", "/healthz", true},
		{"subtree above the path", muxWith("/ops/"), "GET", "/ops/readyz", true},
		{"catch-all", muxWith("/"), "GET", "/healthz", false},
		{"wildcard", muxWith("/{name}"), "GET", "/healthz", false},
		{"other routes only", muxWith("/app", "/app/"), "GET", "/readyz", false},
		{"not a ServeMux", ok, "GET", "/healthz", false},
	} {
		r := httptest.NewRequest(tc.method, "http://127.0.0.1:20000"+tc.path, nil)
		if got := programRoute(tc.handler, r); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
