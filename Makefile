# dubbo-health: run `make help` for the targets.

SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin
MODULE := github.com/dubbo-health/health
PROTOC_GEN_GO := $(BIN)/protoc-gen-go
PROTOC_GEN_TRIPLE := $(BIN)/protoc-gen-dubbo-triple
GENERATED := triple_health/health.alias.go triple_health/health.triple.go samples/greet/greet.pb.go samples/greet/greet.triple.go

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The command-line tools the end-to-end tests drive, pinned; make tools
# installs them into $(go env GOPATH)/bin. System packages (protoc, etcd,
# curl, wrk) come from the OS: see .ci/run.
GO_TOOLS := github.com/grpc-ecosystem/grpc-health-probe@v0.4.62 \
	github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4 \
	honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: tools
tools: ## Install the pinned Go tools the tests use (grpc-health-probe, grpcurl, staticcheck).
	@for t in $(GO_TOOLS); do echo "go install $$t"; $(GO) install $$t || exit 1; done

.PHONY: test
test: ## Run every test with the race detector, end-to-end tests included (needs the tools .ci/run installs).
	$(GO) test -race -count=1 -timeout 15m ./...

.PHONY: lint
lint: ## Check formatting and run go vet (and staticcheck when installed).
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed, skipped"; fi

$(PROTOC_GEN_GO): go.mod go.sum
	$(GO) build -o $@ google.golang.org/protobuf/cmd/protoc-gen-go

$(PROTOC_GEN_TRIPLE): $(wildcard internal/cmd/protoc-gen-dubbo-triple/*.go) go.mod go.sum
	$(GO) build -o $@ ./internal/cmd/protoc-gen-dubbo-triple

.PHONY: generate
generate: $(PROTOC_GEN_GO) $(PROTOC_GEN_TRIPLE) ## Regenerate triple_health/ and the samples' greet stubs from their .proto files (needs protoc).
	protoc -I triple_health \
		--plugin=protoc-gen-dubbo-triple=$(PROTOC_GEN_TRIPLE) \
		--dubbo-triple_out=. \
		--dubbo-triple_opt=Mhealth.proto=google.golang.org/grpc/health/grpc_health_v1,package=$(MODULE)/triple_health,module=$(MODULE),failfast=grpc.health.v1.Health \
		health.proto
	protoc -I samples/greet \
		--plugin=protoc-gen-go=$(PROTOC_GEN_GO) \
		--plugin=protoc-gen-dubbo-triple=$(PROTOC_GEN_TRIPLE) \
		--go_out=. --go_opt=module=$(MODULE) \
		--dubbo-triple_out=. --dubbo-triple_opt=module=$(MODULE) \
		greet.proto

.PHONY: checkgenerate
checkgenerate: ## Regenerate and fail if any generated file differs from what is committed.
	$(MAKE) --no-print-directory generate
	@if ! git diff --exit-code -- $(GENERATED) || [ -n "$$(git status --porcelain -- $(GENERATED) triple_health samples/greet)" ]; then \
		echo "generated code drifted: run make generate and commit the result"; exit 1; fi

.PHONY: bench
bench: ## Run the benchmarks (not part of make test).
	$(GO) run ./internal/bench/cmd/benchrun -out bench

.PHONY: demo
demo: ## Build the sample server, call it every way, stop it with SIGTERM.
	bash samples/demo.sh

.PHONY: tidy
tidy: ## go mod tidy.
	$(GO) mod tidy
