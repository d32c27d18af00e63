// Command dskd-gpucheck checks a host in one run, GPU or not: setup against
// its libtorch, build, the test suite (CUDA tests on with a GPU), a short
// DSKD training on a DCA1-layout folder and bench/compare against the
// PyTorch twin, each phase timed and limited, within an 8-minute budget. It
// writes report.json and report.md into a report folder and prints its
// path; it exits 1 when a phase failed.
//
//	make gpu-check ARGS="--device cuda --data /data/DCA1"
//	GOWORK=off go run ./cmd/dskd-gpucheck [--device auto|cpu|cuda|cuda:N] [--data DIR] [--out DIR] [--budget 8m] ...
//	dskd-bundle/run gpu-check ...            (offline hosts, see docs/gpu.md)
//
// See package internal/tooling/gpucheck for the phases and the report.
//
// Layer: tooling (building and deploying dskd), apart from the runtime
// layers. It imports only foundation packages and other tooling.
package main
