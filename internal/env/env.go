// Package env reads the module's switches from environment variables, with
// one parser and one set of words for every variable.
package env

import (
	"os"
	"slices"
	"strings"
	"sync"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

// The words a switch understands, compared without regard to case or
// surrounding spaces. Anything else is not understood: it leaves the switch
// at its default and is warned about once.
var (
	onWords  = []string{"1", "true", "on", "yes", "enable", "enabled"}
	offWords = []string{"0", "false", "off", "no", "disable", "disabled"}
)

// Words describes the accepted words, for documentation and warnings.
const Words = `"true", "1", "on", "yes", "enable", "enabled" or "false", "0", "off", "no", "disable", "disabled"`

var warned sync.Map // name + "=" + value -> struct{}

// Switch returns the value of the switch in the environment variable name:
// def when it is unset or empty, or holds a word it does not understand
// (then it logs one warning per variable and value).
func Switch(name string, def bool) bool {
	raw, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	v := strings.ToLower(strings.TrimSpace(raw))
	switch {
	case v == "":
		return def
	case slices.Contains(onWords, v):
		return true
	case slices.Contains(offWords, v):
		return false
	}
	if _, seen := warned.LoadOrStore(name+"="+raw, struct{}{}); !seen {
		logger.Warnf("[Health] %s=%q is not understood (use %s): using the default, %v", name, raw, Words, def)
	}
	return def
}
