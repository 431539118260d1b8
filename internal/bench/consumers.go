package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/dubbo-health/health/internal/testapp/consumer/callline"
)

// ConsumersConfig is what RunConsumers needs: the programs (the test server,
// the test consumers with and without clienthealth, the embedded etcd), a
// directory for their logs and data, and the shape of the run.
type ConsumersConfig struct {
	Provider, Consumer, ConsumerPlain, Etcd string
	Dir                                     string
	// Blips is the number of NOT_SERVING/SERVING rounds, Shutdowns the
	// number of SIGTERM rounds (each with a fresh provider and fresh
	// consumers).
	Blips, Shutdowns int
	// Interval is the pause between two calls of a consumer: the
	// resolution of the figures.
	Interval time.Duration
	// Hold is how long a NOT_SERVING lasts.
	Hold time.Duration
}

// ConsumerKinds are the consumers RunConsumers measures: with and without
// clienthealth, interface-level and application-level discovery through
// etcd, failfast cluster.
var ConsumerKinds = []string{"clienthealth/interface", "clienthealth/application", "plain/interface", "plain/application"}

// ConsumerFigures is what one kind of consumer did, one value per round.
type ConsumerFigures struct {
	// Removal: from the set of NOT_SERVING to the last call the provider
	// answered (0: none after the set). Only for consumers that route
	// away.
	Removal []time.Duration
	// ShareDuring: the provider's share of the calls while it was
	// NOT_SERVING (0 for a consumer that routes away; about 1/2 with two
	// providers for one that does not).
	ShareDuring []float64
	// Recovery: from the set of SERVING to the first call the provider
	// answered after it.
	Recovery []time.Duration
	// ShutdownRemoval: from SIGTERM to the last call the provider answered.
	ShutdownRemoval []time.Duration
	// Calls and Failed count every call of every round; Errors are the
	// first distinct errors, with the phase they came in.
	Calls, Failed int
	Errors        []string `json:",omitempty"`
}

// addErrors counts the failed calls and keeps the first distinct errors.
func (f *ConsumerFigures) addErrors(phase string, calls []call) {
	for _, c := range calls {
		if c.err == "" {
			continue
		}
		f.Failed++
		e := phase + ": " + c.err
		if len(f.Errors) < 3 && !slices.Contains(f.Errors, e) {
			f.Errors = append(f.Errors, e)
		}
	}
}

// ConsumersResult is what RunConsumers measured.
type ConsumersResult struct {
	Interval time.Duration
	Hold     time.Duration
	// WatchNotServing, WatchServing: from the set to a grpc-go Watch
	// reading the status, the baseline of Removal and Recovery;
	// WatchShutdown: from SIGTERM to the Watch reading NOT_SERVING.
	WatchNotServing, WatchServing, WatchShutdown []time.Duration
	// ProviderExit: from SIGTERM to the provider's exit.
	ProviderExit []time.Duration
	Consumers    map[string]*ConsumerFigures
}

// RunConsumers measures how fast consumers of a registry take a provider
// out of load balancing and back: an etcd, providers A and B registered at
// interface and application level, and a consumer of each kind calling
// every Interval. In Blips rounds A turns NOT_SERVING for Hold, then
// SERVING; in Shutdowns rounds A is shut down with SIGTERM, each round on
// fresh processes (dubbo-go v3.3.2's application-level consumers with etcd
// never add a provider registered after they started).
func RunConsumers(ctx context.Context, c ConsumersConfig) (*ConsumersResult, error) {
	r := &ConsumersResult{Interval: c.Interval, Hold: c.Hold, Consumers: make(map[string]*ConsumerFigures)}
	for _, k := range ConsumerKinds {
		r.Consumers[k] = &ConsumerFigures{}
	}
	for round := range max(c.Shutdowns, 1) {
		if err := consumerRound(ctx, c, round, r); err != nil {
			return r, err
		}
	}
	return r, ctx.Err()
}

// consumerRound runs one round on fresh processes: an etcd (a stopped
// provider's interface-level registration stays in etcd after its exit,
// for its lease's TTL, and would be called by consumers of the next round),
// providers B and A, one consumer of each kind; the NOT_SERVING rounds in
// the first round; then A's SIGTERM.
func consumerRound(ctx context.Context, c ConsumersConfig, round int, r *ConsumersResult) error {
	dir := filepath.Join(c.Dir, strconv.Itoa(round))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	etcd, etcdAddr, err := startEtcd(ctx, c.Etcd, dir)
	if err != nil {
		return err
	}
	defer etcd.stop()
	reg := []string{"-registry", etcdAddr, "-registry-kind", "etcd"}
	startProvider := func(id string) (*Server, error) {
		args := append([]string{"-id", id, "-ip", "127.0.0.1", "-registry-type", "all", "-app", "bench-consumers", "-consumer-wait", "2s"}, reg...)
		s, err := StartServer(id, c.Provider, filepath.Join(dir, "provider-"+id+".log"), []string{"DUBBO_IP_TO_REGISTRY=127.0.0.1"}, args...)
		if err != nil {
			return nil, err
		}
		if err := s.WaitServing(ctx, "greet.GreetService", 60*time.Second); err != nil {
			s.Kill()
			return nil, err
		}
		return s, nil
	}
	b, err := startProvider("B")
	if err != nil {
		return err
	}
	defer b.Kill()
	a, err := startProvider("A")
	if err != nil {
		return err
	}
	defer a.Kill()
	consumers, err := startConsumers(c, reg, dir)
	if err != nil {
		return err
	}
	defer func() {
		for _, cs := range consumers {
			cs.stop()
		}
	}()
	for kind, cs := range consumers {
		if err := cs.waitIDs(ctx, time.Now(), 20, 60*time.Second, "A", "B"); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
	}
	w, err := watchStatus(ctx, a.Addr)
	if err != nil {
		return err
	}
	defer w.stop()
	if round == 0 {
		for range c.Blips {
			if err := blipRound(ctx, c, a, w, consumers, r); err != nil {
				return err
			}
		}
	}
	if round < c.Shutdowns {
		return shutdownRound(ctx, a, w, consumers, r)
	}
	return nil
}

// blipRound sets A NOT_SERVING for c.Hold, then SERVING, and records what
// each consumer did.
func blipRound(ctx context.Context, c ConsumersConfig, a *Server, w *statusWatch, consumers map[string]*callLog, r *ConsumersResult) error {
	start := time.Now()
	if err := a.Set("greet.GreetService", "NOT_SERVING"); err != nil {
		return err
	}
	read, err := w.await(ctx, healthpb.HealthCheckResponse_NOT_SERVING, start)
	if err != nil {
		return err
	}
	r.WatchNotServing = append(r.WatchNotServing, read.Sub(start))
	if err := sleepCtx(ctx, c.Hold); err != nil {
		return err
	}
	back := time.Now()
	if err := a.Set("greet.GreetService", "SERVING"); err != nil {
		return err
	}
	readBack, err := w.await(ctx, healthpb.HealthCheckResponse_SERVING, back)
	if err != nil {
		return err
	}
	r.WatchServing = append(r.WatchServing, readBack.Sub(back))
	for kind, cs := range consumers {
		if err := cs.waitIDs(ctx, back, 10, 30*time.Second, "A", "B"); err != nil {
			return fmt.Errorf("%s after SERVING: %w", kind, err)
		}
	}
	end := time.Now()
	for kind, cs := range consumers {
		f := r.Consumers[kind]
		all := cs.between(start, end)
		f.Calls += len(all)
		f.addErrors("NOT_SERVING", all)
		during := cs.between(start, back)
		nA := 0
		var lastA time.Time
		for _, cl := range during {
			if cl.id == "A" {
				nA++
				lastA = cl.at
			}
		}
		if len(during) > 0 {
			f.ShareDuring = append(f.ShareDuring, float64(nA)/float64(len(during)))
		}
		if strings.HasPrefix(kind, "clienthealth/") {
			f.Removal = append(f.Removal, max(0, lastA.Sub(start)))
		}
		for _, cl := range cs.between(back, end) {
			if cl.id == "A" {
				f.Recovery = append(f.Recovery, cl.at.Sub(back))
				break
			}
		}
	}
	return nil
}

// shutdownRound sends A SIGTERM and records when each consumer stopped
// calling it.
func shutdownRound(ctx context.Context, a *Server, w *statusWatch, consumers map[string]*callLog, r *ConsumersResult) error {
	start := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	read, err := w.await(ctx, healthpb.HealthCheckResponse_NOT_SERVING, start)
	if err != nil {
		return err
	}
	r.WatchShutdown = append(r.WatchShutdown, read.Sub(start))
	select {
	case <-a.exited:
	case <-time.After(30 * time.Second):
		return errors.New("provider A did not exit within 30s of SIGTERM")
	case <-ctx.Done():
		return ctx.Err()
	}
	exited := time.Now()
	r.ProviderExit = append(r.ProviderExit, exited.Sub(start))
	for kind, cs := range consumers {
		if err := cs.waitIDs(ctx, exited, 20, 30*time.Second, "B"); err != nil {
			return fmt.Errorf("%s after SIGTERM: %w", kind, err)
		}
	}
	end := time.Now()
	for kind, cs := range consumers {
		f := r.Consumers[kind]
		all := cs.between(start, end)
		f.Calls += len(all)
		f.addErrors("SIGTERM", all)
		var lastA time.Time
		for _, cl := range all {
			if cl.id == "A" {
				lastA = cl.at
			}
		}
		f.ShutdownRemoval = append(f.ShutdownRemoval, max(0, lastA.Sub(start)))
	}
	return nil
}

// startConsumers starts one test consumer of each kind.
func startConsumers(c ConsumersConfig, reg []string, dir string) (map[string]*callLog, error) {
	out := make(map[string]*callLog)
	for _, kind := range ConsumerKinds {
		bin := c.ConsumerPlain
		if strings.HasPrefix(kind, "clienthealth/") {
			bin = c.Consumer
		}
		_, discovery, _ := strings.Cut(kind, "/")
		args := append([]string{"-discovery", discovery, "-cluster", "failfast", "-interval", c.Interval.String()}, reg...)
		logPath := filepath.Join(dir, "consumer-"+strings.ReplaceAll(kind, "/", "-")+".log")
		cs, err := startCallLog(bin, logPath, args...)
		if err != nil {
			for _, o := range out {
				o.stop()
			}
			return nil, err
		}
		out[kind] = cs
	}
	return out, nil
}

// call is one call a consumer reported.
type call struct {
	at  time.Time
	id  string // the server that answered, "" on error
	err string // the error, "" on success
}

// callLog is a test consumer (internal/testapp/consumer) running as a
// child process, with the calls it reported.
type callLog struct {
	cmd  *exec.Cmd
	done chan struct{}

	mu    sync.Mutex
	calls []call
}

func startCallLog(bin, logPath string, args ...string) (*callLog, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	c := &callLog{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	c.cmd.Stderr = logFile
	c.cmd.SysProcAttr = sysProcAttr()
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() {
		defer close(c.done)
		defer logFile.Close()
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line, now := sc.Text(), time.Now()
			if cl, ok := callline.Parse(line); ok {
				c.add(call{at: now, id: cl.ID, err: cl.Err})
			}
		}
		_ = c.cmd.Wait()
	}()
	return c, nil
}

func (c *callLog) add(cl call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, cl)
}

// between returns the calls reported in [from, to).
func (c *callLog) between(from, to time.Time) []call {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []call
	for _, cl := range c.calls {
		if !cl.at.Before(from) && cl.at.Before(to) {
			out = append(out, cl)
		}
	}
	return out
}

// waitIDs waits until each of ids answered n calls reported after from.
func (c *callLog) waitIDs(ctx context.Context, from time.Time, n int, timeout time.Duration, ids ...string) error {
	deadline := time.Now().Add(timeout)
	for {
		got := make(map[string]int)
		for _, cl := range c.between(from, time.Now().Add(time.Hour)) {
			got[cl.id]++
		}
		ok := true
		for _, id := range ids {
			ok = ok && got[id] >= n
		}
		switch {
		case ok:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("no %d calls answered by each of %v within %v (got %v)", n, ids, timeout, got)
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}

func (c *callLog) stop() {
	_ = c.cmd.Process.Kill()
	<-c.done
}

// statusWatch is a grpc-go Watch of greet.GreetService that records when
// each status arrived.
type statusWatch struct {
	conn   *grpc.ClientConn
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	msgs []statusAt
}

type statusAt struct {
	at     time.Time
	status healthpb.HealthCheckResponse_ServingStatus
}

func watchStatus(ctx context.Context, addr string) (*statusWatch, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	stream, err := healthpb.NewHealthClient(conn).Watch(wctx, &healthpb.HealthCheckRequest{Service: "greet.GreetService"})
	if err != nil {
		cancel()
		conn.Close()
		return nil, err
	}
	w := &statusWatch{conn: conn, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			resp, err := stream.Recv()
			if err != nil {
				return
			}
			w.mu.Lock()
			w.msgs = append(w.msgs, statusAt{time.Now(), resp.GetStatus()})
			w.mu.Unlock()
		}
	}()
	return w, nil
}

// await waits up to 30s for status to arrive at or after from.
func (w *statusWatch) await(ctx context.Context, status healthpb.HealthCheckResponse_ServingStatus, from time.Time) (time.Time, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		w.mu.Lock()
		for _, m := range w.msgs {
			if !m.at.Before(from) && m.status == status {
				w.mu.Unlock()
				return m.at, nil
			}
		}
		w.mu.Unlock()
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("the grpc-go Watch did not read %s within 30s", status)
		}
		if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
			return time.Time{}, err
		}
	}
}

func (w *statusWatch) stop() {
	w.cancel()
	<-w.done
	w.conn.Close()
}

// etcdProcess is the embedded etcd of internal/e2e/etcd as a child process.
type etcdProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startEtcd(ctx context.Context, bin, dir string) (*etcdProcess, string, error) {
	client, err := FreePort()
	if err != nil {
		return nil, "", err
	}
	peer, err := FreePort()
	if err != nil {
		return nil, "", err
	}
	logFile, err := os.Create(filepath.Join(dir, "etcd.log"))
	if err != nil {
		return nil, "", err
	}
	defer logFile.Close()
	e := &etcdProcess{done: make(chan struct{})}
	e.cmd = exec.Command(bin, "-client-port", strconv.Itoa(client), "-peer-port", strconv.Itoa(peer), "-data-dir", filepath.Join(dir, "etcd-data"))
	e.cmd.Stdout, e.cmd.Stderr = logFile, logFile
	e.cmd.SysProcAttr = sysProcAttr()
	if err := e.cmd.Start(); err != nil {
		return nil, "", err
	}
	go func() { _ = e.cmd.Wait(); close(e.done) }()
	addr := "127.0.0.1:" + strconv.Itoa(client)
	deadline := time.Now().Add(30 * time.Second)
	for !etcdAnswers(addr) {
		select {
		case <-e.done:
			return nil, "", errors.New("etcd exited at start")
		default:
		}
		if time.Now().After(deadline) {
			e.stop()
			return nil, "", errors.New("etcd did not answer within 30s")
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			e.stop()
			return nil, "", err
		}
	}
	return e, addr, nil
}

// etcdAnswers reports whether etcd's JSON gateway answers a range request.
func etcdAnswers(addr string) bool {
	body, _ := json.Marshal(map[string]string{"key": base64.StdEncoding.EncodeToString([]byte("/"))})
	resp, err := http.Post("http://"+addr+"/v3/kv/range", "application/json", bytes.NewReader(body))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (e *etcdProcess) stop() {
	select {
	case <-e.done:
	default:
		_ = e.cmd.Process.Kill()
		<-e.done
	}
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
