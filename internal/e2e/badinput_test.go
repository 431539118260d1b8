package e2e_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

import (
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// TestBadInputHTTP sends malformed requests over plain HTTP/JSON: each gets
// a clear error with the right HTTP status, none a 500, and the server keeps
// answering.
func TestBadInputHTTP(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, []byte(`{"service":"`+strings.Repeat("a", 5000)+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		path string
		code string // HTTP status
		body string // part of the body
	}{
		{"malformed JSON", []string{"-d", `{"service":`}, "Check", "400", `"invalid_argument"`},
		{"unknown field", []string{"-d", `{"service":"","foo":1}`}, "Check", "400", `unknown field`},
		{"wrong type", []string{"-d", `{"service":5}`}, "Check", "400", `invalid value for string field service`},
		{"empty body", nil, "Check", "400", `zero-length payload`},
		{"wrong content type", []string{"-H", "Content-Type: text/plain", "-d", `{}`}, "Check", "415", ""},
		{"gzip declared, not gzip", []string{"-H", "Content-Encoding: gzip", "-d", `{}`}, "Check", "400", `"invalid_argument"`},
		{"invalid UTF-8 name", []string{"--data-binary", "{\"service\":\"\xff\xfe\"}"}, "Check", "400", `invalid UTF-8`},
		{"name over the limit", []string{"-d", `{"service":"` + strings.Repeat("x", 1025) + `"}`}, "Check", "400", `longer than the limit of 1024`},
		{"body over the limit", []string{"--data-binary", "@" + big}, "Check", "429", `larger than configured max 4096`},
		{"unknown method", []string{"-d", `{}`}, "Nope", "404", ""},
		{"GET instead of POST", []string{"-X", "GET"}, "Check", "405", ""},
		{"HTTP/2 without TLS", []string{"--http2-prior-knowledge", "-d", `{"service":""}`}, "Check", "200", `"SERVING"`},
	}
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)
		for _, c := range cases {
			args := []string{"-sS", "-X", "POST", "-w", "\n%{http_code}"}
			if !strings.Contains(strings.Join(c.args, " "), "Content-Type") {
				args = append(args, "-H", "Content-Type: application/json")
			}
			args = append(args, c.args...)
			args = append(args, "http://"+s.Addr+"/grpc.health.v1.Health/"+c.path)
			out, code := tool(t, 30*time.Second, "curl", args...)
			if code != 0 {
				t.Errorf("%s: curl exit %d %s", c.name, code, out)
				continue
			}
			i := strings.LastIndex(out, "\n")
			body, httpCode := out[:i], out[i+1:]
			if httpCode != c.code || !strings.Contains(body, c.body) {
				t.Errorf("%s: HTTP %s %q, want %s with %q", c.name, httpCode, body, c.code, c.body)
			}
		}
		if out, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr); code != 0 {
			t.Errorf("after the bad requests the probe fails: exit %d %s", code, out)
		}
	})
}

// TestBadInputGRPC sends malformed gRPC requests, some byte by byte over h2c.
func TestBadInputGRPC(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)
		conn := dial(t, s.Addr)
		cli := healthpb.NewHealthClient(conn)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()

		_, err := cli.Check(ctx, &healthpb.HealthCheckRequest{Service: strings.Repeat("x", 1025)})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "longer than the limit") {
			t.Errorf("name over the limit: %v, want InvalidArgument", err)
		}
		stream, err := cli.Watch(ctx, &healthpb.HealthCheckRequest{Service: strings.Repeat("x", 1025)})
		if err == nil {
			_, err = stream.Recv()
		}
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("Watch of a name over the limit: %v, want InvalidArgument", err)
		}
		err = conn.Invoke(ctx, "/grpc.health.v1.Health/Nope", &healthpb.HealthCheckRequest{}, &healthpb.HealthCheckResponse{})
		if status.Code(err) != codes.Unimplemented {
			t.Errorf("unknown method: %v, want Unimplemented", err)
		}

		raw := []struct {
			name   string
			frame  []byte
			status string // grpc-status
		}{
			// field 1 (service), bytes 0xff 0xfe: not UTF-8.
			{"invalid UTF-8 name", grpcFrame([]byte{0x0a, 0x02, 0xff, 0xfe}), "3"},
			// Length prefix says 100 bytes, 10 follow.
			{"truncated frame", append(grpcHeader(100), make([]byte, 10)...), "3"},
			{"garbage message", grpcFrame([]byte{0xff, 0xff, 0xff}), "3"},
			{"frame over the limit", grpcFrame(append([]byte{0x0a, 0xc8, 0x27}, bytes.Repeat([]byte("a"), 5000)...)), "8"},
			{"valid request", grpcFrame(nil), "0"},
		}
		for _, r := range raw {
			got := rawGRPC(t, s.Addr, "/grpc.health.v1.Health/Check", r.frame)
			if got != r.status {
				t.Errorf("%s: grpc-status %q, want %s", r.name, got, r.status)
			}
		}
		if resp, err := cli.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("after the bad requests: %v %v", resp, err)
		}
	})
}

func grpcHeader(n int) []byte {
	h := make([]byte, 5)
	binary.BigEndian.PutUint32(h[1:], uint32(n))
	return h
}

func grpcFrame(msg []byte) []byte { return append(grpcHeader(len(msg)), msg...) }

// rawGRPC posts body as a gRPC request over h2c and returns the grpc-status
// of the answer.
func rawGRPC(t *testing.T, addr, path string, body []byte) string {
	t.Helper()
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true) // h2c with prior knowledge
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("TE", "trailers")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("raw gRPC request: %v", err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if st := resp.Trailer.Get("Grpc-Status"); st != "" {
		return st
	}
	return resp.Header.Get("Grpc-Status")
}
