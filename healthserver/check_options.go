package healthserver

import (
	"math/rand/v2"
	"time"
)

// Defaults of the check options. Each is documented on its option.
const (
	DefaultCheckInterval    = 5 * time.Second
	DefaultCheckTimeout     = 2 * time.Second
	DefaultCheckJitter      = 0.1
	DefaultFailureThreshold = 3
	DefaultSuccessThreshold = 1
)

// A CheckOption configures one checker added with AddChecker. CheckOptions
// are made by the functions below.
type CheckOption interface {
	applyCheck(*checkConfig)
}

type checkOptionFunc func(*checkConfig)

func (f checkOptionFunc) applyCheck(c *checkConfig) { f(c) }

type checkConfig struct {
	interval         time.Duration
	timeout          time.Duration
	jitter           float64
	failureThreshold int
	successThreshold int
	initiallyPassing bool
}

func defaultCheckConfig() checkConfig {
	return checkConfig{
		interval:         DefaultCheckInterval,
		timeout:          DefaultCheckTimeout,
		jitter:           DefaultCheckJitter,
		failureThreshold: DefaultFailureThreshold,
		successThreshold: DefaultSuccessThreshold,
	}
}

// next returns the wait before the next run: the interval, moved by up to
// ±jitter of itself so that checkers of many instances do not run in step.
func (c *checkConfig) next() time.Duration {
	if c.jitter <= 0 {
		return c.interval
	}
	spread := float64(c.interval) * c.jitter
	return c.interval + time.Duration((rand.Float64()*2-1)*spread)
}

// Every sets how often the checker runs. The first run starts at once. The
// default is DefaultCheckInterval (5s).
func Every(d time.Duration) CheckOption {
	return checkOptionFunc(func(c *checkConfig) {
		if d > 0 {
			c.interval = d
		}
	})
}

// Timeout sets how long one run may take before it counts as a failure. A
// checker that ignores its context is not waited for: the run fails at the
// timeout, and no new run starts until the stuck one returns. The default is
// DefaultCheckTimeout (2s).
func Timeout(d time.Duration) CheckOption {
	return checkOptionFunc(func(c *checkConfig) {
		if d > 0 {
			c.timeout = d
		}
	})
}

// Jitter moves each wait between runs by a random amount up to fraction of
// the interval, either way. The default is DefaultCheckJitter (0.1); 0 turns
// it off.
func Jitter(fraction float64) CheckOption {
	return checkOptionFunc(func(c *checkConfig) {
		c.jitter = min(max(fraction, 0), 1)
	})
}

// FailureThreshold sets how many failed runs in a row turn a passing checker
// failing. The default is DefaultFailureThreshold (3).
func FailureThreshold(n int) CheckOption {
	return checkOptionFunc(func(c *checkConfig) { c.failureThreshold = max(n, 1) })
}

// SuccessThreshold sets how many passed runs in a row turn a failing checker
// passing. The default is DefaultSuccessThreshold (1).
func SuccessThreshold(n int) CheckOption {
	return checkOptionFunc(func(c *checkConfig) { c.successThreshold = max(n, 1) })
}

// InitiallyPassing makes the checker count as passing until its first
// results say otherwise. By default a checker counts as failing until it has
// passed SuccessThreshold times, so a server does not report SERVING before
// its dependencies were seen.
func InitiallyPassing() CheckOption {
	return checkOptionFunc(func(c *checkConfig) { c.initiallyPassing = true })
}
