package setup

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Gotch is the gotch module this project is pinned to.
const (
	GotchModule  = "github.com/sugarme/gotch"
	GotchVersion = "v0.9.1"
	// patcherRevision changes whenever the generated copy would differ for
	// the same libtorch, so stale copies are never reused (changes to dskd's
	// shim are seen by Identity itself).
	patcherRevision = "7"
	stampFile       = "dskd-setup.json"
	replacedFile    = "replaced-ops.txt"
)

// Stamp is written into a prepared gotch copy; its presence with the same
// Key means the copy is complete and current.
type Stamp struct {
	Key         string    `json:"key"`
	Libtorch    Libtorch  `json:"libtorch"`
	Flags       Flags     `json:"flags"`
	ReplacedOps int       `json:"replaced_ops"`
	Prepared    time.Time `json:"prepared"`
}

// Identity is the cache key of a gotch copy for lt: gotch version, the
// libtorch's location, version, build flavour and library file identity.
func Identity(lt Libtorch) string {
	h := sha256.New()
	fmt.Fprintln(h, GotchVersion, patcherRevision, lt.Source, lt.Root, lt.LibDir, lt.Version, lt.PackageVersion, lt.CUDA, lt.CXX11ABI, lt.ExtraLibDirs, lt.Dist)
	hashShim(h)
	if fi, err := os.Stat(filepath.Join(lt.LibDir, "libtorch_cpu.so")); err == nil {
		fmt.Fprintln(h, fi.Size(), fi.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// hashShim adds dskd's shim sources to h: a changed shim needs a new copy
// even where nobody bumped patcherRevision.
func hashShim(h io.Writer) {
	_ = fs.WalkDir(shimFS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(shimFS, path)
		if err != nil {
			return err
		}
		fmt.Fprintln(h, path, len(b))
		_, err = h.Write(b)
		return err
	})
}

// CopyDir is where the gotch copy for lt lives under cacheBase.
func CopyDir(cacheBase string, lt Libtorch) string {
	return filepath.Join(cacheBase, fmt.Sprintf("gotch-%s-libtorch%s-%s-%s", GotchVersion, lt.Version, lt.Device(), Identity(lt)))
}

// CacheBase is the per-user directory holding prepared gotch copies:
// $DSKD_CACHE, else the user cache dir (~/.cache/dskd).
func CacheBase() (string, error) {
	if d := os.Getenv("DSKD_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("setup: no user cache dir (set DSKD_CACHE): %w", err)
	}
	return filepath.Join(d, "dskd"), nil
}

// ReadStamp returns the stamp of a prepared copy, or an error if absent.
func ReadStamp(dir string) (Stamp, error) {
	var s Stamp
	b, err := os.ReadFile(filepath.Join(dir, stampFile))
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(b, &s)
}

// Logf reports progress to the user.
type Logf func(format string, args ...any)

// PrepareGotch makes sure a patched gotch copy for lt, with its C++
// compiled, exists in cacheBase and returns its directory and stamp. src is
// gotch's pristine source.
func PrepareGotch(lt Libtorch, src, cacheBase string, logf Logf) (string, Stamp, error) {
	dir := CopyDir(cacheBase, lt)
	key := Identity(lt)
	if st, err := ReadStamp(dir); err == nil && st.Key == key {
		return dir, st, nil
	}
	logf("preparing gotch %s for %s in %s", GotchVersion, lt, dir)
	if err := os.MkdirAll(cacheBase, 0o755); err != nil {
		return "", Stamp{}, fmt.Errorf("setup: %w", err)
	}
	tmp, err := os.MkdirTemp(cacheBase, ".tmp-gotch-")
	if err != nil {
		return "", Stamp{}, fmt.Errorf("setup: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := copyTree(src, tmp); err != nil {
		return "", Stamp{}, fmt.Errorf("setup: copying gotch from %s: %w", src, err)
	}
	flags := CgoFlags(lt)
	libtch := filepath.Join(tmp, "libtch")
	if err := os.WriteFile(filepath.Join(libtch, "lib.go"), []byte(flags.LibGo(lt)), 0o644); err != nil {
		return "", Stamp{}, fmt.Errorf("setup: %w", err)
	}
	replaced, compiled, err := buildArchive(tmp, flags, lt, BuildJobs(), logf)
	if err != nil {
		return "", Stamp{}, err
	}
	list := strings.Join(replaced, "\n")
	if list != "" {
		list += "\n"
	}
	if err := os.WriteFile(filepath.Join(tmp, replacedFile), []byte(list), 0o644); err != nil {
		return "", Stamp{}, fmt.Errorf("setup: %w", err)
	}
	built := lt
	built.Dist = compiled // what the shim was compiled with (Key stays that of lt as found)
	st := Stamp{Key: key, Libtorch: built, Flags: flags, ReplacedOps: len(replaced), Prepared: time.Now().UTC()}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, stampFile), b, 0o644); err != nil {
		return "", Stamp{}, fmt.Errorf("setup: %w", err)
	}
	// Swap in atomically: a killed setup never leaves a half copy behind.
	_ = os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		if st2, err2 := ReadStamp(dir); err2 == nil && st2.Key == key {
			return dir, st2, nil // a concurrent setup won the race
		}
		return "", Stamp{}, fmt.Errorf("setup: %w", err)
	}
	return dir, st, nil
}

func cxx() string {
	if c := os.Getenv("CXX"); c != "" {
		return c
	}
	return "g++"
}

// copyTree copies a directory, making everything writable (the module
// cache is read-only).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
