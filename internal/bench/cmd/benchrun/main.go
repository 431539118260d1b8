// Command benchrun is make bench: it measures this module's health service
// against dubbo-go v3.3.2's built-in one and grpc-go's, in one run, on
// 127.0.0.1 only, and writes a table of medians and ratios.
//
//	go run ./internal/bench/cmd/benchrun [-out bench] [-runs 5] [-dur 3s] ...
//
// It builds the servers, starts them as child processes on free loopback
// ports, and measures, each load bounded in time:
//
//  1. gRPC unary throughput, latency and server CPU time per request
//     (grpc-go client, 50 callers over 4 connections) of a) this module's
//     Check on a dubbo-go server, b) dubbo-go's built-in Check (imports,
//     DUBBO_HEALTH_AUTOREGISTER=false), c) the no-op Triple method Greet on
//     a)'s server, d) grpc-go's health.Server Check on a grpc-go server, and
//     for context e) a no-op Greet on d)'s server and f) on b)'s: they
//     separate the health handlers from the servers around them;
//  2. HTTP/1.1 POST JSON Check throughput with wrk, or where wrk is not
//     installed a Go load generator (the report names the one used), a) and b);
//  3. Watch fan-out on fresh a) and d) servers: 10,000 open streams over 50
//     connections, status flips, the time until every watcher has each, and
//     the server's heap, RSS and goroutines per open stream (the memory of b)
//     too); and the memory of open Watch calls of the two handlers alone, each
//     measured in a fresh benchrun process (-measure-handler, internal);
//  4. the in-process benchmarks of ./healthserver, next to grpc-go's;
//  5. consumers of a registry (an embedded etcd, providers at interface and
//     application level, the test consumers with clienthealth and without):
//     how long after NOT_SERVING a provider leaves their load balancing,
//     how long after SERVING it is back, how long after SIGTERM they stop
//     calling it, next to the time a grpc-go Watch takes to read the same
//     change.
//
// Targets are interleaved round-robin and each load is repeated (-runs), so
// that a noisy machine spreads its noise over all of them; the table reports
// medians and ratios of medians, and the server's CPU time per request, which
// a busy machine disturbs less than throughput. Results go to
// OUT/results.txt (the table), OUT/results.json (every run's numbers) and
// OUT/healthserver.txt (go test's output).
//
// With -profile DIR the servers also write a CPU profile per phase
// (DIR/SERVER-PHASE.cpu.pprof) and heap profiles (DIR/SERVER-PHASE.heap.pprof,
// allocations since the start; the fan-out keeps the one taken while every
// stream is open as DIR/SERVER-watch-open.heap.pprof). -only and -targets
// pick the phases and unary targets, to profile one thing at a time:
//
//	go run ./internal/bench/cmd/benchrun -out /tmp/b -only unary -targets a -runs 1 -dur 10s -profile /tmp/prof
//	go tool pprof -top /tmp/prof/plain-load.cpu.pprof
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"github.com/dubbo-health/health/internal/bench"
)

// settings are the flags of a run.
type settings struct {
	Out             string
	Runs            int
	Dur             time.Duration
	Warmup          time.Duration
	Callers, Conns  int
	Service         string
	WRKThreads      int
	WRKConns        int
	Watchers        int
	WatchConns      int
	WatchRounds     int
	Flips           int
	InprocCount     int
	InprocBenchtime string
	Only            string
	Targets         string
	Profile         string
	Timeout         time.Duration
	// Consumer phase: NOT_SERVING rounds, SIGTERM rounds, the pause between
	// two calls of a consumer, how long a NOT_SERVING lasts.
	ConsumerBlips     int
	ConsumerShutdowns int
	ConsumerInterval  time.Duration
	ConsumerHold      time.Duration
}

// results is everything a run measured; results.json holds it.
type results struct {
	Started  time.Time
	Elapsed  time.Duration
	Machine  machine
	Settings settings
	Unary    map[string][]bench.UnaryResult `json:",omitempty"`
	HTTP     map[string][]bench.HTTPResult  `json:",omitempty"`
	// HTTPGenerator says what made the HTTP load: wrk, or the Go load
	// generator where wrk is not installed.
	HTTPGenerator string                          `json:",omitempty"`
	Fanout        map[string][]bench.FanoutResult `json:",omitempty"`
	GoBench       map[string]*bench.GoBench       `json:",omitempty"`
	// HandlerMem is the memory of open Watch calls of the handlers alone,
	// without a transport, and their delivery of a status change.
	HandlerMem *struct{ Ours, GRPCGo bench.HandlerWatch } `json:",omitempty"`
	// Consumers is what registry consumers did through NOT_SERVING and
	// SIGTERM.
	Consumers *bench.ConsumersResult `json:",omitempty"`
	// LoadAvg is the 1-minute load average of the machine at the start
	// and the end of each phase: other work on it makes the numbers noisy.
	LoadAvg map[string][2]float64
	Errors  []string `json:",omitempty"`
	Notes   []string `json:",omitempty"`
}

type machine struct {
	GOOS, GOARCH, CPU, Go string
	CPUs                  int
}

// target is one thing a unary load calls.
type target struct {
	key, label string
	server     string // key in servers
	call       bench.UnaryCall
}

// The servers a run starts.
const (
	srvPlain   = "plain"   // a), c): this module on dubbo-go, no imports
	srvImports = "imports" // b), f): dubbo-go's imports and its built-in health
	srvGRPC    = "grpc"    // d), e): grpc-go
)

func main() {
	// The in-process handlers log each status change through gost.
	logger.SetLogger(nopLogger{})
	var s settings
	flag.StringVar(&s.Out, "out", "bench", "directory for results.txt, results.json and healthserver.txt")
	flag.IntVar(&s.Runs, "runs", 5, "runs of each load per target")
	flag.DurationVar(&s.Dur, "dur", 3*time.Second, "duration of each load run")
	flag.DurationVar(&s.Warmup, "warmup", time.Second, "warm-up load per target before the runs")
	flag.IntVar(&s.Callers, "callers", 50, "concurrent gRPC callers")
	flag.IntVar(&s.Conns, "conns", 4, "gRPC client connections of the unary load")
	flag.StringVar(&s.Service, "service", "greet.GreetService", "service name checked and watched")
	flag.IntVar(&s.WRKThreads, "wrk-threads", 2, "wrk threads")
	flag.IntVar(&s.WRKConns, "wrk-conns", 50, "wrk connections")
	flag.IntVar(&s.Watchers, "watchers", 10000, "open Watch streams in the fan-out")
	flag.IntVar(&s.WatchConns, "watch-conns", 50, "client connections of the fan-out (Go's HTTP/2 server allows 250 streams on each)")
	flag.IntVar(&s.WatchRounds, "watch-rounds", 3, "fan-out runs per target")
	flag.IntVar(&s.Flips, "flips", 4, "status flips timed per fan-out run")
	flag.IntVar(&s.InprocCount, "inproc-count", 5, "go test -count of the in-process benchmarks")
	flag.StringVar(&s.InprocBenchtime, "inproc-benchtime", "500ms", "go test -benchtime of the in-process benchmarks")
	flag.StringVar(&s.Only, "only", "inproc,unary,http,watch,consumers", "phases to run")
	flag.IntVar(&s.ConsumerBlips, "consumer-blips", 10, "NOT_SERVING rounds of the consumer phase")
	flag.IntVar(&s.ConsumerShutdowns, "consumer-shutdowns", 5, "SIGTERM rounds of the consumer phase")
	flag.DurationVar(&s.ConsumerInterval, "consumer-interval", 5*time.Millisecond, "pause between two calls of a consumer (the resolution of its figures)")
	flag.DurationVar(&s.ConsumerHold, "consumer-hold", time.Second, "how long a NOT_SERVING lasts in the consumer phase")
	flag.StringVar(&s.Targets, "targets", "a,b,c,d,e,f", "unary targets to load")
	flag.StringVar(&s.Profile, "profile", "", "directory for the servers' CPU and heap profiles, empty for none")
	flag.DurationVar(&s.Timeout, "timeout", 15*time.Minute, "the whole run is cancelled after this")
	handler := flag.String("measure-handler", "", "internal: measure the Watch calls of this handler alone, print the result as JSON and exit")
	flag.Parse()

	if err := validate(s); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(2)
	}
	if *handler != "" {
		m, err := bench.MeasureHandler(*handler, s.Watchers, handlerFlips, s.Service)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchrun:", err)
			os.Exit(1)
		}
		_ = json.NewEncoder(os.Stdout).Encode(m)
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	if err := run(ctx, s); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

// validate rejects settings that cannot work.
func validate(s settings) error {
	switch {
	case s.Runs < 1 || s.WatchRounds < 1 || s.InprocCount < 1:
		return errors.New("-runs, -watch-rounds and -inproc-count must be at least 1")
	case s.Dur <= 0 || s.Warmup < 0:
		return errors.New("-dur must be positive and -warmup not negative")
	case s.Callers < 1 || s.Conns < 1 || s.WRKThreads < 1 || s.WRKConns < s.WRKThreads:
		return errors.New("-callers, -conns and -wrk-threads must be at least 1, -wrk-conns at least -wrk-threads")
	case s.Watchers < 1 || s.WatchConns < 1:
		return errors.New("-watchers and -watch-conns must be at least 1")
	case slices.ContainsFunc(strings.Split(s.Only, ","), func(p string) bool {
		return !slices.Contains([]string{"inproc", "unary", "http", "watch", "consumers"}, p)
	}):
		return fmt.Errorf("-only %q: the phases are inproc, unary, http, watch and consumers", s.Only)
	case s.ConsumerBlips < 0 || s.ConsumerShutdowns < 0 || s.ConsumerInterval <= 0 || s.ConsumerHold <= 0:
		return errors.New("-consumer-blips and -consumer-shutdowns must not be negative, -consumer-interval and -consumer-hold positive")
	case (s.Watchers+s.WatchConns-1)/s.WatchConns > 250:
		return fmt.Errorf("-watchers %d over -watch-conns %d is more than the 250 streams Go's HTTP/2 server allows per connection", s.Watchers, s.WatchConns)
	}
	return nil
}

func run(ctx context.Context, s settings) error {
	r := &results{
		Started:  time.Now().UTC(),
		Settings: s,
		Machine: machine{
			GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(),
			CPU: cpuModel(), Go: runtime.Version(),
		},
		Unary:   make(map[string][]bench.UnaryResult),
		HTTP:    make(map[string][]bench.HTTPResult),
		Fanout:  make(map[string][]bench.FanoutResult),
		LoadAvg: make(map[string][2]float64),
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	out := s.Out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if s.Profile != "" {
		if s.Profile, err = filepath.Abs(s.Profile); err != nil {
			return err
		}
		if err := os.MkdirAll(s.Profile, 0o755); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "benchrun-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	phases := strings.Split(s.Only, ",")
	phase := func(name string) bool { return slices.Contains(phases, name) }

	logf("building the servers")
	bins, err := build(ctx, root, tmp)
	if err != nil {
		return err
	}
	// record notes a failed phase and goes on with the next.
	record := func(what string, err error, load0 float64) {
		r.LoadAvg[what] = [2]float64{load0, loadAvg()}
		if err != nil {
			logf("%s failed: %v", what, err)
			r.Errors = append(r.Errors, fmt.Sprintf("%s: %v", what, err))
		}
	}
	if phase("watch") {
		logf("in-process Watch of the handlers alone, %d calls each", s.Watchers)
		l := loadAvg()
		var hm struct{ Ours, GRPCGo bench.HandlerWatch }
		err := measureHandler(ctx, bench.HandlerOurs, s, &hm.Ours)
		if err == nil {
			err = measureHandler(ctx, bench.HandlerGRPCGo, s, &hm.GRPCGo)
		}
		record("handler memory", err, l)
		if err == nil {
			r.HandlerMem = &hm
		}
	}
	if phase("inproc") {
		l := loadAvg()
		record("in-process", runGoBench(ctx, s, root, out, r), l)
	}
	if phase("unary") || phase("http") {
		l := loadAvg()
		record("unary+http", runLoad(ctx, s, bins, tmp, phase("unary"), phase("http"), r), l)
	}
	if phase("watch") {
		l := loadAvg()
		record("watch", runWatch(ctx, s, bins, tmp, r), l)
	}
	if phase("consumers") {
		l := loadAvg()
		record("consumers", runConsumers(ctx, s, bins, tmp, r), l)
	}
	r.Elapsed = time.Since(r.Started).Round(time.Second)

	table := report(r)
	fmt.Print(table)
	if err := os.WriteFile(filepath.Join(out, "results.txt"), []byte(table), 0o644); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "results.json"), append(raw, '\n'), 0o644); err != nil {
		return err
	}
	logf("wrote %s and %s in %v", filepath.Join(s.Out, "results.txt"), filepath.Join(s.Out, "results.json"), r.Elapsed)
	if len(r.Errors) > 0 {
		return fmt.Errorf("%d phase(s) failed", len(r.Errors))
	}
	return ctx.Err()
}

// handlerFlips is the number of status changes timed on the handlers alone.
const handlerFlips = 20

// measureHandler measures the Watch calls of one handler in a fresh
// process: this program again, with -measure-handler.
func measureHandler(ctx context.Context, handler string, s settings, m *bench.HandlerWatch) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, self, "-measure-handler", handler,
		"-watchers", strconv.Itoa(s.Watchers), "-service", s.Service)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s: %w", handler, err)
	}
	return json.Unmarshal(out, m)
}

// binaries are the programs benchrun builds: the servers, and for the
// consumer phase the test consumers and the embedded etcd.
type binaries struct{ plain, imports, grpc, consumer, consumerPlain, etcd string }

func build(ctx context.Context, root, dir string) (binaries, error) {
	b := binaries{
		plain:         filepath.Join(dir, "plain"),
		imports:       filepath.Join(dir, "imports"),
		grpc:          filepath.Join(dir, "grpcserver"),
		consumer:      filepath.Join(dir, "tconsumer"),
		consumerPlain: filepath.Join(dir, "tconsumer-plain"),
		etcd:          filepath.Join(dir, "etcd"),
	}
	for _, t := range []struct{ out, dir, pkg string }{
		{b.plain, ".", "./internal/testapp/cmd/plain"},
		{b.imports, ".", "./internal/testapp/cmd/imports"},
		{b.grpc, ".", "./internal/bench/cmd/grpcserver"},
		{b.consumer, ".", "./internal/testapp/cmd/tconsumer"},
		{b.consumerPlain, ".", "./internal/testapp/cmd/tconsumer-plain"},
		{b.etcd, "internal/e2e/etcd", "."}, // its own module
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", t.out, t.pkg)
		cmd.Dir = filepath.Join(root, t.dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("go build %s (in %s): %v\n%s", t.pkg, t.dir, err, out)
		}
	}
	return b, nil
}

// runConsumers runs the consumer phase.
func runConsumers(ctx context.Context, s settings, bins binaries, tmp string, r *results) error {
	logf("consumers through etcd: %d NOT_SERVING rounds of %v, %d SIGTERM rounds, a call every %v",
		s.ConsumerBlips, s.ConsumerHold, s.ConsumerShutdowns, s.ConsumerInterval)
	dir := filepath.Join(tmp, "consumers")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	res, err := bench.RunConsumers(ctx, bench.ConsumersConfig{
		Provider: bins.plain, Consumer: bins.consumer, ConsumerPlain: bins.consumerPlain, Etcd: bins.etcd,
		Dir: dir, Blips: s.ConsumerBlips, Shutdowns: s.ConsumerShutdowns,
		Interval: s.ConsumerInterval, Hold: s.ConsumerHold,
	})
	r.Consumers = res
	return err
}

func runGoBench(ctx context.Context, s settings, root, out string, r *results) error {
	logf("in-process benchmarks: go test -bench . -count %d -benchtime %s ./healthserver", s.InprocCount, s.InprocBenchtime)
	f, err := os.Create(filepath.Join(out, "healthserver.txt"))
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := bench.RunGoBench(ctx, root, "./healthserver", s.InprocCount, s.InprocBenchtime, f)
	r.GoBench = res
	return err
}

// startServers starts the servers named, each waiting until it serves
// s.Service. The returned stop function stops them all.
func startServers(ctx context.Context, s settings, bins binaries, tmp, phase string, names ...string) (map[string]*bench.Server, func(), error) {
	servers := make(map[string]*bench.Server)
	stopAll := func() {
		for _, srv := range servers {
			if err := srv.Stop(20 * time.Second); err != nil {
				logf("%v", err)
			}
		}
	}
	for _, name := range names {
		var (
			bin  string
			env  []string
			args []string
		)
		switch name {
		case srvPlain:
			bin, args = bins.plain, []string{"-consumer-wait", "0s", "-drain", "0s"}
		case srvImports:
			bin, args = bins.imports, []string{"-consumer-wait", "0s", "-drain", "0s"}
			env = []string{"DUBBO_HEALTH_AUTOREGISTER=false"}
		case srvGRPC:
			bin = bins.grpc
		}
		if s.Profile != "" {
			base := filepath.Join(s.Profile, name+"-"+phase)
			args = append(args, "-cpuprofile", base+".cpu.pprof", "-memprofile", base+".heap.pprof")
		}
		srv, err := bench.StartServer(name, bin, filepath.Join(tmp, name+"-"+phase+".log"), env, args...)
		if err != nil {
			stopAll()
			return nil, nil, err
		}
		servers[name] = srv
		if err := srv.WaitServing(ctx, s.Service, 60*time.Second); err != nil {
			stopAll()
			return nil, nil, err
		}
	}
	return servers, stopAll, nil
}

func unaryTargets(s settings) []target {
	all := []target{
		{"a", "a) dubbo-health Check, dubbo-go server", srvPlain, bench.HealthCheck(s.Service)},
		{"b", "b) dubbo-go v3.3.2 built-in Check", srvImports, bench.HealthCheck(s.Service)},
		{"c", "c) no-op Triple Greet, a)'s server", srvPlain, bench.Greet()},
		{"d", "d) grpc-go health.Server Check", srvGRPC, bench.HealthCheck(s.Service)},
		{"e", "e) no-op grpc-go Greet, d)'s server", srvGRPC, bench.Greet()},
		{"f", "f) no-op Triple Greet, b)'s server", srvImports, bench.Greet()},
	}
	keys := strings.Split(s.Targets, ",")
	var ts []target
	for _, t := range all {
		if slices.Contains(keys, t.key) {
			ts = append(ts, t)
		}
	}
	return ts
}

var httpTargets = []struct{ key, label, server string }{
	{"a", "a) dubbo-health Check, dubbo-go server", srvPlain},
	{"b", "b) dubbo-go v3.3.2 built-in Check", srvImports},
}

// rotate returns ts starting at element r mod len(ts): each round starts
// with another target.
func rotate[T any](ts []T, r int) []T {
	if len(ts) == 0 {
		return ts
	}
	r %= len(ts)
	return append(slices.Clone(ts[r:]), ts[:r]...)
}

func runLoad(ctx context.Context, s settings, bins binaries, tmp string, unary, http bool, r *results) error {
	targets := unaryTargets(s)
	need := map[string]bool{}
	if unary {
		for _, t := range targets {
			need[t.server] = true
		}
	}
	// wrk is optional: without it the HTTP load comes from a Go load
	// generator (bench.RunHTTPLoad), and the report says which one ran.
	wrk, wrkErr := exec.LookPath("wrk")
	httpLoad := func(ctx context.Context, url, body, want string, o bench.WRKOptions) (bench.HTTPResult, error) {
		res, _, err := bench.RunWRK(ctx, wrk, url, body, want, o)
		return res, err
	}
	if http {
		need[srvPlain], need[srvImports] = true, true
		if wrkErr != nil {
			r.HTTPGenerator = fmt.Sprintf("Go net/http load generator, %d connections (wrk is not installed)", s.WRKConns)
			httpLoad = bench.RunHTTPLoad
		} else {
			r.HTTPGenerator = fmt.Sprintf("wrk -t%d -c%d (%s)", s.WRKThreads, s.WRKConns, wrk)
		}
		logf("HTTP load: %s", r.HTTPGenerator)
	}
	var names []string
	for _, n := range []string{srvPlain, srvImports, srvGRPC} {
		if need[n] {
			names = append(names, n)
		}
	}
	logf("starting servers %v", names)
	servers, stopAll, err := startServers(ctx, s, bins, tmp, "load", names...)
	if err != nil {
		return err
	}
	defer stopAll()
	if s.Profile != "" {
		// The heap profile, written at each mem, holds the allocations
		// since the start: take one at the end of the phase.
		defer func() {
			for _, srv := range servers {
				_, _ = srv.Mem()
			}
		}()
	}
	if err := checkIdentity(ctx, servers); err != nil {
		return err
	}

	if unary {
		o := bench.UnaryOptions{Conns: s.Conns, Callers: s.Callers}
		for _, t := range targets {
			o.Duration = s.Warmup
			logf("unary warm-up %s", t.label)
			if _, err := bench.RunUnary(ctx, servers[t.server].Addr, t.call, o); err != nil {
				return fmt.Errorf("%s: %w", t.label, err)
			}
		}
		o.Duration = s.Dur
		for round := range s.Runs {
			for _, t := range rotate(targets, round) {
				srv := servers[t.server]
				cpu0 := srv.CPUTime()
				res, err := bench.RunUnary(ctx, srv.Addr, t.call, o)
				if err != nil {
					return fmt.Errorf("%s: %w", t.label, err)
				}
				res.ServerCPU = srv.CPUTime() - cpu0
				logf("unary %d/%d %-40s %8.0f req/s p50 %v p99 %v server CPU/req %v errors %d", round+1, s.Runs, t.label,
					res.RPS, res.P50, res.P99, perReq(res.ServerCPU, res.Requests), res.Errors)
				r.Unary[t.key] = append(r.Unary[t.key], res)
			}
		}
	}

	if http {
		body := fmt.Sprintf(`{"service":%q}`, s.Service)
		o := bench.WRKOptions{Threads: s.WRKThreads, Conns: s.WRKConns}
		url := func(server string) string {
			return "http://" + servers[server].Addr + "/grpc.health.v1.Health/Check"
		}
		for _, t := range httpTargets {
			o.Duration = s.Warmup
			logf("http warm-up %s", t.label)
			if _, err := httpLoad(ctx, url(t.server), body, "SERVING", o); err != nil {
				return fmt.Errorf("%s: %w", t.label, err)
			}
		}
		o.Duration = s.Dur
		for round := range s.Runs {
			for _, t := range rotate(httpTargets, round) {
				srv := servers[t.server]
				cpu0 := srv.CPUTime()
				res, err := httpLoad(ctx, url(t.server), body, "SERVING", o)
				if err != nil {
					return fmt.Errorf("%s: %w", t.label, err)
				}
				res.ServerCPU = srv.CPUTime() - cpu0
				logf("http %d/%d %-40s %8.0f req/s p50 %v p99 %v server CPU/req %v non-2xx %d", round+1, s.Runs, t.label,
					res.RPS, res.P50, res.P99, perReq(res.ServerCPU, res.Requests), res.Non2xx)
				r.HTTP[t.key] = append(r.HTTP[t.key], res)
			}
		}
	}
	return nil
}

// checkIdentity makes sure each server runs the health service it is meant
// to: for an unknown service, this module and grpc-go answer NotFound,
// dubbo-go's built-in answers code 17 (it returns an untyped error).
func checkIdentity(ctx context.Context, servers map[string]*bench.Server) error {
	want := map[string]string{srvPlain: "NotFound", srvImports: "Code(17)", srvGRPC: "NotFound"}
	for name, srv := range servers {
		got, err := bench.CheckCode(ctx, srv.Addr, "no.such.Service")
		if err != nil {
			return err
		}
		if got != want[name] {
			return fmt.Errorf("%s: Check of an unknown service answered %s, want %s: not the health service expected", name, got, want[name])
		}
	}
	return nil
}

// fanoutTargets are the servers of the fan-out. The control command set
// drives dubbo-health's and grpc-go's status, not dubbo-go's built-in one:
// b) is measured for memory only, as the same transport as a) with another
// health service.
var fanoutTargets = []struct {
	key, label, server string
	flips              bool
}{
	{"a", "a) dubbo-health on dubbo-go", srvPlain, true},
	{"d", "d) grpc-go health.Server", srvGRPC, true},
	{"b", "b) dubbo-go built-in (memory only)", srvImports, false},
}

// runWatch runs the fan-out on fresh servers, one at a time: a server's
// first run is the only one whose RSS growth means something (Go keeps freed
// memory for a while).
func runWatch(ctx context.Context, s settings, bins binaries, tmp string, r *results) error {
	o := bench.FanoutOptions{
		Streams: s.Watchers, Conns: s.WatchConns, Service: s.Service,
		Flips: s.Flips, Timeout: 60 * time.Second,
	}
	if o.Flips%2 == 1 {
		o.Flips++ // end on SERVING
	}
	for round := range s.WatchRounds {
		for _, t := range rotate(fanoutTargets, round) {
			o := o
			if !t.flips {
				o.Flips = 0
			}
			res, err := fanoutOnce(ctx, s, bins, tmp, t.server, o)
			if err != nil {
				return fmt.Errorf("%s: %w", t.label, err)
			}
			var p99s []string
			for _, f := range res.Flips {
				p99s = append(p99s, f.P99.Round(100*time.Microsecond).String())
			}
			logf("watch %d/%d %-30s open %v, heap/stream %.0f B, RSS/stream %.0f B, goroutines/stream %.2f, flip p99 %v",
				round+1, s.WatchRounds, t.label, res.Open.Round(time.Millisecond), res.HeapPerStream, res.RSSPerStream, res.GoroutinesPerStream, p99s)
			r.Fanout[t.key] = append(r.Fanout[t.key], res)
		}
	}
	return nil
}

// fanoutOnce starts server, runs one fan-out on it and stops it.
func fanoutOnce(ctx context.Context, s settings, bins binaries, tmp, server string, o bench.FanoutOptions) (bench.FanoutResult, error) {
	servers, stopAll, err := startServers(ctx, s, bins, tmp, "watch", server)
	if err != nil {
		return bench.FanoutResult{}, err
	}
	defer stopAll()
	if s.Profile != "" {
		o.AfterWatching = func() {
			base := filepath.Join(s.Profile, server+"-watch")
			if b, err := os.ReadFile(base + ".heap.pprof"); err == nil {
				_ = os.WriteFile(base+"-open.heap.pprof", b, 0o644)
			}
		}
	}
	return bench.RunFanout(ctx, servers[server], o)
}

// perReq divides a CPU time by a request count.
func perReq(cpu time.Duration, n int64) time.Duration {
	if n <= 0 {
		return 0
	}
	return cpu / time.Duration(n)
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module: run from the repository")
	}
	return filepath.Dir(gomod), nil
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAvg returns the 1-minute load average, or 0 where it is unknown.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var v float64
	_, _ = fmt.Sscan(string(b), &v)
	return v
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s benchrun: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// nopLogger is a gost logger that discards everything.
type nopLogger struct{}

func (nopLogger) Info(...any)           {}
func (nopLogger) Warn(...any)           {}
func (nopLogger) Error(...any)          {}
func (nopLogger) Debug(...any)          {}
func (nopLogger) Fatal(...any)          {}
func (nopLogger) Infof(string, ...any)  {}
func (nopLogger) Warnf(string, ...any)  {}
func (nopLogger) Errorf(string, ...any) {}
func (nopLogger) Debugf(string, ...any) {}
func (nopLogger) Fatalf(string, ...any) {}
