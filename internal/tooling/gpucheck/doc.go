// Package gpucheck is the one-command check of a host, GPU or not: it sets
// dskd up against the host's libtorch, builds it, runs the test suite (with
// the CUDA tests on when the device is a GPU), a short DSKD training on a
// DCA1-layout folder, and bench/compare against the PyTorch twin, all on
// the chosen device, and writes a report folder:
//
//	report.json   every phase (status, seconds, command, log, error, peak GPU memory),
//	              host, libtorch, test counts and failures, s/epoch and Dice, bench table
//	report.md     the same for people
//	<phase>.log   each phase's output; test.json is go test -json's stream
//	train-<preset>-b<N>-metrics.csv, bench.md
//	work/         training runs and binaries (large: checkpoints)
//
// Every phase is timed and has a timeout, capped by what is left of the
// whole run's budget (8 minutes by default); a failed or timed-out phase is
// recorded and the run goes on with the next one, skipping only the phases
// that need what failed (nothing runs without a build). The report is
// rewritten after every phase, so a run killed from outside still leaves
// one. cmd/dskd-gpucheck is the command; `make gpu-check` and the offline
// bundle's `run gpu-check` run it.
//
// Layer: tooling (building and deploying dskd), apart from the runtime
// layers. It imports only foundation packages and other tooling.
package gpucheck
