package study

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/internal/atomicfile"
	"github.com/angioseg/dskd/internal/runlock"
)

// reuseFinished takes, for every run of the grid that has no folder yet,
// a finished run of another study folder (one of from) with the same
// configuration hash: the hash covers the effective configuration and the
// names of the fold's samples, so the two runs measure the same thing.
// The run folder's files and its best model (checkpoints/best) are
// copied, not its other checkpoints or overlays: enough to report the run,
// score it in a seed ensemble and predict with it. With withLast
// (Spec.ScoreLast) its newest checkpoint is copied too, for its
// last-epoch model to be scored.
// It returns the number of runs taken.
func reuseFinished(dir string, runs []Job, from []string, withLast bool) (int, error) {
	finished := map[string]string{} // hash -> run folder
	for _, other := range from {
		abs, err := filepath.Abs(other)
		if err != nil {
			return 0, fmt.Errorf("study: reuse %s: %w", other, err)
		}
		if abs == dir {
			continue
		}
		results, err := filepath.Glob(filepath.Join(abs, "runs", "*", "*", studyResultFile))
		if err != nil {
			return 0, fmt.Errorf("study: reuse %s: %w", other, err)
		}
		if len(results) == 0 {
			if _, err := os.Stat(filepath.Join(abs, SpecFile)); err != nil {
				return 0, fmt.Errorf("study: reuse %s: not a study folder (no %s)", other, SpecFile)
			}
		}
		for _, res := range results {
			var meta runMeta
			if err := readJSONFile(filepath.Join(filepath.Dir(res), studyRunFile), &meta); err != nil {
				return 0, err
			}
			if _, dup := finished[meta.Hash]; !dup {
				finished[meta.Hash] = filepath.Dir(res)
			}
		}
	}
	n := 0
	for _, r := range runs {
		src, ok := finished[r.Hash]
		dst := filepath.Join(dir, r.Dir)
		if !ok {
			continue
		}
		if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
			continue // the grid's own folder, finished or not, wins
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return n, fmt.Errorf("study: %w", err)
		}
		if err := atomicfile.WriteDir(dst, func(tmp string) error { return copyRunFiles(src, tmp, withLast) }); err != nil {
			return n, fmt.Errorf("study: reusing %s: %w", src, err)
		}
		n++
	}
	return n, nil
}

// copyRunFiles copies a run folder's own files and its best checkpoint
// (when it has one), with withLast its newest checkpoint too, from src
// into dst.
func copyRunFiles(src, dst string, withLast bool) error {
	if err := copyFiles(src, dst); err != nil {
		return err
	}
	best, err := dskd.BestCheckpoint(src)
	if err != nil {
		return nil // a snapshot without models (tools/study-snapshot.sh)
	}
	if err := copyCheckpoint(src, best, dst); err != nil {
		return err
	}
	if !withLast {
		return nil
	}
	last, err := dskd.LatestCheckpoint(src)
	if err != nil {
		return nil // the scoring names the run
	}
	return copyCheckpoint(src, last, dst)
}

// copyCheckpoint copies the checkpoint folder ck of the run folder src
// to the same place under dst.
func copyCheckpoint(src, ck, dst string) error {
	rel, err := filepath.Rel(src, ck)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dst, rel), 0o755); err != nil {
		return err
	}
	return copyFiles(ck, filepath.Join(dst, rel))
}

// copyFiles copies the regular files directly in src into dst.
func copyFiles(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == runlock.FileName {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return atomicfile.Write(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
