# Every target prepares gotch for the installed libtorch first (fast when
# nothing changed). The setup runs with GOWORK=off so a stale go.work never
# stops it from rewriting that file. See README.md.
GO ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: setup test demo bench clean-cache report-check report-png bundle gpu-check

setup:
	GOWORK=off $(GO) run ./cmd/dskd-setup --quiet

test: setup
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

demo: setup
	$(GO) run ./examples/xcad

# The browser check of report.html alone (also part of `make test`):
# a tiny training, its report.html rendered in headless Chromium.
report-check: setup
	DSKD_REQUIRE_BROWSER=1 $(GO) test -count=1 -v -run 'TestTrainReportPredict|TestRenderSeesScriptsConsoleAndPixels' ./cmd/dskd/ ./internal/browser/

# docs/report.png: a screenshot of the demo's report (run `make demo` first).
report-png:
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
		--user-data-dir=$$(mktemp -d) --window-size=1280,2000 \
		--screenshot=$(CURDIR)/docs/report.png file://$(CURDIR)/runs/xcad/report.html

# The offline bundle for hosts without Go or network (docs/gpu.md, "Offline GPU
# servers"): _dist/dskd-bundle, at most 40 MiB. BUNDLE_FLAGS="--out DIR".
bundle:
	GOWORK=off $(GO) run ./cmd/dskd-bundle $(BUNDLE_FLAGS)

# Setup, build, tests, a short training and bench/compare on this host's
# device (GPU if any), with a report folder: ARGS="--device cuda --data DIR".
gpu-check:
	GOWORK=off $(GO) run ./cmd/dskd-gpucheck $(ARGS)

# Step time, inference time and memory of the U-Net and DSKD steps on this
# host (bench/README.md): ARGS="--mode dskd --base 16 --size 256".
bench: setup
	$(GO) run ./bench $(ARGS)

# Removes the prepared gotch copies (the next setup rebuilds one).
clean-cache:
	rm -rf $${DSKD_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/dskd}
