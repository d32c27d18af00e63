# Every target prepares gotch for the installed libtorch first (fast when
# nothing changed). The setup runs with GOWORK=off so a stale go.work never
# stops it from rewriting that file. See README.md.
GO ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: setup test demo bench clean-cache

setup:
	GOWORK=off $(GO) run ./cmd/dskd-setup --quiet

test: setup
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

demo: setup
	$(GO) run ./examples/xcad

# Removes the prepared gotch copies (the next setup rebuilds one).
clean-cache:
	rm -rf $${DSKD_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/dskd}
