// Command tconsumer-plain is the end-to-end test consumer without
// client-side health checking, to compare with tconsumer.
package main

import (
	"github.com/dubbo-health/health/internal/testapp/consumer"
)

func main() { consumer.Main() }
