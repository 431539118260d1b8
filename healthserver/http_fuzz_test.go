package healthserver_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

import (
	"github.com/dubbo-health/health/healthserver"
)

// FuzzHTTPView sends arbitrary methods and request targets to the HTTP view:
// it never panics and answers only the statuses it documents.
func FuzzHTTPView(f *testing.F) {
	for _, seed := range []struct{ method, target string }{
		{"GET", "/readyz?service=a.Service"},
		{"GET", "/healthz"},
		{"HEAD", "/readyz"},
		{"POST", "/readyz"},
		{"GET", "/readyz?service=%ff%fe"},
		{"GET", "/readyz?service=a&service=b"},
	} {
		f.Add(seed.method, seed.target)
	}
	s := healthserver.New()
	_ = s.SetServingStatus("a.Service", healthserver.Serving)
	_ = s.SetServingStatus("b.Service", healthserver.NotServing)
	h := s.HTTPHandler()
	f.Fuzz(func(t *testing.T, method, target string) {
		req, err := http.NewRequest(method, "http://x"+target, nil)
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 404, 405, 503:
		default:
			t.Fatalf("%s %q: status %d", method, target, rec.Code)
		}
	})
}
