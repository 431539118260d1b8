package e2e_test

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

import (
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// TestSIGTERMDuringWatch: on SIGTERM an open Watch receives NOT_SERVING at
// once, then the stream ends, and the process exits promptly.
func TestSIGTERMDuringWatch(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin, "-drain", "200ms", "-consumer-wait", "500ms")
		stream := openWatch(t, s.Addr, "greet.GreetService", healthpb.HealthCheckResponse_SERVING)

		start := time.Now()
		s.signal(syscall.SIGTERM)
		expectStatus(t, stream, healthpb.HealthCheckResponse_NOT_SERVING)
		notServing := time.Since(start)
		_, err := stream.Recv()
		ended := time.Since(start)
		if status.Code(err) != codes.Unavailable {
			t.Errorf("after NOT_SERVING the stream ended with %v, want code Unavailable", err)
		}
		if code := s.waitExit(20 * time.Second); code != 0 {
			t.Errorf("exit code %d", code)
		}
		exited := time.Since(start)
		t.Logf("SIGTERM -> NOT_SERVING on the Watch %v, stream end %v, process exit %v", notServing, ended, exited)
		if notServing > time.Second {
			t.Errorf("NOT_SERVING took %v after SIGTERM", notServing)
		}
		// The stream ends after the 200ms drain delay, not after dubbo-go's
		// shutdown steps.
		if ended > 3*time.Second {
			t.Errorf("the Watch ended %v after SIGTERM, want about the 200ms drain delay", ended)
		}
		// The health service's export leaves dubbo-go nothing to complain
		// about when it unexports everything.
		if logs := s.logs.String(); strings.Contains(logs, "unexport failed") {
			t.Errorf("dubbo-go logged an unexport error during the shutdown:\n%s", s.logs.tail(4000))
		}
	})
}

// TestNotServingBeforeListenerCloses polls Check through a SIGTERM: it must
// read NOT_SERVING before the listener goes, and never SERVING again.
func TestNotServingBeforeListenerCloses(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin, "-consumer-wait", "500ms")
		cli := healthpb.NewHealthClient(dial(t, s.Addr))
		s.signal(syscall.SIGTERM)
		sawNotServing := false
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			resp, err := cli.Check(ctx, &healthpb.HealthCheckRequest{Service: ""})
			cancel()
			if err != nil {
				break
			}
			switch resp.GetStatus() {
			case healthpb.HealthCheckResponse_NOT_SERVING:
				sawNotServing = true
			case healthpb.HealthCheckResponse_SERVING:
				if sawNotServing {
					t.Fatal("SERVING again after NOT_SERVING during shutdown")
				}
			}
		}
		if !sawNotServing {
			t.Error("never read NOT_SERVING before the listener closed")
		}
		s.waitExit(20 * time.Second)
	})
}

// TestFrameworkShutdown: graceful_shutdown.Shutdown called by the program,
// without a signal, also turns health NOT_SERVING and ends the Watch.
func TestFrameworkShutdown(t *testing.T) {
	forEachVariant(t, func(t *testing.T, bin string) {
		s := startServer(t, bin, "-drain", "100ms", "-consumer-wait", "300ms")
		stream := openWatch(t, s.Addr, "", healthpb.HealthCheckResponse_SERVING)
		if _, err := s.stdin.Write([]byte("stop\n")); err != nil {
			t.Fatal(err)
		}
		expectStatus(t, stream, healthpb.HealthCheckResponse_NOT_SERVING)
		if _, err := stream.Recv(); status.Code(err) != codes.Unavailable {
			t.Errorf("stream ended with %v, want Unavailable", err)
		}
		s.waitExit(20 * time.Second)
	})
}

// TestShutdownNotHeldByWatch compares the stop time of a server with an open
// Watch: this module against dubbo-go's built-in health service, whose Watch
// streams hold the listener's graceful stop until its timeout.
func TestShutdownNotHeldByWatch(t *testing.T) {
	stopTime := func(t *testing.T, env ...string) time.Duration {
		s := launchServerEnv(t, bins.imports, env, "-consumer-wait", "300ms", "-drain", "100ms")
		s.waitServing("")
		openWatch(t, s.Addr, "greet.GreetService", healthpb.HealthCheckResponse_SERVING) // held open through the stop
		start := time.Now()
		s.signal(syscall.SIGTERM)
		s.waitExit(60 * time.Second)
		return time.Since(start)
	}
	ours := stopTime(t)
	builtin := stopTime(t, "DUBBO_HEALTH_AUTOREGISTER=false")
	t.Logf("stop with an open Watch: dubbo-health %v, dubbo-go built-in %v", ours, builtin)
	if ours >= builtin {
		t.Errorf("dubbo-health stopped in %v, not faster than the built-in's %v", ours, builtin)
	}
}
