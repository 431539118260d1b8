// Command tconsumer is the end-to-end test consumer with client-side health
// checking: package consumer plus a blank import of clienthealth.
package main

import (
	_ "github.com/dubbo-health/health/clienthealth"
	"github.com/dubbo-health/health/internal/testapp/consumer"
)

func main() { consumer.Main() }
