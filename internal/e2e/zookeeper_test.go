//go:build zookeeper

package e2e_test

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The ZooKeeper suite, behind the build tag zookeeper: make test-zookeeper.
// It needs Java and ZooKeeper's jar (Debian's zookeeper package, at
// /usr/share/java/zookeeper.jar, or $ZOOKEEPER_JAR), which make test does
// not. A missing piece fails the test.

// zookeeper is a real ZooKeeper server started for one test.
type zookeeper struct {
	Addr string // 127.0.0.1:PORT
	cmd  *exec.Cmd
	done chan struct{}
}

// startZooKeeper starts a standalone ZooKeeper on a free loopback port with
// its data in a temporary directory (not the system's service, which is
// left alone), and waits until it serves.
func startZooKeeper(t *testing.T) *zookeeper {
	t.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatalf("java is not on PATH (install Debian's zookeeper package): %v", err)
	}
	jar := os.Getenv("ZOOKEEPER_JAR")
	if jar == "" {
		jar = "/usr/share/java/zookeeper.jar"
	}
	if _, err := os.Stat(jar); err != nil {
		t.Fatalf("ZooKeeper's jar: %v (install Debian's zookeeper package, or set ZOOKEEPER_JAR)", err)
	}
	dir := t.TempDir()
	port := freePort(t)
	cfg := filepath.Join(dir, "zoo.cfg")
	conf := "tickTime=500\n" +
		"dataDir=" + filepath.Join(dir, "data") + "\n" +
		"clientPort=" + strconv.Itoa(port) + "\n" +
		"clientPortAddress=127.0.0.1\n" +
		"admin.enableServer=false\n" +
		"4lw.commands.whitelist=srvr\n" +
		"maxClientCnxns=0\n"
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	z := &zookeeper{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), done: make(chan struct{})}
	logs := &syncBuffer{}
	z.cmd = exec.Command(java, "-Xmx256m", "-cp", jar, "org.apache.zookeeper.server.ZooKeeperServerMain", cfg)
	z.cmd.Stdout, z.cmd.Stderr = logs, logs
	if err := z.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = z.cmd.Wait(); close(z.done) }()
	t.Cleanup(func() {
		select {
		case <-z.done:
		default:
			_ = z.cmd.Process.Kill()
			<-z.done
		}
		if t.Failed() {
			t.Logf("zookeeper log:\n%s", logs.tail(3000))
		}
	})
	waitFor(t, 60*time.Second, "ZooKeeper to serve", func() bool {
		select {
		case <-z.done:
			t.Fatalf("ZooKeeper exited:\n%s", logs.tail(3000))
		default:
		}
		return z.serving()
	})
	return z
}

// serving asks ZooKeeper's four-letter command "srvr", which reports the
// server's mode once it serves requests ("ruok" answers before that).
func (z *zookeeper) serving() bool {
	conn, err := net.DialTimeout("tcp", z.Addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return false
	}
	answer, _ := io.ReadAll(conn)
	return strings.Contains(string(answer), "Mode: standalone")
}

// TestConsumersThroughBlipsZooKeeper runs the scenario of
// TestConsumersThroughBlips with a ZooKeeper registry.
func TestConsumersThroughBlipsZooKeeper(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		zk := startZooKeeper(t)
		runBlipScenario(t, bin, registryArgs{name: "zookeeper", args: []string{"-registry", zk.Addr, "-registry-kind", "zookeeper"}})
	})
}
