package e2e_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// etcd is a real etcd server started for one test.
type etcd struct {
	Addr string // 127.0.0.1:PORT of the client listener
	cmd  *exec.Cmd
	done chan struct{}
}

// startEtcd starts etcd (embedded in internal/e2e/etcd, which TestMain
// built) on free loopback ports with its data in a temporary directory, and
// waits until it answers.
func startEtcd(t *testing.T) *etcd {
	t.Helper()
	client, peer := freePort(t), freePort(t)
	e := &etcd{Addr: "127.0.0.1:" + strconv.Itoa(client), done: make(chan struct{})}
	logs := &syncBuffer{}
	e.cmd = exec.Command(bins.etcd,
		"-client-port", strconv.Itoa(client),
		"-peer-port", strconv.Itoa(peer),
		"-data-dir", t.TempDir(),
	)
	e.cmd.Stdout, e.cmd.Stderr = logs, logs
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.cmd.Wait(); close(e.done) }()
	t.Cleanup(func() {
		e.stop()
		if t.Failed() {
			t.Logf("etcd log:\n%s", logs.tail(3000))
		}
	})
	waitFor(t, 30*time.Second, "etcd to answer", func() bool {
		select {
		case <-e.done:
			t.Fatalf("etcd exited:\n%s", logs.tail(3000))
		default:
		}
		_, err := e.keys()
		return err == nil
	})
	return e
}

func (e *etcd) stop() {
	select {
	case <-e.done:
	default:
		_ = e.cmd.Process.Kill()
		<-e.done
	}
}

// keys returns every key in etcd with its value, through etcd's JSON gateway.
func (e *etcd) keys() (map[string]string, error) {
	body, _ := json.Marshal(map[string]string{
		"key":       base64.StdEncoding.EncodeToString([]byte{0}),
		"range_end": base64.StdEncoding.EncodeToString([]byte{0}),
	})
	resp, err := http.Post("http://"+e.Addr+"/v3/kv/range", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("etcd range: %s", resp.Status)
	}
	var out struct {
		KVs []struct{ Key, Value string } `json:"kvs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	kv := make(map[string]string, len(out.KVs))
	for _, p := range out.KVs {
		k, _ := base64.StdEncoding.DecodeString(p.Key)
		v, _ := base64.StdEncoding.DecodeString(p.Value)
		kv[string(k)] = string(v)
	}
	return kv, nil
}

// TestRegistryHoldsNoHealthService runs servers with a real etcd registry,
// interface-level and application-level, and checks that etcd holds the
// business service and nothing of grpc.health.v1.Health, while health is
// served on the Triple port.
func TestRegistryHoldsNoHealthService(t *testing.T) {
	modes := []struct {
		name string
		args []string
	}{
		{"interface", []string{"-registry-type", "interface"}},
		{"all", []string{"-registry-type", "all"}},
		{"remote-metadata", []string{"-registry-type", "all", "-remote-metadata", "-instance"}},
	}
	for _, m := range modes {
		mode := m.name
		t.Run(mode, func(t *testing.T) {
			forEachVariant(t, func(t *testing.T, bin string) {
				reg := startEtcd(t)
				s := startServer(t, bin, append([]string{"-registry", reg.Addr, "-app", "e2e-" + mode}, m.args...)...)
				var kv map[string]string
				waitFor(t, 30*time.Second, "the Greeter in etcd", func() bool {
					var err error
					kv, err = reg.keys()
					return err == nil && containsAny(kv, "greet.GreetService")
				})
				if mode != "interface" {
					waitFor(t, 30*time.Second, "the application in etcd", func() bool {
						var err error
						kv, err = reg.keys()
						return err == nil && containsAny(kv, "/services/e2e-"+mode)
					})
				}
				if mode == "remote-metadata" {
					waitFor(t, 30*time.Second, "the metadata in etcd", func() bool {
						var err error
						kv, err = reg.keys()
						return err == nil && containsAny(kv, `"greet.GreetService:tri"`)
					})
				}
				for k, v := range kv {
					if strings.Contains(k, "grpc.health.v1.Health") || strings.Contains(v, "grpc.health.v1.Health") {
						t.Errorf("etcd holds the health service: key %q value %q", k, v)
					}
				}
				out, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr, "-service", "greet.GreetService")
				if code != 0 {
					t.Errorf("probe: exit %d %s", code, out)
				}
				if t.Failed() {
					for k := range kv {
						t.Logf("etcd key %s", k)
					}
				}
			})
		})
	}
}

// containsAny reports whether a key or value of kv contains s.
func containsAny(kv map[string]string, s string) bool {
	for k, v := range kv {
		if strings.Contains(k, s) || strings.Contains(v, s) {
			return true
		}
	}
	return false
}
