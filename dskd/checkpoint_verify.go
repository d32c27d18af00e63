package dskd

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// fileHashes is the SHA-256 of every tensor file (*.pt) in dir.
func fileHashes(dir string) (map[string]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.pt"))
	if err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	out := map[string]string{}
	for _, p := range names {
		h, err := hashFile(p)
		if err != nil {
			return nil, err
		}
		out[filepath.Base(p)] = h
	}
	return out, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("dskd: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("dskd: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// verifyCheckpoint checks that a checkpoint folder is whole: its state
// reads, and each tensor file has the checksum state.json records (for
// checkpoints written before checksums, each is a readable archive whose
// entries match their CRC-32). The error names the file at fault.
func verifyCheckpoint(dir string) error {
	st, err := ReadState(dir)
	if err != nil {
		return err
	}
	if len(st.Files) == 0 {
		return verifyArchives(dir, st)
	}
	names := make([]string, 0, len(st.Files))
	for n := range st.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		got, err := hashFile(filepath.Join(dir, n))
		if err != nil {
			return err
		}
		if got != st.Files[n] {
			return fmt.Errorf("dskd: %s: checksum %s…, state.json recorded %s…", filepath.Join(dir, n), got[:12], st.Files[n][:min(12, len(st.Files[n]))])
		}
	}
	return nil
}

// verifyArchives reads every entry of a checkpoint's torch archives (zip
// files), which checks their CRC-32s.
func verifyArchives(dir string, st State) error {
	files := []string{modelFile, optimFile}
	if st.Teacher {
		files = append(files, teacherFile)
	}
	for _, n := range files {
		p := filepath.Join(dir, n)
		zr, err := zip.OpenReader(p)
		if err != nil {
			return fmt.Errorf("dskd: %s: not a readable archive: %w", p, err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err == nil {
				_, err = io.Copy(io.Discard, rc)
				rc.Close()
			}
			if err != nil {
				zr.Close()
				return fmt.Errorf("dskd: %s: entry %s: %w", p, f.Name, err)
			}
		}
		zr.Close()
	}
	return nil
}

// resumePoint is the newest checkpoint of runDir that verifies, with a
// line for each newer one that did not (its name and why).
func resumePoint(runDir string) (string, []string, error) {
	dirs, err := epochCheckpoints(runDir)
	if err != nil || len(dirs) == 0 {
		return "", nil, fmt.Errorf("dskd: no checkpoint under %s/%s", runDir, checkpointsDir)
	}
	var skipped []string
	for i := len(dirs) - 1; i >= 0; i-- {
		err := verifyCheckpoint(dirs[i])
		if err == nil {
			return dirs[i], skipped, nil
		}
		skipped = append(skipped, fmt.Sprintf("%s: %v", filepath.Base(dirs[i]), strings.TrimPrefix(err.Error(), "dskd: ")))
	}
	return "", skipped, fmt.Errorf("dskd: no checkpoint of %s is whole:\n  %s", runDir, strings.Join(skipped, "\n  "))
}
