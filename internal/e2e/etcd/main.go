// Command etcd is the registry of the end-to-end tests: a one-member etcd
// server, etcd's own go.etcd.io/etcd/server/v3/embed, on 127.0.0.1 only. The
// tests build it (internal/e2e's TestMain) and start one per test as a child
// process, so that a test can kill it under a running dubbo-go server. It is
// a module of its own so that the library's go.mod never requires etcd's
// server.
//
//	etcd -client-port N -peer-port M -data-dir DIR
//
// It prints "ready" on stdout once it serves clients (gRPC and the JSON
// gateway on the client port), and runs until it is killed; SIGTERM and
// SIGINT close it first. fsync is off: the data lives as long as one test.
package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

import (
	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	clientPort := flag.Int("client-port", 0, "client port on 127.0.0.1")
	peerPort := flag.Int("peer-port", 0, "peer port on 127.0.0.1")
	dataDir := flag.String("data-dir", "", "data directory")
	flag.Parse()
	if *clientPort == 0 || *peerPort == 0 || *dataDir == "" {
		fmt.Fprintln(os.Stderr, "usage: etcd -client-port N -peer-port M -data-dir DIR")
		os.Exit(2)
	}
	client := loopback(*clientPort)
	peer := loopback(*peerPort)

	cfg := embed.NewConfig()
	cfg.Name = "e2e"
	cfg.Dir = *dataDir
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = "warn"
	cfg.UnsafeNoFsync = true

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcd:", err)
		os.Exit(1)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(time.Minute):
		fmt.Fprintln(os.Stderr, "etcd: not ready within a minute")
		e.Close()
		os.Exit(1)
	}
	fmt.Println("ready")

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sigs:
		e.Close()
	case err := <-e.Err():
		fmt.Fprintln(os.Stderr, "etcd:", err)
		e.Close()
		os.Exit(1)
	}
}

func loopback(port int) url.URL {
	return url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(port)}
}
