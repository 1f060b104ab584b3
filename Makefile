# Calico networking conformance on throwaway clusters. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Knobs (see README.md): MODE, PROVIDER, IMAGES, KUBECONFIG, KEEP_CLUSTER, RUN_ID, ARTIFACTS,
# LABEL_FILTER, GINKGO_ARGS, PRELOAD, CLUSTER_NAME, E2E_CACHE_DIR, E2E_STATE_DIR, MIRROR,
# CALICO_SRC, CALICO_IMAGES.
MODE ?= vxlan
PROVIDER ?= kind
IMAGES ?= release
export MODE PROVIDER IMAGES

BIN := $(CURDIR)/bin
GINKGO := $(BIN)/ginkgo
CLI := $(BIN)/calico-e2e

##@ General
.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z0-9_-]+:.*##/ {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2} /^##@/ {printf "\n\033[1m%s\033[0m\n", substr($$0, 5)}' $(MAKEFILE_LIST)

##@ Images
.PHONY: images
deps: ## Install what this machine lacks (Docker engine, debootstrap, vagrant, chromium) and start Docker; elsewhere print what to install
	@hack/deps.sh

images: $(CLI) ## Build (IMAGES=source) or fetch (IMAGES=release) every image a run needs; cached
	@hack/images.sh

##@ End to end
.PHONY: e2e e2e-up e2e-run e2e-down e2e-clean diag
e2e: $(CLI) $(GINKGO) ## Up, run, down in one go; teardown always runs (also on Ctrl-C) unless KEEP_CLUSTER=1
	@hack/e2e.sh

e2e-up: $(CLI) ## Create the cluster (PROVIDER=kind) and install Calico in MODE; prints the RUN_ID
	@hack/e2e-up.sh

e2e-run: $(CLI) $(GINKGO) ## Run the specs against the run's cluster (RUN_ID, default: the latest)
	@hack/e2e-run.sh

e2e-down: $(CLI) ## Delete the run's cluster (only one the suite created)
	@hack/e2e-down.sh

diag: $(CLI) ## Evidence bundle and findings of the run's running cluster (RUN_ID, default the latest; or PROVIDER=existing KUBECONFIG=...), in 60 s at most
	@bin/calico-e2e diag

e2e-clean: $(CLI) ## Delete every cluster the suite created on this host (left by killed runs); with RUN_ID, only the suite namespaces in that run's cluster
	@bin/calico-e2e clean

##@ Development
.PHONY: test vet fmt-check specs bench-e2e
test: $(GINKGO) $(CLI) fmt-check ## gofmt, vet, actionlint of .github/workflows, unit tests of the harness, image plan and lifecycle, and the spec list (no cluster)
	go vet ./...
	go run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 -shellcheck= -pyflakes=
	go test $$(go list ./... | grep -v '/e2e$$')
	@hack/specs.sh | diff -u ci/specs.txt - >/dev/null || { hack/specs.sh | diff -u ci/specs.txt -; echo "the spec list changed: run 'make specs' and commit ci/specs.txt"; exit 1; }
	@echo "spec tree: $$(wc -l < ci/specs.txt) specs, as listed in ci/specs.txt"

vet: ## go vet, plus a compile of the e2e entry
	go vet ./...

fmt-check: ## Fail when a Go file is not gofmt-ed
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

bench-e2e: $(CLI) $(GINKGO) ## Benchmark: RUNS warm `make e2e` runs and a table of phase timings with medians
	@hack/bench-e2e.sh

specs: $(GINKGO) $(CLI) ## Regenerate ci/specs.txt, the committed list of every spec and its labels
	@hack/specs.sh > ci/specs.txt && echo "ci/specs.txt: $$(wc -l < ci/specs.txt) specs"

.PHONY: cli ginkgo
cli: $(CLI)
ginkgo: $(GINKGO)

$(GINKGO): go.mod
	GOBIN=$(BIN) go install github.com/onsi/ginkgo/v2/ginkgo

$(CLI): FORCE
	@go build -o $(CLI) ./infra/cmd/calico-e2e

.PHONY: FORCE
FORCE:
