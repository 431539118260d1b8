// Command imports is the end-to-end test server linked with dubbo-go's imports
// package, which brings dubbo-go's own built-in health service along.
package main

import (
	_ "dubbo.apache.org/dubbo-go/v3/imports"

	_ "github.com/dubbo-health/health"
	"github.com/dubbo-health/health/internal/testapp"
)

func main() { testapp.Main() }
