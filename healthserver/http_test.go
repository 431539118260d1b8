package healthserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

import (
	"github.com/dubbo-health/health/healthserver"
)

func TestHTTPView(t *testing.T) {
	t.Parallel()
	s := healthserver.New()
	defer s.Close()
	_ = s.SetServingStatus("up.Service", healthserver.Serving)
	_ = s.SetServingStatus("down.Service", healthserver.NotServing)
	srv := httptest.NewServer(s.HTTPHandler())
	defer srv.Close()
	defer srv.Client().CloseIdleConnections()

	for _, tc := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/healthz", 200, `{"status":"ALIVE"}`},
		{"GET", "/readyz", 200, `{"service":"","status":"SERVING"}`},
		{"GET", "/readyz?service=up.Service", 200, `{"service":"up.Service","status":"SERVING"}`},
		{"GET", "/readyz?service=down.Service", 503, `{"service":"down.Service","status":"NOT_SERVING"}`},
		{"GET", "/readyz?service=no.Service", 404, `{"service":"no.Service","status":"SERVICE_UNKNOWN","error":"unknown service"}`},
		{"GET", "/readyz?service=" + strings.Repeat("x", 2000), 400, `{"service":"` + strings.Repeat("x", 64) + `...","status":"ERROR","error":"invalid service name: longer than the limit of 1024 bytes"}`},
		{"GET", "/readyz?service=" + strings.Repeat("é", 600), 400, `{"service":"` + strings.Repeat("é", 32) + `...","status":"ERROR","error":"invalid service name: longer than the limit of 1024 bytes"}`},
		{"GET", "/readyz?service=a" + strings.Repeat("é", 600), 400, `{"service":"a` + strings.Repeat("é", 31) + `...","status":"ERROR","error":"invalid service name: longer than the limit of 1024 bytes"}`},
		{"GET", "/readyz?service=%ff%fe", 400, `{"service":"` + "\ufffd" + `","status":"ERROR","error":"invalid service name: not valid UTF-8"}`},
		{"HEAD", "/readyz?service=down.Service", 503, ""},
		{"POST", "/readyz", 405, ""},
		{"GET", "/other", 404, ""},
	} {
		req, _ := http.NewRequestWithContext(context.Background(), tc.method, srv.URL+tc.path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s %.40s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.code)
		}
		if tc.body != "" && strings.TrimSpace(string(body)) != tc.body {
			t.Errorf("%s %s: body %s, want %s", tc.method, tc.path, body, tc.body)
		}
		if tc.method == "HEAD" && len(body) != 0 {
			t.Errorf("HEAD returned a body")
		}
		if tc.code != 404 || tc.path != "/other" {
			var v map[string]any
			if tc.method == "GET" && json.Unmarshal(body, &v) != nil {
				t.Errorf("%s %.40s: body is not JSON: %s", tc.method, tc.path, body)
			}
		}
	}

	// Same source of truth as gRPC: a shutdown shows in /readyz, while
	// /healthz stays 200.
	s.Shutdown()
	for path, want := range map[string]int{"/readyz?service=up.Service": 503, "/healthz": 200} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("after Shutdown GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
