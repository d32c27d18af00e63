// Command dskd-bundle writes an offline bundle of this project (a trimmed
// Go toolchain, the module cache the build needs, the source; see package
// internal/tooling/bundle) for a linux/amd64 host with g++ and a libtorch but no
// Go and no network:
//
//	GOWORK=off go run ./cmd/dskd-bundle [--out _dist/dskd-bundle] [--max-mib 40] [--no-verify]
//
// `make bundle` runs it. On the target host: dskd-bundle/run gpu-check.
//
// Layer: tooling (building and deploying dskd), apart from the runtime
// layers. It imports only foundation packages and other tooling.
package main
