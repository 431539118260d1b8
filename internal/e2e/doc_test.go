// Package e2e_test holds the end-to-end tests: real dubbo-go servers started
// as child processes (internal/testapp, built with and without dubbo-go's
// imports package), asked by real clients and tools: grpc-health-probe,
// grpcurl, curl, a grpc-go client, the generated Triple client and the
// go-client sample. The tools are installed by .ci/run; a missing tool fails
// the test.
package e2e_test
