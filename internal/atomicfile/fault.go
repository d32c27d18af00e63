package atomicfile

import (
	"io"
	"sync"
)

// Faults are for tests: every package writes its files through Write, so
// a test anywhere in the module can make the file system fail (a full
// disk, an I/O error) at one file of its choice and check what the code
// above does with the error.

var (
	faultMu  sync.Mutex
	faults   []fault
	faultIDs int
)

type fault struct {
	id    int
	match func(path string) bool
	after int64 // bytes written before the error
	err   error
}

// InjectFault makes every later Write whose path satisfies match fail
// with err once after bytes are written (0: at its first write). The
// returned function removes the fault. For tests only.
func InjectFault(match func(path string) bool, after int64, err error) (undo func()) {
	faultMu.Lock()
	defer faultMu.Unlock()
	faultIDs++
	f := fault{id: faultIDs, match: match, after: after, err: err}
	faults = append(faults, f)
	return func() {
		faultMu.Lock()
		defer faultMu.Unlock()
		for i := range faults {
			if faults[i].id == f.id {
				faults = append(faults[:i], faults[i+1:]...)
				return
			}
		}
	}
}

// faulty is w, failing as an injected fault for path says (w itself
// when none applies).
func faulty(path string, w io.Writer) io.Writer {
	faultMu.Lock()
	defer faultMu.Unlock()
	for _, f := range faults {
		if f.match(path) {
			return &faultWriter{w: w, left: f.after, err: f.err}
		}
	}
	return w
}

type faultWriter struct {
	w    io.Writer
	left int64
	err  error
}

func (f *faultWriter) Write(p []byte) (int, error) {
	if int64(len(p)) <= f.left {
		f.left -= int64(len(p))
		return f.w.Write(p)
	}
	n, err := f.w.Write(p[:f.left])
	f.left = 0
	if err != nil {
		return n, err
	}
	return n, f.err
}
