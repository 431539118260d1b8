package clienthealth

import (
	"os"
	"sync/atomic"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

import (
	"dubbo.apache.org/dubbo-go/v3/client"
	"dubbo.apache.org/dubbo-go/v3/common"

	"github.com/dubbo-health/health/internal/env"
)

// EnvClient is the environment variable that turns client-side health
// checking off when set to "false", "0", "off", "no", "disable" or
// "disabled" (the same words as the root package's variables; an unknown
// value is warned about and leaves it on): routers made afterwards are
// left out of their chains, and a router notified of its providers while it
// is set lets them all through and releases its watches. It is read when a
// router is made and whenever its providers change.
const EnvClient = "DUBBO_HEALTH_CLIENT"

// EnvNoEligible is the environment variable that sets what a reference does
// when none of its providers is eligible, for references that do not say:
// "all" (the default) falls back to every provider, "fail" makes calls fail
// at once with code Unavailable ("no provider of SERVICE is serving"). It is
// read when a reference is created.
const EnvNoEligible = "DUBBO_HEALTH_CLIENT_NO_ELIGIBLE"

// ParamNoEligible is the reference parameter that sets, for one reference,
// what EnvNoEligible sets for all: "all" or "fail". WithoutFallback sets it;
// references configured in YAML set it under params.
const ParamNoEligible = "health.no-eligible"

// The values of EnvNoEligible and ParamNoEligible.
const (
	noEligibleAll  = "all"
	noEligibleFail = "fail"
)

// disabled is set by Disable.
var disabled atomic.Bool

// Disable turns client-side health checking off for the rest of the
// process: every health router passes all providers through from then on,
// every watch is stopped, every connection it used is closed and their
// goroutines have ended when Disable returns, and new references get no
// health router. A graceful shutdown of dubbo-go calls it as its last step;
// programs that stop otherwise, and tests that check for leaked goroutines,
// call it themselves. Setting DUBBO_HEALTH_CLIENT=false before references
// are created has the same effect for them. Disable is safe for concurrent
// use and may be called more than once.
func Disable() {
	disabled.Store(true)
	defaultPool.close()
}

// WithoutFallback is a reference option: when none of the reference's
// providers is eligible, its calls fail at once with code Unavailable ("no
// provider of SERVICE is serving") instead of going to every provider. It
// sets the reference parameter ParamNoEligible to "fail". Pair it with
// dubbo-go's failfast cluster (client.WithClusterFailFast), or the default
// failover cluster tries the failing call again twice and logs an error.
//
//	svc, err := greet.NewGreetService(cli, clienthealth.WithoutFallback())
//
// Note that in dubbo-go v3.3.2 the options of one reference are kept by its
// client and so also apply to the references it dials later.
func WithoutFallback() client.ReferenceOption {
	return client.WithParam(ParamNoEligible, noEligibleFail)
}

// enabled reports whether client-side health checking is on.
func enabled() bool {
	return !disabled.Load() && env.Switch(EnvClient, true)
}

// fallbackOf reports whether the chain of url falls back to all providers
// when none is eligible: its reference parameter, else the environment,
// else yes.
func fallbackOf(url *common.URL) bool {
	v, from := "", ParamNoEligible
	if url != nil {
		v = url.GetParam(ParamNoEligible, "")
		if v == "" && url.SubURL != nil {
			v = url.SubURL.GetParam(ParamNoEligible, "")
		}
	}
	if v == "" {
		v, from = os.Getenv(EnvNoEligible), EnvNoEligible
	}
	switch v {
	case "", noEligibleAll:
		return true
	case noEligibleFail:
		return false
	}
	logger.Warnf("[Health] %s=%q is neither %q nor %q: falling back to all providers when none is eligible", from, v, noEligibleAll, noEligibleFail)
	return true
}
