package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/dubbo-health/health/internal/testservice/greet"
)

// cpu returns the CPU time the server process has used so far (user and
// system), from /proc.
func (s *server) cpu() time.Duration {
	s.t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		s.t.Fatal(err)
	}
	// Fields after the command name, which is in parentheses: state is
	// the first, utime the 12th, stime the 13th.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// checkOK fails unless a Check of "" on a new connection answers SERVING
// within a few seconds, and returns how long it took.
func checkOK(t *testing.T, addr, while string) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close() // at once: the server's goroutines are counted
	start := time.Now()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("a Check %s: %v %v", while, resp, err)
	}
	return time.Since(start)
}

// TestRequestLimitOverUserConfig: the health service's 4 KiB request limit
// holds on a port whose program raised Triple's receive limit
// (triple.max-server-recv-msg-size, 8 MiB here), while the business
// services keep the program's limit.
func TestRequestLimitOverUserConfig(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, []byte(`{"service":"`+strings.Repeat("a", 10000)+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin, "-max-recv", "8mib")
		body, code := curlStatus(t, "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@"+big, "http://"+s.Addr+"/grpc.health.v1.Health/Check")
		if code != "429" || !strings.Contains(body, "larger than configured max 4096") {
			t.Errorf("a 10 KB JSON Check: HTTP %s %s, want 429 over the limit of 4096", code, body)
		}
		frame := grpcFrame(append([]byte{0x0a, 0x90, 0x4e}, bytes.Repeat([]byte("a"), 10000)...))
		if got := rawGRPC(t, s.Addr, "/grpc.health.v1.Health/Check", frame); got != "8" {
			t.Errorf("a 10 KB gRPC Check: grpc-status %s, want 8 (ResourceExhausted)", got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var resp greet.GreetResponse
		if err := dial(t, s.Addr).Invoke(ctx, "/greet.GreetService/Greet", &greet.GreetRequest{Name: strings.Repeat("a", 1<<20)}, &resp); err != nil {
			t.Errorf("a 1 MiB Greet under the program's 8 MiB limit: %v", err)
		}
	})
}

// TestOversizedBodies measures what dubbo-go v3.3.2's Triple transport does
// with bodies over the limit before any code of this module runs (bounded:
// about 2 s and a few GB over loopback): it reads them to the end, and an
// endless one for ever. The server keeps answering other clients. The
// figures are logged for the README; the test fails if the transport
// starts to stop reading, so that the README is brought up to date.
func TestOversizedBodies(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)

		// An endless chunked JSON Check, for 2 seconds.
		cpu0 := s.cpu()
		done := make(chan time.Duration, 1)
		sent, answered, elapsed := endlessChunked(t, s.Addr, 2*time.Second, func() {
			go func() { done <- checkOK(t, s.Addr, "while another client sends an endless body") }()
		})
		during := <-done
		cpu := s.cpu() - cpu0
		t.Logf("endless chunked JSON body: %d MB sent in %v, answered: %v; server CPU %v; a Check meanwhile took %v",
			sent>>20, elapsed.Round(time.Millisecond), answered, cpu.Round(10*time.Millisecond), during.Round(time.Millisecond))
		if answered {
			t.Error("the server answered an endless body before it ended: dubbo-go now stops reading; update the README's reliability section")
		}

		// A 10 MiB JSON body with its Content-Length.
		cpu0 = s.cpu()
		code, before, took := declaredBody(t, s.Addr, 10<<20)
		cpu = s.cpu() - cpu0
		t.Logf("10 MiB Content-Length JSON body: HTTP %d after %v, %d of %d bytes sent before the answer; server CPU %v",
			code, took.Round(time.Millisecond), before, 10<<20, cpu.Round(10*time.Millisecond))
		if code != http.StatusTooManyRequests {
			t.Errorf("10 MiB JSON body: HTTP %d, want 429", code)
		}
		if before < 10<<20 {
			t.Errorf("the answer came before the whole body was sent: dubbo-go now refuses by length; update the README")
		}

		// A 5 MiB gRPC message, and a 5 KB one for comparison.
		small, smallRead := timedGRPC(t, s.Addr, 5000)
		bigTook, bigRead := timedGRPC(t, s.Addr, 5<<20)
		t.Logf("gRPC message over the limit: 5 KB answered in %v (%d bytes read), 5 MiB in %v (%d bytes read)",
			small.Round(time.Millisecond), smallRead, bigTook.Round(time.Millisecond), bigRead)
		checkOK(t, s.Addr, "after the oversized bodies")
	})
}

// endlessChunked sends a JSON Check whose chunked body never ends, for d,
// calls midway once 64 MiB are sent, and returns the bytes sent and whether
// an answer came.
func endlessChunked(t *testing.T, addr string, d time.Duration, midway func()) (sent int64, answered bool, elapsed time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Bool
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		b := make([]byte, 1)
		if n, _ := conn.Read(b); n > 0 {
			got.Store(true)
		}
	}()
	defer func() { conn.Close(); <-readDone }()
	const size = 64 << 10
	chunk := fmt.Sprintf("%x\r\n%s\r\n", size, strings.Repeat("a", size))
	start := time.Now()
	if _, err := fmt.Fprintf(conn, "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n{\"service\":\"\r\n", addr, len(`{"service":"`)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetWriteDeadline(start.Add(d))
	for time.Since(start) < d && !got.Load() {
		n, err := io.WriteString(conn, chunk)
		if sent < 64<<20 && sent+int64(n) >= 64<<20 {
			midway()
		}
		sent += int64(n)
		if err != nil {
			break
		}
	}
	if sent < 64<<20 {
		midway()
	}
	return sent, got.Load(), time.Since(start)
}

// declaredBody posts a JSON Check with a body of n bytes and its
// Content-Length, and returns the HTTP status, the bytes sent before the
// answer came and the time to the answer.
func declaredBody(t *testing.T, addr string, n int) (code int, before int64, took time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	var sent atomic.Int64
	answer := make(chan int, 1)
	var answeredAt atomic.Int64
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answer <- 0
			return
		}
		answeredAt.Store(sent.Load())
		resp.Body.Close()
		answer <- resp.StatusCode
	}()
	start := time.Now()
	fmt.Fprintf(conn, "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, n)
	buf := bytes.Repeat([]byte("a"), 64<<10)
	for left := n; left > 0; {
		k := min(left, len(buf))
		w, err := conn.Write(buf[:k])
		sent.Add(int64(w))
		if err != nil {
			break
		}
		left -= w
	}
	code = <-answer
	return code, answeredAt.Load(), time.Since(start)
}

// timedGRPC sends a gRPC Check whose message is n bytes long over h2c and
// returns the time to the answer, which must be ResourceExhausted, and how
// much of the body the transport had sent by then.
func timedGRPC(t *testing.T, addr string, n int) (time.Duration, int64) {
	t.Helper()
	// Over the limit, the content is never parsed.
	body := &countingReader{r: bytes.NewReader(grpcFrame(bytes.Repeat([]byte("a"), n)))}
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/grpc.health.v1.Health/Check", body)
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("TE", "trailers")
	start := time.Now()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("gRPC Check of %d bytes: %v", n, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	took := time.Since(start)
	st := resp.Trailer.Get("Grpc-Status")
	if st == "" {
		st = resp.Header.Get("Grpc-Status")
	}
	if st != "8" {
		t.Errorf("gRPC Check of %d bytes: grpc-status %q, want 8 (ResourceExhausted)", n, st)
	}
	return took, body.n.Load()
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// slowAttack is one way to hold a connection of the Triple port: open
// sends the start of a request, trickle is sent every half second.
type slowAttack struct {
	name    string
	open    string
	trickle string
}

var slowAttacks = []slowAttack{
	{"slowloris (HTTP/1.1 headers, one line every 0.5s)", "GET /healthz HTTP/1.1\r\nHost: x\r\n", "X-A: b\r\n"},
	{"body shorter than its Content-Length", "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"service\":", ""},
	{"slow chunked body (1 byte every 0.5s)", "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n", "1\r\n \r\n"},
	{"h2c connection, preface and nothing more", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00", ""},
	{"idle HTTP/1.1 keep-alive after one request", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", ""},
}

// TestSlowClients measures connections held open by clients that send
// slowly or not at all (100 per kind, held 3 s): dubbo-go v3.3.2's Triple
// server sets no read-header, read or idle timeout, so it keeps every one
// of them, at some memory and goroutines each; other clients are still
// answered, and everything is freed when the attacker goes. The test fails
// if the server starts closing them, so that the README is brought up to
// date.
func TestSlowClients(t *testing.T) {
	const n = 100
	const hold = 3 * time.Second
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)
		checkOK(t, s.Addr, "before the attack") // warm up
		heap0, g0 := s.mem()
		for _, a := range slowAttacks {
			conns := make([]net.Conn, 0, n)
			for range n {
				c, err := net.Dial("tcp", s.Addr)
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
				if _, err := io.WriteString(c, a.open); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, 30*time.Second, "the server to take the connections", func() bool {
				_, g := s.mem()
				return g >= g0+n
			})
			heap1, g1 := s.mem()
			start := time.Now()
			tick := time.NewTicker(hold / 6)
			for time.Since(start) < hold {
				<-tick.C // the attacker's pace
				if a.trickle == "" {
					continue
				}
				for _, c := range conns {
					_, _ = io.WriteString(c, a.trickle)
				}
			}
			tick.Stop()
			probe := checkOK(t, s.Addr, "during the attack")
			var open atomic.Int64
			var wg sync.WaitGroup
			for _, c := range conns {
				wg.Go(func() {
					if stillOpen(c) {
						open.Add(1)
					}
				})
			}
			wg.Wait()
			for _, c := range conns {
				c.Close()
			}
			t.Logf("%s: %d of %d connections still open after %v; server per connection: %d goroutines, %.1f KB heap; a Check meanwhile took %v",
				a.name, open.Load(), n, hold, (g1-g0)/n, float64(heap1-heap0)/n/1024, probe.Round(time.Millisecond))
			if open.Load() < n*9/10 {
				t.Errorf("%s: the server closed %d of %d connections within %v: dubbo-go now has timeouts; update the README's reliability section", a.name, n-open.Load(), n, hold)
			}
			waitFor(t, 30*time.Second, "the server to free the connections", func() bool {
				_, g := s.mem()
				return g <= g0+5
			})
		}
	})
}

// stillOpen reports whether the server has kept c open: reading what it
// sent (an answer, HTTP/2 settings) ends in a timeout, not an end of file.
func stillOpen(c net.Conn) bool {
	buf := make([]byte, 4096)
	for {
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		_, err := c.Read(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// TestReadyzEchoCap: /readyz?service= with a 500 KB name is refused with 400
// and a short body that does not repeat the name.
func TestReadyzEchoCap(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)
		for _, name := range []string{strings.Repeat("a", 500_000), "%ff%fe" + strings.Repeat("b", 2000)} {
			resp, err := http.Get("http://" + s.Addr + "/readyz?service=" + name)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || len(body) > 256 || !strings.Contains(string(body), "invalid service name") {
				t.Errorf("GET /readyz?service=<%d bytes>: HTTP %d, %d bytes: %.200s; want 400 and at most 256 bytes", len(name), resp.StatusCode, len(body), body)
			}
		}
		http.DefaultClient.CloseIdleConnections()
	})
}

// TestUnaryCheckWithTwoMessages: a unary Check that carries two request
// messages is answered from the first (dubbo-go v3.3.2's transport reads
// one message and never looks for a second before the handler runs, nor
// passes the stream to it; grpc-go answers Internal). The test pins this
// behaviour, which the README documents, and fails if it changes.
func TestUnaryCheckWithTwoMessages(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		stream, err := dial(t, s.Addr).NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, "/grpc.health.v1.Health/Check")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"", "no.Such"} {
			if err := stream.SendMsg(&healthpb.HealthCheckRequest{Service: name}); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.CloseSend(); err != nil {
			t.Fatal(err)
		}
		var resp healthpb.HealthCheckResponse
		err = stream.RecvMsg(&resp)
		t.Logf("unary Check with two messages: %v, %v", resp.GetStatus(), status.Code(err))
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("a unary Check with two messages: %v %v; the README says it is answered from the first: update it", resp.GetStatus(), err)
		}
		if err := stream.RecvMsg(&resp); !errors.Is(err, io.EOF) && status.Code(err) != codes.OK {
			t.Logf("after the answer: %v", err)
		}
	})
}
