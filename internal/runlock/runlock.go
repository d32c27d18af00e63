package runlock

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// FileName is the lock file inside a locked folder.
const FileName = ".dskd.lock"

// Owner is who holds a lock, as its lock file records it.
type Owner struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	Command string    `json:"command"`
}

// InUseError is Acquire's error for a folder another writer holds.
type InUseError struct {
	Dir   string
	Owner Owner // zero when the holder had not written its record yet
}

func (e *InUseError) Error() string {
	if e.Owner.PID == 0 {
		return fmt.Sprintf("%s is in use by another process", e.Dir)
	}
	return fmt.Sprintf("%s is in use by process %d (started %s: %s)", e.Dir, e.Owner.PID,
		e.Owner.Started.Local().Format("2006-01-02 15:04:05"), e.Owner.Command)
}

// Lock is a held lock; Release it when the folder is written.
type Lock struct {
	f   *os.File
	dir string
}

// Acquire locks dir (creating it if needed) for this process, or returns
// an *InUseError naming the process that holds it.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("runlock: %w", err)
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("runlock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &InUseError{Dir: dir, Owner: readOwner(path)}
		}
		return nil, fmt.Errorf("runlock: locking %s: %w", path, err)
	}
	if err := writeOwner(f); err != nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		return nil, fmt.Errorf("runlock: %s: %w", path, err)
	}
	return &Lock{f: f, dir: dir}, nil
}

// Dir is the locked folder.
func (l *Lock) Dir() string { return l.dir }

// Release unlocks the folder. The lock file stays (removing it would race
// with a process that just opened it); a nil Lock releases nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	if err != nil {
		return fmt.Errorf("runlock: releasing %s: %w", l.dir, err)
	}
	return nil
}

func writeOwner(f *os.File) error {
	b, err := json.Marshal(Owner{PID: os.Getpid(), Started: time.Now().UTC(), Command: strings.Join(os.Args, " ")})
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt(append(b, '\n'), 0)
	return err
}

func readOwner(path string) Owner {
	var o Owner
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &o) // a record being written reads as unknown
	}
	return o
}
