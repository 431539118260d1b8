package health

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

// changeLog records the status changes the store logs, in order.
type changeLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *changeLog) record(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
}

func (l *changeLog) Info(a ...any)            { l.record(fmt.Sprint(a...)) }
func (l *changeLog) Infof(f string, a ...any) { l.record(fmt.Sprintf(f, a...)) }
func (l *changeLog) Warn(...any)              {}
func (l *changeLog) Warnf(string, ...any)     {}
func (l *changeLog) Error(...any)             {}
func (l *changeLog) Errorf(string, ...any)    {}
func (l *changeLog) Debug(...any)             {}
func (l *changeLog) Debugf(string, ...any)    {}
func (l *changeLog) Fatal(...any)             {}
func (l *changeLog) Fatalf(string, ...any)    {}

// shown returns the statuses service was shown with, in order.
func (l *changeLog) shown(service string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	prefix := fmt.Sprintf("[Health] service %q is now ", service)
	var out []string
	for _, line := range l.lines {
		if st, ok := strings.CutPrefix(line, prefix); ok {
			out = append(out, st)
		}
	}
	return out
}

// TestExportKeepsKeyBehindItsInterface: a service held NOT_SERVING by its
// interface name never shows SERVING under its service key, neither while
// it is exported nor while it is unexported.
func TestExportKeepsKeyBehindItsInterface(t *testing.T) {
	const iface, key = "order.Held", "g1/order.Held:1.0.0"
	log := &changeLog{}
	saved := logger.GetLogger()
	logger.SetLogger(log)
	defer logger.SetLogger(saved)

	if err := SetServingStatus(iface, NotServing); err != nil {
		t.Fatal(err)
	}
	exports.add([]string{iface, key})
	if st, _ := Default().Status(key); st != NotServing {
		t.Errorf("exported key shows %v, want NOT_SERVING from its interface", st)
	}
	exports.remove([]string{iface, key})
	got := log.shown(key)
	if want := []string{"NOT_SERVING", "SERVICE_UNKNOWN"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the key was shown %v, want %v", got, want)
	}
}
