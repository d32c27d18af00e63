package bundle

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
)

// Archive is one written .tar.xz.
type Archive struct {
	Name   string `json:"name"`   // file name in the bundle
	Top    string `json:"top"`    // the one folder it unpacks to
	Files  int    `json:"files"`  // regular files inside
	Bytes  int64  `json:"bytes"`  // compressed size
	SHA256 string `json:"sha256"` // of the compressed file
}

// writeTarXz writes the files (relative to base) into dst as a tar whose
// entries sit under top/, compressed by `xz -9 -T0`. Entries are sorted,
// owned by root, with modes 0644 or 0755 (executables), so that unpacking
// gives a tree its owner can delete; modification times are kept.
func writeTarXz(ctx context.Context, dst, base, top string, files []string) (Archive, error) {
	a := Archive{Name: filepath.Base(dst), Top: top, Files: len(files)}
	out, err := os.Create(dst)
	if err != nil {
		return a, fmt.Errorf("bundle: %w", err)
	}
	defer out.Close()
	h := sha256.New()
	xz := exec.CommandContext(ctx, "xz", "-9", "-T0", "-c")
	xz.Stdout = io.MultiWriter(out, h)
	xz.Stderr = os.Stderr
	pipe, err := xz.StdinPipe()
	if err != nil {
		return a, fmt.Errorf("bundle: %w", err)
	}
	if err := xz.Start(); err != nil {
		return a, fmt.Errorf("bundle: running xz (install it: apt-get install xz-utils): %w", err)
	}
	werr := writeTar(pipe, base, top, files)
	cerr := pipe.Close()
	xerr := xz.Wait()
	for _, e := range []error{werr, cerr, xerr} {
		if e != nil {
			return a, fmt.Errorf("bundle: writing %s: %w", dst, e)
		}
	}
	if err := out.Close(); err != nil {
		return a, fmt.Errorf("bundle: %w", err)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return a, fmt.Errorf("bundle: %w", err)
	}
	a.Bytes = fi.Size()
	a.SHA256 = hex.EncodeToString(h.Sum(nil))
	return a, nil
}

func writeTar(w io.Writer, base, top string, files []string) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	sorted := append([]string(nil), files...)
	sort.Strings(sorted)
	for _, rel := range sorted {
		name := path.Join(top, filepath.ToSlash(rel))
		// Parent directories first, each once.
		var parents []string
		for d := path.Dir(name); d != "." && !dirs[d]; d = path.Dir(d) {
			parents = append(parents, d)
			dirs[d] = true
		}
		for i := len(parents) - 1; i >= 0; i-- {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: parents[i] + "/", Mode: 0o755}); err != nil {
				return err
			}
		}
		if err := addFile(tw, filepath.Join(base, rel), name); err != nil {
			return err
		}
	}
	return tw.Close()
}

func addFile(tw *tar.Writer, src, name string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	mode := int64(0o644)
	if fi.Mode()&0o111 != 0 {
		mode = 0o755
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: fi.Size(), ModTime: fi.ModTime()}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	return nil
}
