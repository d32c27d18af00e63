package engine

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
)

// ErrClosed is returned by Do on a closed Worker.
var ErrClosed = errors.New("engine: worker is closed")

// Worker runs functions on one goroutine locked to one OS thread, so that
// libtorch's thread-local state (grad mode, CUDA device and stream) is the
// same for every call. See the package doc for why this matters.
type Worker struct {
	jobs      chan func()
	closeOnce sync.Once
	done      chan struct{}
}

// NewWorker starts a Worker. Close it when done.
func NewWorker() *Worker {
	w := &Worker{jobs: make(chan func()), done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		// Never unlocked: when this goroutine exits, its thread exits too,
		// taking any thread-local libtorch state with it.
		runtime.LockOSThread()
		defer close(w.done) // also when a job calls runtime.Goexit
		close(ready)
		for job := range w.jobs {
			job()
		}
	}()
	<-ready
	return w
}

// ErrGoexit is returned by Do when fn called runtime.Goexit (for example a
// failed require.* in a test): the Worker is then closed.
var ErrGoexit = errors.New("engine: function called runtime.Goexit on the worker; the worker is closed")

// Do runs fn on the worker's thread and waits for it. A panic in fn (gotch's
// Must* functions panic or exit on bad shapes) comes back as an error. Do
// must not be called from inside fn: that would deadlock.
func (w *Worker) Do(fn func() error) (err error) {
	result := make(chan error, 1)
	job := func() {
		finished := false
		defer func() {
			if r := recover(); r != nil {
				result <- fmt.Errorf("engine: panic in worker: %v\n%s", r, debug.Stack())
			} else if !finished {
				result <- ErrGoexit
			}
		}()
		err := fn()
		finished = true
		result <- err
	}
	defer func() {
		if recover() != nil { // send on closed channel: Close raced with Do
			err = ErrClosed
		}
	}()
	select {
	case <-w.done:
		return ErrClosed
	case w.jobs <- job:
	}
	return <-result
}

// Close stops the worker after the running call, if any, finishes.
func (w *Worker) Close() {
	w.closeOnce.Do(func() { close(w.jobs) })
	<-w.done
}

// Run is a one-shot Worker: it runs fn on a fresh locked goroutine and waits.
func Run(fn func() error) error {
	w := NewWorker()
	defer w.Close()
	return w.Do(fn)
}
