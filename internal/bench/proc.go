package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// controlTimeout bounds the wait for the answer to one control line. A mem
// command runs a full GC of a heap holding thousands of streams: seconds at
// most.
const controlTimeout = 30 * time.Second

// Server is a test server running as a child process. It is controlled by
// lines on its stdin (set NAME STATUS, mem, stop) and answers each with one
// line on file descriptor 3 (TESTAPP_ANSWERS=3). Its own output goes to a log
// file. Control methods are safe for concurrent use.
type Server struct {
	// Name labels the server in errors.
	Name string
	// Addr is 127.0.0.1:PORT.
	Addr string

	cmd      *exec.Cmd
	logPath  string
	stdin    io.WriteCloser
	ansFile  *os.File
	answers  *bufio.Reader
	exited   chan struct{}
	exitErr  error
	ctlMu    sync.Mutex
	closeAns sync.Once
}

// StartServer starts bin with "-port PORT" (a free loopback port) followed by
// args, and env added to this process's environment. The server's output
// goes to logPath.
func StartServer(name, bin, logPath string, env []string, args ...string) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	s := &Server{
		Name:    name,
		Addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		logPath: logPath,
		exited:  make(chan struct{}),
	}
	s.cmd = exec.Command(bin, append([]string{"-port", strconv.Itoa(port)}, args...)...)
	s.cmd.Env = append(append(os.Environ(), "TESTAPP_ANSWERS=3"), env...)
	s.cmd.Stdout = logFile
	s.cmd.Stderr = logFile
	s.cmd.SysProcAttr = sysProcAttr()
	ar, aw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.cmd.ExtraFiles = []*os.File{aw}
	s.ansFile = ar
	s.answers = bufio.NewReader(ar)
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		ar.Close()
		aw.Close()
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		ar.Close()
		aw.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	aw.Close()
	go func() {
		s.exitErr = s.cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// PID returns the process id of the server.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// CPUTime returns the CPU time (user and system) the server has used so far,
// in steps of 10ms, or 0 where it cannot be read.
func (s *Server) CPUTime() time.Duration { return cpuTime(s.PID()) }

// WaitServing waits until the server's health answers SERVING for service,
// for at most timeout.
func (s *Server) WaitServing(ctx context.Context, service string, timeout time.Duration) error {
	conn, err := grpc.NewClient(s.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	cli := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited early: %v\n%s", s.Name, s.exitErr, s.LogTail(3000))
		default:
		}
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := cli.Check(cctx, &healthpb.HealthCheckRequest{Service: service})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not serve %q within %v (last: %v, %v)\n%s", s.Name, service, timeout, resp.GetStatus(), err, s.LogTail(3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Control sends one control line and returns the answer without its "ok".
// An answer that does not start with "ok" is an error.
func (s *Server) Control(line string) (string, error) {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	if _, err := fmt.Fprintln(s.stdin, line); err != nil {
		return "", fmt.Errorf("%s: control %q: %w", s.Name, line, err)
	}
	if err := s.ansFile.SetReadDeadline(time.Now().Add(controlTimeout)); err != nil {
		return "", err
	}
	answer, err := s.answers.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("%s: control %q: %w", s.Name, line, err)
	}
	answer = strings.TrimSpace(answer)
	if answer != "ok" && !strings.HasPrefix(answer, "ok ") {
		return "", fmt.Errorf("%s: control %q: %s", s.Name, line, answer)
	}
	return strings.TrimPrefix(strings.TrimPrefix(answer, "ok"), " "), nil
}

// Set sets the status of name ("" for the whole server) in the server.
func (s *Server) Set(name, status string) error {
	if name == "" {
		name = "-"
	}
	_, err := s.Control("set " + name + " " + status)
	return err
}

// Mem is the answer to the mem command, and the resident set size read
// right after it.
type Mem struct {
	// HeapInuse is runtime.MemStats.HeapInuse after a GC, in bytes.
	HeapInuse uint64
	// Goroutines is runtime.NumGoroutine.
	Goroutines int
	// RSS is the resident set size of the process in bytes, 0 where it
	// cannot be read.
	RSS uint64
}

// Mem asks the server for its heap in use and goroutines. It asks twice and
// reports the second answer: the first GC only moves sync.Pool contents
// aside, the second frees them.
func (s *Server) Mem() (Mem, error) {
	if _, err := s.Control("mem"); err != nil {
		return Mem{}, err
	}
	answer, err := s.Control("mem")
	if err != nil {
		return Mem{}, err
	}
	var m Mem
	if _, err := fmt.Sscan(answer, &m.HeapInuse, &m.Goroutines); err != nil {
		return Mem{}, fmt.Errorf("%s: mem answer %q: %w", s.Name, answer, err)
	}
	m.RSS = residentBytes(s.PID())
	return m, nil
}

// Stop asks the server to stop and waits up to timeout for it to exit; then
// it kills it.
func (s *Server) Stop(timeout time.Duration) error {
	select {
	case <-s.exited:
		s.closeAnswers()
		return nil
	default:
	}
	_, err := s.Control("stop")
	select {
	case <-s.exited:
	case <-time.After(timeout):
		s.Kill()
		if err == nil {
			err = fmt.Errorf("%s did not exit within %v of stop: killed", s.Name, timeout)
		}
	}
	s.closeAnswers()
	return err
}

// Kill kills the server, if it still runs, and waits for it to exit.
func (s *Server) Kill() {
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.closeAnswers()
}

func (s *Server) closeAnswers() { s.closeAns.Do(func() { s.ansFile.Close() }) }

// LogTail returns the last n bytes of the server's output.
func (s *Server) LogTail(n int64) string {
	f, err := os.Open(s.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(st.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
//
// Ports come from below the kernel's ephemeral range, each handed out once:
// dubbo-go servers take random ephemeral ports for their metadata service,
// and could take a port between FreePort and the server binding it.
func FreePort() (int, error) {
	for {
		p := int(nextPort.Add(1))
		if p >= 32768 {
			return 0, errors.New("no free port below the ephemeral range")
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		l.Close()
		return p, nil
	}
}

// nextPort is the last port FreePort considered.
var nextPort = func() *atomic.Int32 {
	var n atomic.Int32
	n.Store(int32(20000 + os.Getpid()%40*250))
	return &n
}()
