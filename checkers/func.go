package checkers

import (
	"context"
)

import (
	"github.com/dubbo-health/health/healthcheck"
)

// Func returns a checker that calls f: the dependency is usable when f
// returns nil. f must return soon after ctx is done and be safe for
// concurrent use, as every checker must; f must not be nil.
//
// Func is healthcheck.CheckerFunc(f), here so that every kind of checker is
// found in one package.
func Func(f func(ctx context.Context) error) healthcheck.Checker {
	return healthcheck.CheckerFunc(f)
}
