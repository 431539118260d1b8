package testapp

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"
)

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

import (
	"dubbo.apache.org/dubbo-go/v3"
	"dubbo.apache.org/dubbo-go/v3/common/extension"
	"dubbo.apache.org/dubbo-go/v3/global"
	"dubbo.apache.org/dubbo-go/v3/graceful_shutdown"
	"dubbo.apache.org/dubbo-go/v3/protocol"
	"dubbo.apache.org/dubbo-go/v3/protocol/triple"
	"dubbo.apache.org/dubbo-go/v3/registry"
	"dubbo.apache.org/dubbo-go/v3/server"
	dubbotls "dubbo.apache.org/dubbo-go/v3/tls"

	health "github.com/dubbo-health/health"
	"github.com/dubbo-health/health/checkers"
	"github.com/dubbo-health/health/healthcheck"
	"github.com/dubbo-health/health/healthserver"
	ctl "github.com/dubbo-health/health/internal/control"
	"github.com/dubbo-health/health/internal/testservice/greet"
)

// Main runs the test server until it is shut down.
func Main() {
	var (
		port         = flag.Int("port", 20000, "Triple port")
		port2        = flag.Int("port2", 0, "a second Triple port, 0 for none")
		ip           = flag.String("ip", "", "IP the Triple port listens on and registries get, empty for dubbo-go's choice")
		group        = flag.String("group", "", "group of the Greeter")
		version      = flag.String("version", "", "version of the Greeter")
		registryAddr = flag.String("registry", "", "registry address host:port, empty for none")
		registryKind = flag.String("registry-kind", "etcd", "registry at -registry: etcd or zookeeper")
		registryType = flag.String("registry-type", "interface", "interface, service or all")
		app          = flag.String("app", "health-e2e", "application name")
		drain        = flag.Duration("drain", -1, "health drain delay, -1 for the default")
		consumerWait = flag.Duration("consumer-wait", 300*time.Millisecond, "dubbo-go's consumer update wait time in shutdown")
		noList       = flag.Bool("no-list", false, "turn List off")
		tlsCert      = flag.String("tls-cert", "", "TLS certificate file")
		tlsKey       = flag.String("tls-key", "", "TLS key file")
		useInstance  = flag.Bool("instance", false, "start through dubbo.NewInstance instead of server.NewServer")
		remoteMeta   = flag.Bool("remote-metadata", false, "report metadata to the registry")
		load         = flag.Bool("load", false, "start through dubbo.Load with a YAML configuration")
		slow         = flag.Duration("slow", 0, "time each Greet call takes")
		id           = flag.String("id", "", "name this server puts in its greetings")
		maxWatchers  = flag.Int("max-watchers", 0, "health Watch streams allowed in all, 0 for no limit")
		maxPeer      = flag.Int("max-host-watchers", 0, "health Watch streams allowed per client host, 0 for the default")
		execLimit    = flag.Int("exec-limit", 0, "dubbo-go execute limit of the Greeter, 0 for none")
		tpsLimit     = flag.Int("tps-limit", 0, "dubbo-go TPS limit of the Greeter, 0 for none")
		checkTCP     = flag.String("check-tcp", "", "address the Greeter depends on (TCP checker)")
		checkHTTP    = flag.String("check-http", "", "URL the whole server depends on (HTTP GET checker)")
		checkGRPC    = flag.String("check-grpc", "", "address of a health server whose \"\" the Greeter depends on")
		metricsAddr  = flag.String("metrics-addr", "", "address to serve Prometheus's default registry on")
		cpuProfile   = flag.String("cpuprofile", "", "write a CPU profile to this file, from start until stop or shutdown")
		memProfile   = flag.String("memprofile", "", "write a heap profile to this file at each mem command")
		notServing   = flag.String("not-serving", "", "a service name set NOT_SERVING before the server serves")
		token        = flag.String("token", "", "the server's token (server.WithServerToken)")
		filters      = flag.String("filter", "", "the server's provider filters (server.WithServerFilter), e.g. "+AuthFilter)
		public       = flag.Bool("public", false, "health.PublicProbes()")
		attach       = flag.String("attach", "", "attach an HTTP handler to the Triple port: app, routes or guarded")
		maxRecv      = flag.String("max-recv", "", "the Triple port's triple.max-server-recv-msg-size, e.g. 8mib")
	)
	flag.Parse()
	startProfiles(*cpuProfile, *memProfile)

	var hopts []healthserver.Option
	if *drain >= 0 {
		hopts = append(hopts, healthserver.WithDrainDelay(*drain))
	}
	if *noList {
		hopts = append(hopts, healthserver.WithoutList())
	}
	if *maxWatchers > 0 || *maxPeer > 0 {
		hopts = append(hopts, healthserver.WithMaxWatchers(*maxWatchers, *maxPeer))
	}
	if err := health.Configure(hopts...); err != nil {
		fail(err)
	}
	if *public {
		health.PublicProbes()
	}
	addCheckers(*checkTCP, *checkHTTP, *checkGRPC)
	if *notServing != "" {
		if err := health.SetServingStatus(*notServing, healthserver.NotServing); err != nil {
			panic(err)
		}
	}
	if *metricsAddr != "" {
		go func() { fail(http.ListenAndServe(*metricsAddr, promhttp.Handler())) }()
	}

	if *load {
		loadStyle(*app, *port, *consumerWait, &Greeter{Delay: *slow, ID: *id})
		return
	}

	shutdown := global.DefaultShutdownConfig()
	shutdown.ConsumerUpdateWaitTime = consumerWait.String()
	shutdown.StepTimeout = "1s"
	shutdown.OfflineRequestWindowTimeout = "0s"

	var tripleOpts []triple.Option
	if *maxRecv != "" {
		tripleOpts = append(tripleOpts, triple.WithMaxServerRecvMsgSize(*maxRecv))
	}
	opts := []server.ServerOption{
		server.WithServerProtocol(protocol.WithTriple(tripleOpts...), protocol.WithID("tri"), protocol.WithPort(*port), protocol.WithIp(*ip)),
		server.SetServerShutdown(shutdown),
	}
	if *token != "" {
		opts = append(opts, server.WithServerToken(*token))
	}
	if *filters != "" {
		opts = append(opts, server.WithServerFilter(*filters))
	}
	if *port2 != 0 {
		opts = append(opts, server.WithServerProtocol(protocol.WithTriple(), protocol.WithID("tri2"), protocol.WithPort(*port2)))
	}
	opts = append(opts, configuredServerOptions(*port2 != 0)...)
	if *tlsCert != "" {
		opts = append(opts, server.WithServerTLSOption(dubbotls.WithCertFile(*tlsCert), dubbotls.WithKeyFile(*tlsKey)))
	}
	var regOpts []registry.Option
	if *registryAddr != "" {
		regOpts = append(regOpts, registry.WithAddress(*registryAddr), registry.WithTimeout(3*time.Second))
		switch *registryKind {
		case "etcd":
			regOpts = append(regOpts, registry.WithEtcdV3())
		case "zookeeper":
			regOpts = append(regOpts, registry.WithZookeeper())
		default:
			fail(fmt.Errorf("unknown -registry-kind %q", *registryKind))
		}
		switch *registryType {
		case "service":
			regOpts = append(regOpts, registry.WithRegisterService())
		case "all":
			regOpts = append(regOpts, registry.WithRegisterServiceAndInterface())
		default:
			regOpts = append(regOpts, registry.WithRegisterInterface())
		}
	}

	var srv *server.Server
	var err error
	if *useInstance {
		iopts := []dubbo.InstanceOption{dubbo.WithName(*app)}
		if *remoteMeta {
			iopts = append(iopts, dubbo.WithRemoteMetadata())
		}
		if len(regOpts) > 0 {
			iopts = append(iopts, dubbo.WithRegistry(regOpts...))
		}
		var ins *dubbo.Instance
		if ins, err = dubbo.NewInstance(iopts...); err == nil {
			srv, err = ins.NewServer(opts...)
		}
	} else {
		appCfg := global.DefaultApplicationConfig()
		appCfg.Name = *app
		if *remoteMeta {
			appCfg.MetadataType = "remote"
		}
		opts = append(opts, server.SetServerApplication(appCfg))
		if len(regOpts) > 0 {
			opts = append(opts, server.WithServerRegistry(regOpts...))
		}
		srv, err = server.NewServer(opts...)
	}
	if err != nil {
		fail(err)
	}
	// The Greeter is on the first port only: dubbo-go cannot export one
	// service on two Triple protocols. Health is on both.
	svcOpts := []server.ServiceOption{func(o *server.ServiceOptions) { o.Service.ProtocolIDs = []string{"tri"} }}
	if *group != "" {
		svcOpts = append(svcOpts, server.WithGroup(*group))
	}
	if *version != "" {
		svcOpts = append(svcOpts, server.WithVersion(*version))
	}
	if *execLimit > 0 {
		svcOpts = append(svcOpts, server.WithExecuteLimit(strconv.Itoa(*execLimit)))
	}
	if *tpsLimit > 0 {
		svcOpts = append(svcOpts, server.WithTpsLimiter("default"), server.WithTpsLimitRate(*tpsLimit),
			server.WithTpsLimitStrategy("fixedWindow"))
	}
	svcOpts = append(svcOpts, configuredGreeterOptions()...)
	if err := greet.RegisterGreetServiceHandler(srv, &Greeter{Delay: *slow, ID: *id}, svcOpts...); err != nil {
		fail(err)
	}
	if err := registerConfigured(srv); err != nil {
		fail(err)
	}
	if *attach != "" {
		h, err := attachedHandler(*attach)
		if err == nil {
			err = srv.AttachHTTPHandler(h)
		}
		if err != nil {
			fail(err)
		}
	}
	go control(srv)
	if err := srv.Serve(); err != nil {
		fail(err)
	}
}

// control serves the control protocol (package internal/control) on stdin
// until a stop command or the end of stdin. srv is the running server, nil in
// the dubbo.Load style.
func control(srv *server.Server) {
	commands := map[string]ctl.Command{
		"set":      ctl.Set(func(name string, st healthserver.Status) error { return health.SetServingStatus(name, st) }),
		"mem":      ctl.Mem(heapProfilePath),
		"watchers": func(...string) (string, error) { return openWatches() },
		"stop":     func(...string) (string, error) { return "", ctl.ErrStop },
	}
	if srv != nil {
		for _, verb := range []string{"export", "unexport"} {
			commands[verb] = func(args ...string) (string, error) {
				if len(args) != 1 {
					return "", fmt.Errorf("usage: %s NAME", verb)
				}
				return "", exportLate(srv, verb == "export", args[0])
			}
		}
	}
	if ctl.Serve(commands) {
		_ = graceful_shutdown.Shutdown(context.Background())
		stopCPUProfile()
		os.Exit(0)
	}
}

// Profiling, for make bench's profile runs: -cpuprofile and -memprofile.
var (
	stopCPUProfile  = func() {}
	heapProfilePath string
)

// startProfiles starts the CPU profile, if asked for, and arranges for it to
// be written when the server stops, by the stop command or a signal.
func startProfiles(cpuPath, heapPath string) {
	heapProfilePath = heapPath
	if cpuPath == "" {
		return
	}
	f, err := os.Create(cpuPath)
	if err != nil {
		fail(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fail(err)
	}
	stopCPUProfile = sync.OnceFunc(func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	})
	extension.AddCustomShutdownCallback(stopCPUProfile)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "testapp:", err)
	os.Exit(2)
}

// addCheckers adds the dependency checkers the flags ask for, checking every
// 50ms and turning failing after two failed runs.
func addCheckers(tcpAddr, httpURL, grpcAddr string) {
	opts := []healthcheck.Option{healthcheck.WithInterval(50 * time.Millisecond), healthcheck.WithJitter(0),
		healthcheck.WithTimeout(time.Second), healthcheck.WithFailureThreshold(2)}
	add := func(service, name string, c healthcheck.Checker) {
		if err := health.AddChecker(service, name, c, opts...); err != nil {
			fail(err)
		}
	}
	if tcpAddr != "" {
		add("greet.GreetService", "tcp", checkers.TCP(tcpAddr))
	}
	if httpURL != "" {
		add("", "http", checkers.HTTPGet(httpURL))
	}
	if grpcAddr != "" {
		add("greet.GreetService", "downstream", checkers.GRPCHealth(grpcAddr, ""))
	}
}

// LateGreeter is the Greeter exported after the server started, under
// another interface name.
type LateGreeter struct{ Greeter }

// exportLate exports (or unexports) a Greeter under interface name on the
// running server.
func exportLate(srv *server.Server, export bool, name string) error {
	if export {
		opt := func(o *server.ServiceOptions) { o.Service.ProtocolIDs = []string{"tri"} }
		if err := greet.RegisterGreetServiceHandler(srv, &LateGreeter{}, server.WithInterface(name), opt); err != nil {
			return err
		}
	}
	svc := srv.GetServiceOptionsByInterfaceName(name)
	if svc == nil {
		return fmt.Errorf("no service %s", name)
	}
	if export {
		return svc.Export()
	}
	svc.Unexport()
	return nil
}

// openWatches reads the number of open Watch streams from the health
// metrics, as a scrape would.
func openWatches() (string, error) {
	reg := prometheus.NewRegistry()
	if err := health.RegisterMetrics(reg); err != nil {
		return "", err
	}
	families, err := reg.Gather()
	if err != nil {
		return "", err
	}
	for _, f := range families {
		if f.GetName() == "dubbo_health_watch_streams" && len(f.GetMetric()) == 1 {
			return strconv.Itoa(int(f.GetMetric()[0].GetGauge().GetValue())), nil
		}
	}
	return "", fmt.Errorf("no dubbo_health_watch_streams metric")
}
