// Package greet holds the samples' Greeter service, greet.GreetService with
// one method, Greet: greet.proto is its definition, and greet.pb.go (the
// messages, by protoc-gen-go) and greet.triple.go (the Triple client,
// handler interface and service info, by this module's
// protoc-gen-dubbo-triple) are generated from it by make generate and never
// edited by hand. samples/go-server serves it; the end-to-end tests use it
// as the business service beside health.
package greet
