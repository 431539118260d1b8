# dubbo-health: run `make help` for the targets.

SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin
MODULE := github.com/dubbo-health/health
PROTOC_GEN_GO := $(BIN)/protoc-gen-go
PROTOC_GEN_TRIPLE := $(BIN)/protoc-gen-dubbo-triple
GENERATED := triple_health/health.alias.go triple_health/health.triple.go \
	samples/greet/greet.pb.go samples/greet/greet.triple.go \
	internal/testservice/greet/greet.pb.go internal/testservice/greet/greet.triple.go
GENERATED_DIRS := triple_health samples/greet internal/testservice

# The Go modules of the repository that make test and make lint cover: the
# library (.), the pinned tools (tools/go.mod) and the end-to-end tests'
# embedded etcd, kept out of the library's go.mod. A fourth,
# internal/e2e/oldconsumer (a consumer on older dubbo-go versions), is built
# by make compat and tidied by make tidy.
MODULES := . tools internal/e2e/etcd

# The command-line tools are pinned in one place, tools/go.mod, as Go tool
# directives (grpc-health-probe, grpcurl, staticcheck and protocomp, the
# protoc replacement of make generate). Nothing is installed: $(call tool,NAME)
# builds NAME into Go's build cache on first use and prints its path. curl
# is the only program the tests take from the system.
tool = "$$($(GO) -C $(CURDIR)/tools tool -n $(1))"

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: tools
tools: ## Optional: download and build the pinned Go tools ahead of time (the other targets do it on first use).
	$(GO) -C tools build tool

# testdeps compiles what the end-to-end tests build and run (the race builds
# of the test programs, the samples they start with go run, the embedded
# etcd, the pinned tools), so that on a cold build cache the compiling is
# done here, not inside the tests' -timeout. go list -export compiles into
# the build cache and links nothing: on a warm cache it takes a second. The
# tests build all of it themselves too (go test ./internal/e2e works alone).
.PHONY: testdeps
testdeps:
	$(GO) list -race -export ./... >/dev/null
	$(GO) list -export ./samples/... >/dev/null
	$(GO) -C internal/e2e/etcd list -export . >/dev/null
	$(GO) -C tools list -export tool >/dev/null

.PHONY: test
test: testdeps ## Run every test of every module with the race detector, end-to-end tests included; sets up what it needs.
	@failed=""; for m in $(MODULES); do echo "go test ($$m)"; \
		(cd $$m && $(GO) test -race -count=1 -timeout 15m ./...) || failed="$$failed $$m"; done; \
		if [ -n "$$failed" ]; then echo "make test: tests failed in:$$failed"; exit 1; fi

.PHONY: test-zookeeper
test-zookeeper: testdeps ## The consumers' blip and shutdown scenario against a real ZooKeeper (needs Java and Debian's zookeeper package; not in make test).
	cd internal/e2e && $(GO) test -race -count=1 -tags zookeeper -run 'ZooKeeper' -timeout 15m -v . | grep -E '^(=== RUN|--- |PASS|FAIL|ok)|figure:|_test.go'; exit $${PIPESTATUS[0]}

.PHONY: compat
compat: testdeps ## dubbo-go v3.3.0 and v3.3.1: their plain consumers through a NOT_SERVING and a SIGTERM, and what a provider asking for them gets (not in make test: it builds two more dubbo-go versions).
	cd internal/e2e && $(GO) test -race -count=1 -tags compat -run 'TestOldConsumers|TestProviderDubboGoVersions' -timeout 15m -v . | grep -E '^(=== RUN|--- |PASS|FAIL|ok)|figure:|_test.go'; exit $${PIPESTATUS[0]}

.PHONY: lint
lint: ## Check formatting, run go vet and staticcheck on every module.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@sc=$(call tool,staticcheck) && for m in $(MODULES); do echo "go vet, staticcheck ($$m)"; \
		(cd $$m && $(GO) vet ./... && $$sc ./...) || exit 1; done
	@echo "go vet, staticcheck (internal/e2e with the build tags zookeeper and compat)"; sc=$(call tool,staticcheck) && \
		cd internal/e2e && $(GO) vet -tags zookeeper,compat . && $$sc -tags zookeeper,compat .

$(PROTOC_GEN_GO): go.mod go.sum
	$(GO) build -o $@ google.golang.org/protobuf/cmd/protoc-gen-go

$(PROTOC_GEN_TRIPLE): $(wildcard internal/cmd/protoc-gen-dubbo-triple/*.go) go.mod go.sum
	$(GO) build -o $@ ./internal/cmd/protoc-gen-dubbo-triple

# protoc-gen-go is built from the library's own go.mod, so the generated code
# never needs a newer protobuf runtime than go.mod requires.
.PHONY: generate
generate: $(PROTOC_GEN_GO) $(PROTOC_GEN_TRIPLE) ## Regenerate triple_health/, the samples' and the test harness's greet stubs from their .proto files.
	@pc=$(call tool,protocomp) && protocomp() { echo "protocomp $$*"; "$$pc" "$$@"; } && \
	protocomp -I triple_health \
		--plugin=protoc-gen-dubbo-triple=$(PROTOC_GEN_TRIPLE) \
		--dubbo-triple_out=. \
		--dubbo-triple_opt=Mhealth.proto=google.golang.org/grpc/health/grpc_health_v1,package=$(MODULE)/triple_health,module=$(MODULE) \
		health.proto && \
	protocomp -I samples/greet \
		--plugin=protoc-gen-go=$(PROTOC_GEN_GO) \
		--plugin=protoc-gen-dubbo-triple=$(PROTOC_GEN_TRIPLE) \
		--go_out=. --go_opt=module=$(MODULE) \
		--dubbo-triple_out=. --dubbo-triple_opt=module=$(MODULE) \
		greet.proto && \
	protocomp -I internal/testservice \
		--plugin=protoc-gen-go=$(PROTOC_GEN_GO) \
		--plugin=protoc-gen-dubbo-triple=$(PROTOC_GEN_TRIPLE) \
		--go_out=. --go_opt=module=$(MODULE) \
		--dubbo-triple_out=. --dubbo-triple_opt=module=$(MODULE) \
		greet/greet.proto

.PHONY: checkgenerate
checkgenerate: ## Regenerate and fail if any generated file differs from what is committed.
	$(MAKE) --no-print-directory generate
	@if ! git diff --exit-code -- $(GENERATED) || [ -n "$$(git status --porcelain -- $(GENERATED) $(GENERATED_DIRS))" ]; then \
		echo "generated code drifted: run make generate and commit the result"; exit 1; fi

.PHONY: bench
bench: ## Run the benchmarks (not part of make test); HTTP load with wrk when installed, else a Go load generator (the report says which).
	$(GO) run ./internal/bench/cmd/benchrun -out bench

.PHONY: demo
demo: ## Build the sample server, call it every way, stop it with SIGTERM.
	bash samples/demo.sh

.PHONY: tidy
tidy: ## go mod tidy in every module.
	@for m in $(MODULES); do echo "go mod tidy ($$m)"; (cd $$m && $(GO) mod tidy) || exit 1; done
	@echo "go mod tidy (internal/e2e/oldconsumer, go.mod and go.v3.3.1.mod)"; cd internal/e2e/oldconsumer && \
		$(GO) mod tidy && $(GO) mod tidy -modfile=go.v3.3.1.mod
