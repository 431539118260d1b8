package dubbogo

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common/extension"
)

// Relies on (dubbo-go v3.3.2, common/extension/config_post_processor.go):
// extension.GetConfigPostProcessor returns what was registered under a
// name, so a copy of this module finds the post-processor that another copy
// registered before it.

// installedElsewhere reports the module path of another copy of this
// module (the same code linked under another module path, a fork beside
// the original) that installed itself first, and "" if there is none. Two
// copies cannot both plug into dubbo-go: each would replace the other's
// Triple wrapper and take the other's health export for dubbo-go's
// built-in.
func installedElsewhere() string {
	prev := extension.GetConfigPostProcessor(internalServiceName)
	if prev == nil {
		return ""
	}
	if m, ok := prev.(interface{ DubboHealthModule() string }); ok {
		return m.DubboHealthModule()
	}
	return "an unknown module"
}

// warnTwice logs the one line that says a second copy is not installed.
func warnTwice(other string) {
	logger.Warnf("[Health] dubbo-health is linked twice, as %s and as %s: %s serves health and %s does nothing (its SetServingStatus, AddChecker and Default have no effect on what is served); link one copy",
		other, modulePath, other, modulePath)
}
