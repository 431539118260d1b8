// Command protoc-gen-dubbo-triple is the protoc plugin that writes this
// module's Triple stubs: a client, a handler interface and the service info
// that dubbo-go's server needs, for every service in a .proto file.
//
// It is run by `make generate`; see the Makefile for the exact flags.
//
// Parameters (besides protogen's standard M..., paths and module):
//
//	package=IMPORT_PATH  write the stubs into IMPORT_PATH instead of the
//	                     proto's own Go package. The messages then stay where
//	                     the M option or go_package puts them (for health:
//	                     grpc-go's grpc_health_v1), and a second file,
//	                     NAME.alias.go, declares a type alias for every message
//	                     and enum and a constant for every enum value, so
//	                     users of IMPORT_PATH never import the message package.
//
// The clients take no reference option of their own: dubbo-go v3.3.2 keeps
// a reference's options on its client (client/client.go, dial shares the
// client's reference configuration), so an option a stub added, such as a
// fail-fast cluster, would apply to every reference the client dials later.
//
// Only unary and server-streaming methods are supported; a client-streaming
// or bidi-streaming method is an error.
package main

import (
	"flag"
	"fmt"
	"os"
)

import (
	"google.golang.org/protobuf/compiler/protogen"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println("protoc-gen-dubbo-triple", version)
		return
	}
	x, flags := newGenerator()
	protogen.Options{ParamFunc: flags.Set}.Run(x.run)
}

// newGenerator returns a generator and the flags that set its parameters.
func newGenerator() (*generator, *flag.FlagSet) {
	x := &generator{}
	flags := flag.NewFlagSet("protoc-gen-dubbo-triple", flag.ContinueOnError)
	flags.Func("package", "Go import path to write the stubs into", func(v string) error {
		x.target = protogen.GoImportPath(v)
		return nil
	})
	return x, flags
}
