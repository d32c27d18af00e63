package atomicfile

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Write creates path's parent folders, has write fill a temporary file in
// the same folder, and renames it over path only when every step
// succeeded. Errors name path.
func Write(path string, write func(w io.Writer) error) (err error) {
	if path == "" {
		return fmt.Errorf("empty output path")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("%s: %w%s", path, err, freeSpace(err, dir))
		}
	}()
	bw := bufio.NewWriter(faulty(path, tmp))
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// WriteBytes writes b to path atomically.
func WriteBytes(path string, b []byte) error {
	return Write(path, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// WriteJSON writes v as indented JSON (with a final newline) atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return WriteBytes(path, append(b, '\n'))
}

// WriteDir fills a temporary sibling folder of dir with fill, fsyncs its
// files, and renames it to dir, replacing an older one (kept as dir.old
// until the rename is done), so a kill at any moment leaves a complete
// folder.
func WriteDir(dir string, fill func(tmp string) error) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-"+filepath.Base(dir)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := fill(tmp); err != nil {
		return err
	}
	if err := syncTree(tmp); err != nil {
		return err
	}
	old := dir + ".old"
	_ = os.RemoveAll(old)
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	if err := syncDir(parent); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// syncTree fsyncs every file and folder under root.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return syncDir(path)
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		serr := f.Sync()
		cerr := f.Close()
		if serr != nil {
			return serr
		}
		return cerr
	})
}

// syncDir makes a folder's entries (a rename) durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// isTemporary reports whether name is one of Write's or WriteDir's
// temporary files or folders (".NAME.tmp-*", ".tmp-NAME-*").
func isTemporary(name string) bool {
	return strings.HasPrefix(name, ".tmp-") || (strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-"))
}

// Recover tidies what a process killed in the middle of Write or WriteDir
// left under root: temporary files and folders are removed, and a folder
// that WriteDir had moved aside (DIR.old) while DIR is missing is moved
// back (the kill came between its two renames). It returns what it
// removed or restored, relative to root. A missing root is not an error.
func Recover(root string) ([]string, error) {
	var done []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if path == root {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		name := d.Name()
		switch {
		case isTemporary(name):
			if err := os.RemoveAll(path); err != nil {
				return err
			}
			done = append(done, "removed "+rel)
			if d.IsDir() {
				return filepath.SkipDir
			}
		case d.IsDir() && strings.HasSuffix(name, ".old"):
			orig := strings.TrimSuffix(path, ".old")
			if _, err := os.Stat(orig); err == nil {
				if err := os.RemoveAll(path); err != nil {
					return err
				}
				done = append(done, "removed "+rel)
			} else {
				if err := os.Rename(path, orig); err != nil {
					return err
				}
				done = append(done, "restored "+strings.TrimSuffix(rel, ".old"))
			}
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		return done, fmt.Errorf("%s: %w", root, err)
	}
	return done, nil
}

// freeSpace says how much room is left where dir is when err is a full
// disk or quota ("" for other errors).
func freeSpace(err error, dir string) string {
	if !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EDQUOT) {
		return ""
	}
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return ""
	}
	return fmt.Sprintf(" (%s free in %s)", bytesText(st.Bavail*uint64(st.Bsize)), dir)
}

// bytesText writes n bytes in the largest binary unit that keeps it >= 1.
func bytesText(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[i-1])
}
