package testapp

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

import (
	"dubbo.apache.org/dubbo-go/v3"
	"dubbo.apache.org/dubbo-go/v3/common/extension"
	"dubbo.apache.org/dubbo-go/v3/graceful_shutdown"

	"github.com/dubbo-health/health/internal/testservice/greet"
)

// The flags of the dubbo.Load style (-load).
var (
	appVersion   = flag.String("app-version", "", "-load: application.version in the YAML")
	handlerEntry = flag.Bool("handler-entry", false, "-load: the Greeter's type is named Handler and configured by a provider.services.Handler entry (group g1, version 1.0.0)")
	ownSignal    = flag.Bool("own-signal", false, "-load: shutdown.internal-signal false; the program handles SIGTERM itself (the README's recipe)")
)

// loadStyle starts the Greeter the dubbo.Load way: services set with
// dubbo.SetProviderServiceWithInfo, everything else from a YAML file.
func loadStyle(app string, port int, consumerWait time.Duration, g *Greeter) {
	dir, err := os.MkdirTemp("", "testapp-load-")
	if err != nil {
		fail(err)
	}
	path := filepath.Join(dir, "dubbogo.yaml")
	if err := os.WriteFile(path, []byte(loadYAML(app, port, consumerWait)), 0o600); err != nil {
		fail(err)
	}
	if *handlerEntry {
		dubbo.SetProviderServiceWithInfo(&Handler{Greeter: *g}, &greet.GreetService_ServiceInfo)
	} else {
		dubbo.SetProviderServiceWithInfo(g, &greet.GreetService_ServiceInfo)
	}
	var stopped chan struct{}
	var signals chan os.Signal
	if *ownSignal {
		// Registered before dubbo.Load, this custom callback runs before
		// the one of Load's file watcher, which never returns: right after
		// the listeners closed.
		stopped = make(chan struct{})
		extension.AddCustomShutdownCallback(func() { close(stopped) })
		signals = make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, os.Interrupt)
	}
	if err := dubbo.Load(dubbo.WithPath(path)); err != nil {
		fail(err)
	}
	_ = os.RemoveAll(dir)
	go control(nil)
	if *ownSignal {
		<-signals
		go func() { _ = graceful_shutdown.Shutdown(context.Background()) }()
		select {
		case <-stopped:
		case <-time.After(25 * time.Second):
		}
		os.Exit(0)
	}
	<-graceful_shutdown.Done()
	select {} // dubbo-go's signal handler exits the process
}

// loadYAML returns the YAML configuration of the dubbo.Load style.
func loadYAML(app string, port int, consumerWait time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "dubbo:\n  application:\n    name: %s\n", app)
	if *appVersion != "" {
		fmt.Fprintf(&b, "    version: %s\n", *appVersion)
	}
	fmt.Fprintf(&b, "  protocols:\n    tri:\n      name: tri\n      port: %d\n", port)
	if *handlerEntry {
		b.WriteString("  provider:\n    services:\n      Handler:\n        interface: greet.GreetService\n        group: g1\n        version: 1.0.0\n")
	}
	fmt.Fprintf(&b, "  shutdown:\n    consumer-update-wait-time: %s\n    step-timeout: 1s\n    offline-request-window-timeout: 0s\n", consumerWait)
	if *ownSignal {
		b.WriteString("    internal-signal: false\n")
	}
	return b.String()
}
