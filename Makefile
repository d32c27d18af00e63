# Every target prepares gotch for the installed libtorch first (fast when
# nothing changed). The setup runs with GOWORK=off so a stale go.work never
# stops it from rewriting that file. See README.md.
GO ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: setup test demo bench clean-cache bundle gpu-check

setup:
	GOWORK=off $(GO) run ./cmd/dskd-setup --quiet

test: setup
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

demo: setup
	$(GO) run ./examples/xcad

# The offline bundle for hosts without Go or network (README "Offline GPU
# servers"): _dist/dskd-bundle, at most 40 MiB. BUNDLE_FLAGS="--out DIR".
bundle:
	GOWORK=off $(GO) run ./cmd/dskd-bundle $(BUNDLE_FLAGS)

# Setup, build, tests, a short training and bench/compare on this host's
# device (GPU if any), with a report folder: ARGS="--device cuda --data DIR".
gpu-check:
	GOWORK=off $(GO) run ./cmd/dskd-gpucheck $(ARGS)

# Removes the prepared gotch copies (the next setup rebuilds one).
clean-cache:
	rm -rf $${DSKD_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/dskd}
