package e2e_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// makeCerts writes a self-signed CA and a server certificate for localhost
// and 127.0.0.1 signed by it into dir, and returns the file names.
func makeCerts(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "dubbo-health test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", leafDER), write("server.key", "EC PRIVATE KEY", keyDER)
}

// TestTLS: health on a TLS Triple port works with grpc-health-probe -tls and
// a CA made here, and refuses plaintext.
func TestTLS(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		ca, cert, key := makeCerts(t, t.TempDir())
		s := launchServer(t, bin, "-tls-cert", cert, "-tls-key", key)
		probe := func(args ...string) (string, int) {
			return tool(t, 30*time.Second, "grpc-health-probe", append([]string{"-addr", s.Addr,
				"-tls", "-tls-ca-cert", ca, "-tls-server-name", "localhost"}, args...)...)
		}
		waitFor(t, 60*time.Second, "the TLS server to serve", func() bool {
			_, code := probe()
			return code == 0
		})
		if out, code := probe("-service", "greet.GreetService"); code != 0 || !strings.Contains(out, "SERVING") {
			t.Errorf("TLS probe: exit %d %s", code, out)
		}
		s.set("greet.GreetService", "NOT_SERVING")
		if out, code := probe("-service", "greet.GreetService"); code != 4 {
			t.Errorf("TLS probe after NOT_SERVING: exit %d %s, want 4", code, out)
		}
		if out, code := tool(t, 30*time.Second, "grpc-health-probe", "-addr", s.Addr, "-connect-timeout", "2s", "-rpc-timeout", "2s"); code == 0 {
			t.Errorf("plaintext probe of a TLS port succeeded: %s", out)
		}
		if out, code := tool(t, 30*time.Second, "curl", "-sS", "--cacert", ca, "https://localhost:"+strings.Split(s.Addr, ":")[1]+"/readyz"); code != 0 || !strings.Contains(out, `"SERVING"`) {
			t.Errorf("HTTPS GET /readyz: exit %d %s", code, out)
		}
	})
}
