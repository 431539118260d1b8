package healthcheck

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Defaults of the options. Each is documented on its option.
const (
	DefaultInterval         = 5 * time.Second
	DefaultTimeout          = 2 * time.Second
	DefaultJitter           = 0.1
	DefaultFailureThreshold = 3
	DefaultSuccessThreshold = 1
)

// An Option configures one checker given to Runner.Add. Options are made by
// the With... functions; one with a value out of its range makes Add fail
// with ErrInvalidOption.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

type config struct {
	interval         time.Duration
	timeout          time.Duration
	jitter           float64
	failureThreshold int
	successThreshold int
	initiallyPassing bool
}

func newConfig(opts []Option) (config, error) {
	c := config{
		interval:         DefaultInterval,
		timeout:          DefaultTimeout,
		jitter:           DefaultJitter,
		failureThreshold: DefaultFailureThreshold,
		successThreshold: DefaultSuccessThreshold,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

// next returns the wait before the next run: the interval, moved by up to
// ±jitter of itself so that checkers of many instances do not run in step.
func (c *config) next() time.Duration {
	if c.jitter <= 0 {
		return c.interval
	}
	spread := float64(c.interval) * c.jitter
	return c.interval + time.Duration((rand.Float64()*2-1)*spread)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidOption, fmt.Sprintf(format, args...))
}

// WithInterval sets how often the checker runs; d must be positive. The first
// run starts at once. The default is DefaultInterval (5s).
func WithInterval(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return invalid("interval %v is not positive", d)
		}
		c.interval = d
		return nil
	})
}

// WithTimeout sets how long one run may take before it counts as a failure;
// d must be positive. A checker that ignores its context is not waited for:
// the run fails at the timeout, and no new run starts until the stuck one
// returns. The default is DefaultTimeout (2s).
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return invalid("timeout %v is not positive", d)
		}
		c.timeout = d
		return nil
	})
}

// WithJitter moves each wait between runs by a random amount up to fraction
// of the interval, either way; fraction is from 0 (no jitter) to 1. The
// default is DefaultJitter (0.1).
func WithJitter(fraction float64) Option {
	return optionFunc(func(c *config) error {
		if !(fraction >= 0 && fraction <= 1) {
			return invalid("jitter %v is not between 0 and 1", fraction)
		}
		c.jitter = fraction
		return nil
	})
}

// WithFailureThreshold sets how many failed runs in a row (at least 1) turn a
// passing checker failing. The default is DefaultFailureThreshold (3).
func WithFailureThreshold(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 1 {
			return invalid("failure threshold %d is less than 1", n)
		}
		c.failureThreshold = n
		return nil
	})
}

// WithSuccessThreshold sets how many passed runs in a row (at least 1) turn a
// failing checker passing. The default is DefaultSuccessThreshold (1).
func WithSuccessThreshold(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 1 {
			return invalid("success threshold %d is less than 1", n)
		}
		c.successThreshold = n
		return nil
	})
}

// WithInitiallyPassing makes the checker count as passing until its first
// results say otherwise. By default a checker counts as failing until it has
// passed the success threshold, so a server does not report SERVING before
// its dependencies were seen.
func WithInitiallyPassing() Option {
	return optionFunc(func(c *config) error {
		c.initiallyPassing = true
		return nil
	})
}
