package dubbogo

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	"dubbo.apache.org/dubbo-go/v3/common/extension"
)

// CheckedVersion is the dubbo-go release every touch point of this package
// was checked against, and the lowest one it builds with: go.mod requires
// it, so a program that adds this module gets at least this dubbo-go.
//
// Older releases cannot work and do not build: v3.3.1 lacks the
// metrics/probe package, extension.RegisterGracefulShutdownCallback
// (below), base.HTTPHandlerHost and ShutdownConfig.GetInternalSignal;
// v3.3.0 also lacks the protocol/base package and
// server.SetProviderServices. A program that forces one of them
// (a replace directive) fails to compile here. A newer release builds, and
// logs one line at start (checkVersion) until it has been checked; its
// consumers' invoker Watch is pinned by TestInvokerWatch.
const CheckedVersion = "3.3.2"

// requiresCheckedVersion fails the build against a dubbo-go older than
// CheckedVersion, at this line: dubbo-health needs dubbo-go v3.3.2 or later.
var requiresCheckedVersion = extension.RegisterGracefulShutdownCallback

// checkVersion logs one line when the linked dubbo-go is not the release
// this package was checked against.
func checkVersion() {
	_ = requiresCheckedVersion
	if v := constant.Version; v != CheckedVersion {
		logger.Warnf("[Health] dubbo-go %s is linked; dubbo-health was checked against dubbo-go %s: health works as far as dubbo-go keeps the behaviour internal/dubbogo names, and its tests tell when it does not", v, CheckedVersion)
	}
}
