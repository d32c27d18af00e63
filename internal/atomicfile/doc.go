// Package atomicfile writes files so that a reader (or a run resumed after
// a crash or a kill) sees either the old content or the complete new one:
// temporary file in the same folder, fsync, rename, fsync of the folder.
// Every file a training run writes goes through it.
//
// Layer: foundation (pure Go). It imports only the standard library,
// third-party pure-Go modules and other foundation packages, never
// libtorch, so it builds and tests without it.
package atomicfile
