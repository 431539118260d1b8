// Package e2e_test holds the end-to-end tests: real dubbo-go servers started
// as child processes (internal/testapp, built with and without dubbo-go's
// imports package), asked by real clients and tools: grpc-health-probe,
// grpcurl, curl, a grpc-go client, the generated Triple client and the
// go-client sample, with a real etcd as the registry. TestMain sets all of
// it up: it builds the programs, the embedded etcd (internal/e2e/etcd) and
// the tools pinned in tools/go.mod (go tool), so go and curl are all the
// tests need from the system; a missing piece fails the test.
package e2e_test
