// Package greet is the business service of the test harness (internal/testapp,
// internal/bench, internal/e2e and the examples of clienthealth):
// greet.GreetService with one method, Greet. greet.proto is its definition;
// greet.pb.go (the messages, by protoc-gen-go) and greet.triple.go (the Triple
// client, handler interface and service info, by this module's
// protoc-gen-dubbo-triple) are generated from it by make generate and never
// edited by hand.
//
// It has the wire name of the samples' samples/greet, so the tests and the
// README speak of one greet.GreetService, but the harness owns it: nothing
// outside samples/ imports samples/, and the samples can change freely. A
// program links this package or samples/greet, never both: both register the
// proto names greet.GreetService, greet.GreetRequest and greet.GreetResponse.
package greet
