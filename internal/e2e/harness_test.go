package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// bins are the programs TestMain builds: the two test servers, the Triple
// test client, the go-client sample, the test consumers with and without
// client-side health checking, and the embedded etcd.
var bins struct {
	plain, imports, tclient, goClient string
	tconsumer, tconsumerPlain         string
	etcd                              string
}

// variant is one way to link a server: with or without dubbo-go's imports.
type variant struct {
	name string
	bin  *string
}

var variants = []variant{
	{name: "plain", bin: &bins.plain},
	{name: "imports", bin: &bins.imports},
}

// pinnedTools are the command-line tools of tools/go.mod that the tests run
// by name; setUp puts them on PATH.
var pinnedTools = []string{"grpc-health-probe", "grpcurl"}

// setUp builds every program into dir and links the pinned tools into
// dir/bin, which it puts first on PATH, all at once: the test programs in
// one go build (-race when the tests have it), the samples that TestReadme
// runs with go run, the embedded etcd (its own module, internal/e2e/etcd,
// without -race: it is not under test) and the tools, which go tool builds
// from tools/go.mod. Nothing comes from the system but go and curl.
func setUp(dir string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	targets := []struct {
		out *string
		pkg string
	}{
		{&bins.plain, "./internal/testapp/cmd/plain"},
		{&bins.imports, "./internal/testapp/cmd/imports"},
		{&bins.tclient, "./internal/testapp/cmd/tclient"},
		{&bins.goClient, "./samples/go-client"},
		{&bins.tconsumer, "./internal/testapp/cmd/tconsumer"},
		{&bins.tconsumerPlain, "./internal/testapp/cmd/tconsumer-plain"},
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	if raceEnabled {
		args = append(args, "-race")
	}
	for _, t := range targets {
		*t.out = filepath.Join(dir, filepath.Base(t.pkg))
		args = append(args, t.pkg)
	}
	bins.etcd = filepath.Join(dir, "etcd")
	toolDir := filepath.Join(dir, "bin")
	if err := os.Mkdir(toolDir, 0o755); err != nil {
		return err
	}

	jobs := []func() error{
		func() error { _, err := goCommand(root, args...); return err },
		// TestReadme runs the README's go run commands: compile them now
		// (without -race, as go run does), or a cold build cache spends the
		// test's wait for the server on the compiler.
		func() error {
			_, err := goCommand(root, "build", "./samples/go-server", "./samples/go-client", "./samples/grpc-client")
			return err
		},
		func() error {
			_, err := goCommand(filepath.Join(root, "internal", "e2e", "etcd"), "build", "-o", bins.etcd, ".")
			return err
		},
	}
	for _, name := range pinnedTools {
		jobs = append(jobs, func() error {
			out, err := goCommand(filepath.Join(root, "tools"), "tool", "-n", name)
			if err != nil {
				return err
			}
			return os.Symlink(strings.TrimSpace(out), filepath.Join(toolDir, name))
		})
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() { errs[i] = job() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return os.Setenv("PATH", toolDir+string(filepath.ListSeparator)+os.Getenv("PATH"))
}

// goCommand runs go with args in dir and returns its standard output.
func goCommand(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return string(out), nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// forEachVariant runs f as a parallel subtest per variant.
func forEachVariant(t *testing.T, f func(t *testing.T, bin string)) {
	t.Helper()
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			f(t, *v.bin)
		})
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
//
// Ports come from below the kernel's ephemeral range (32768 and up on
// Linux), each handed out once per test process: dubbo-go servers also take
// random ports from the ephemeral range for services on other protocols (its
// metadata service), and a port the kernel gave out and got back could go to
// one of them in the moment between freePort and the test server binding it.
func freePort(t *testing.T) int {
	t.Helper()
	for {
		p := int(nextPort.Add(1))
		if p >= 32768 {
			t.Fatal("freePort: out of ports below the ephemeral range")
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue // in use by something else
		}
		l.Close()
		return p
	}
}

// nextPort is the last port freePort considered. It starts at a place that
// depends on the process, so that two test processes rarely share ports.
var nextPort = func() *atomic.Int32 {
	var n atomic.Int32
	n.Store(int32(20000 + os.Getpid()%40*250))
	return &n
}()

// server is a test server running as a child process.
type server struct {
	t       *testing.T
	cmd     *exec.Cmd
	Port    int
	Addr    string // 127.0.0.1:PORT
	stdin   io.WriteCloser
	answers *bufio.Reader
	logs    *syncBuffer
	exited  chan struct{}
	exitErr error
	ctlMu   sync.Mutex
}

// startServer starts bin with args and a free -port unless args set one, and
// waits until its health says the whole server is SERVING.
func startServer(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	s := launchServer(t, bin, args...)
	s.waitServing("")
	return s
}

// launchServer starts bin without waiting for it to serve.
func launchServer(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	return launchServerEnv(t, bin, nil, args...)
}

// launchServerEnv is launchServer with extra environment variables (KEY=VALUE).
func launchServerEnv(t *testing.T, bin string, env []string, args ...string) *server {
	t.Helper()
	port := 0
	for i, a := range args {
		if a == "-port" && i+1 < len(args) {
			port, _ = strconv.Atoi(args[i+1])
		}
	}
	if port == 0 {
		port = freePort(t)
		args = append([]string{"-port", strconv.Itoa(port)}, args...)
	}
	s := &server{t: t, Port: port, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), logs: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = append(append(os.Environ(), "TESTAPP_ANSWERS=3"), env...)
	s.cmd.Stdout = s.logs
	s.cmd.Stderr = s.logs
	ar, aw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.ExtraFiles = []*os.File{aw}
	s.answers = bufio.NewReader(ar)
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	aw.Close()
	go func() {
		s.exitErr = s.cmd.Wait()
		ar.Close()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("server %s log (last 6000 bytes):\n%s", s.Addr, s.logs.tail(6000))
		}
	})
	return s
}

// waitServing waits until Check(service) answers SERVING.
func (s *server) waitServing(service string) {
	s.t.Helper()
	conn := dial(s.t, s.Addr)
	cli := healthpb.NewHealthClient(conn)
	waitFor(s.t, 60*time.Second, fmt.Sprintf("server %s to serve %q", s.Addr, service), func() bool {
		select {
		case <-s.exited:
			s.t.Fatalf("server exited early: %v\n%s", s.exitErr, s.logs.tail(4000))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		resp, err := cli.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		return err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
}

// set sets the status of name in the server process through its control
// channel.
func (s *server) set(name, status string) {
	s.t.Helper()
	if name == "" {
		name = "-"
	}
	s.control("set " + name + " " + status)
}

func (s *server) control(line string) string {
	s.t.Helper()
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	if _, err := fmt.Fprintln(s.stdin, line); err != nil {
		s.t.Fatalf("control %q: %v", line, err)
	}
	answer, err := s.answers.ReadString('\n')
	if err != nil {
		s.t.Fatalf("control %q: %v", line, err)
	}
	answer = strings.TrimSpace(answer)
	if answer != "ok" && !strings.HasPrefix(answer, "ok ") {
		s.t.Fatalf("control %q: %s", line, answer)
	}
	return strings.TrimPrefix(strings.TrimPrefix(answer, "ok"), " ")
}

// signal sends sig to the server process.
func (s *server) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
}

// waitExit waits up to timeout for the process to exit and returns its exit
// code.
func (s *server) waitExit(timeout time.Duration) int {
	s.t.Helper()
	select {
	case <-s.exited:
	case <-time.After(timeout):
		s.t.Fatalf("server %s did not exit within %v", s.Addr, timeout)
	}
	var ee *exec.ExitError
	if !errors.As(s.exitErr, &ee) {
		return 0
	}
	code := ee.ExitCode()
	if code == raceExitCode && s.racesOutsideModuleOnly() {
		return 0
	}
	return code
}

// raceExitCode is the exit code of a race-built program that reported a
// data race.
const raceExitCode = 66

// racesOutsideModuleOnly reports whether the server's log has data race
// reports and none of them involves this module's code; it logs each one.
// dubbo-go v3.3.2 and dubbo-getty race now and then in their own code, with
// or without this module: such a report is logged, while one that involves
// this module fails the test. A report names this module's code when one of
// its stacks has a frame of ours, but for the known upstream races of
// upstreamRaces: this module's protocol wrapper is on the stack of dubbo-go's
// shutdown, whichever code races.
func (s *server) racesOutsideModuleOnly() bool {
	reports := strings.Split(s.logs.String(), "WARNING: DATA RACE")[1:]
	for _, r := range reports {
		if i := strings.Index(r, "=================="); i > 0 {
			r = r[:i]
		}
		tops := raceTops(r)
		known := upstreamRace(tops)
		if known == "" && strings.Contains(r, "github.com/dubbo-health/health") {
			s.t.Errorf("server %s: data race:\n%s", s.Addr, r)
			return false
		}
		if known == "" {
			known = "outside this module"
		}
		s.t.Logf("server %s: a data race %s: %s", s.Addr, known, strings.Join(tops, " and "))
	}
	return len(reports) > 0
}

// raceTops returns the functions where the accesses of a race report
// happened: for each access section ("Write at 0x... by goroutine 45:",
// "Previous read at ..."), its first frame outside Go's standard library
// (an access made by sync/atomic or net/http is the caller's).
func raceTops(report string) []string {
	var tops []string
	inAccess := false
	for _, l := range strings.Split(report, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.Contains(l, " at 0x") && strings.HasSuffix(l, ":"):
			inAccess = true // "Read at 0x... by goroutine 7:", "Previous atomic write at ..."
		case l == "":
			inAccess = false
		case inAccess && !strings.HasPrefix(l, "/") && !strings.HasPrefix(l, "<") && !stdlibFrame(l):
			tops = append(tops, l)
			inAccess = false
		}
	}
	return tops
}

// stdlibFrame reports whether the stack frame fn
// ("net/http.(*Server).Shutdown()") is a function of Go's standard library,
// whose package paths have no dot in their first element.
func stdlibFrame(fn string) bool {
	if first, _, ok := strings.Cut(fn, "/"); ok {
		return !strings.Contains(first, ".")
	}
	pkg, _, _ := strings.Cut(fn, ".") // "runtime", "sync"; "main" is a program's
	return pkg != "main"
}

// upstreamRaces are the data races dubbo-go v3.3.2 has in its own code that
// this module's code is on the stack of: for each, the functions of its two
// accesses, and why it is not this module's.
var upstreamRaces = []struct {
	a, b string
	why  string
}{{
	// triple_protocol/server.go:200 assigns the http.Server in the
	// goroutine Run starts; GracefulStop (:326) reads it without a lock.
	// A shutdown soon after the start races with it; this module's
	// Destroy is only the caller dubbo-go's shutdown goes through.
	a:   "triple_protocol.(*Server).GracefulStop",
	b:   "triple_protocol.(*Server).startHttp2",
	why: "of dubbo-go's own (Triple server start and GracefulStop)",
}}

// upstreamRace returns why the race whose accesses happened in tops is a
// known upstream one, or "".
func upstreamRace(tops []string) string {
	if len(tops) != 2 {
		return ""
	}
	for _, k := range upstreamRaces {
		if (strings.Contains(tops[0], k.a) && strings.Contains(tops[1], k.b)) ||
			(strings.Contains(tops[0], k.b) && strings.Contains(tops[1], k.a)) {
			return k.why
		}
	}
	return ""
}

// dial returns a grpc-go connection to addr, closed when the test ends.
func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tool runs a command line tool with a timeout and returns its combined
// output and exit code. A tool that is not found fails the test: the pinned
// Go tools are set up by TestMain, curl comes with the system.
func tool(t *testing.T, timeout time.Duration, name string, args ...string) (string, int) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not on PATH: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish within %v:\n%s", name, args, timeout, out)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out), 0
}

// programLines runs one of the built programs and returns the lines of its
// stdout that are not dubbo-go log lines.
func programLines(t *testing.T, timeout time.Duration, bin string, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish within %v:\n%s\n%s", bin, args, timeout, out, stderr.String())
	}
	if err != nil {
		t.Fatalf("%s %v: %v\n%s\n%s", bin, args, err, out, stderr.String())
	}
	return resultLines(string(out))
}

// resultLines drops dubbo-go's log lines (they start with a timestamp) and
// empty lines.
func resultLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || isLogLine(l) {
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

func isLogLine(l string) bool {
	return len(l) > 4 && l[0] >= '0' && l[0] <= '9' && l[4] == '-'
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) tail(n int) string {
	s := b.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
