// Package runlock gives a folder one writer at a time: an exclusive
// flock(2) on a lock file inside it (.dskd.lock), held while a process
// writes the folder. The kernel releases the lock when the process ends,
// however it ends (a crash, SIGKILL, a power cut leaves no stale lock to
// clean up). The file records who holds it (PID, start time, command
// line) so that a refused process can say by whom.
//
// flock locks belong to an open file description: a second Acquire of the
// same folder fails even within one process.
//
// Layer: foundation (pure Go). It imports only the standard library and
// other foundation packages, never libtorch.
package runlock
