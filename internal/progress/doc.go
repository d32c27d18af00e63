// Package progress reports training progress within an epoch. On a
// terminal it redraws one line in place — epoch, steps done, the epoch's
// mean loss so far, and the time left in the epoch and in the run — and
// clears it when the epoch ends, so only the per-epoch log lines stay in
// the scrollback. Elsewhere (CI, log files, nohup) it writes a plain
// zerolog "progress" line instead, at most one every 10 s
// (Options.Interval; Options.Every sets a fixed step count instead), so
// that a log holds the epoch lines and a line per 10 s of a long epoch,
// not one per step.
//
//	r := progress.New(log, progress.Options{Epochs: 50, Live: progress.IsTerminal(os.Stderr)})
//	r.Start(epoch, steps)
//	for step := range steps { ...; r.Step(step, loss) }
//	r.End()
//
// The time left in the run is the epoch's remaining steps at the epoch's
// pace plus, for every epoch still to come, the mean wall time of the
// epochs seen so far (training and validation, Start to Start); before the
// first epoch ends, the epoch's training pace stands in for it.
//
// Layer: foundation (pure Go). It imports only the standard library,
// third-party pure-Go modules and other foundation packages, never
// libtorch, so it builds and tests without it.
package progress
