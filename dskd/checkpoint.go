package dskd

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/angioseg/dskd/internal/atomicfile"
	"github.com/angioseg/dskd/report"
)

// A run folder keeps its checkpoints under checkpoints/:
//
//	checkpoints/epoch-0007/  model.pt teacher.pt optim.pt state.json
//	checkpoints/best/        model.pt state.json
//
// Each is written into a temporary folder and renamed into place, so a kill
// at any moment leaves the previous complete checkpoint.
const (
	checkpointsDir = "checkpoints"
	bestDir        = "best"
	stateFile      = "state.json"
	modelFile      = "model.pt"
	teacherFile    = "teacher.pt"
	optimFile      = "optim.pt"
)

// State is the JSON part of a checkpoint: everything but the tensors.
type State struct {
	Epoch     int                  `json:"epoch"` // last completed epoch, 0-based
	Step      int64                `json:"step"`  // optimizer steps so far
	Config    Config               `json:"config"`
	BestEpoch int                  `json:"best_epoch"`
	BestScore float64              `json:"best_score"` // validation Dice (pooled) of the best epoch; -1 before any
	History   []report.EpochRecord `json:"history"`
	Model     string               `json:"model"`
	Teacher   bool                 `json:"teacher"` // teacher.pt present
	// Scaler is the fp16 gradient scaler (nil in other precisions).
	Scaler *ScalerState `json:"scaler,omitempty"`
	// WorldSize is the number of processes that trained (data-parallel);
	// 0 or 1: one.
	WorldSize int `json:"world_size,omitempty"`
	// Partial is the epoch in progress when the checkpoint was written
	// between two steps (a stop by signal or context); nil at the end of
	// an epoch.
	Partial *PartialEpoch `json:"partial,omitempty"`
	// Files holds the SHA-256 (hex) of each tensor file of the checkpoint
	// (model.pt, teacher.pt, optim.pt); state.json is written after them.
	// Resume skips a checkpoint whose files do not match. Empty in
	// checkpoints of dskd versions before it existed.
	Files map[string]string `json:"files,omitempty"`
}

func epochDirName(epoch int) string { return fmt.Sprintf("epoch-%04d", epoch) }

// writeAtomicDir fills a temporary sibling of dir with fill and renames it to
// dir, replacing an older one (see atomicfile.WriteDir).
func writeAtomicDir(dir string, fill func(tmp string) error) error {
	var fillErr error
	err := atomicfile.WriteDir(dir, func(tmp string) error {
		fillErr = fill(tmp)
		return fillErr
	})
	switch {
	case err == nil:
		return nil
	case err == fillErr: // fill's own error names its package already
		return err
	}
	return fmt.Errorf("dskd: %w", err)
}

func writeJSON(path string, v any) error {
	if err := atomicfile.WriteJSON(path, v); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	return nil
}

// ReadState reads the state.json of a checkpoint folder.
func ReadState(dir string) (State, error) {
	var s State
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return s, fmt.Errorf("dskd: checkpoint %s: %w", dir, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("dskd: checkpoint %s: %w", dir, err)
	}
	return s, nil
}

// checkpointOrder orders a checkpoint folder name: epoch-E (the end of
// epoch E) after epoch-E-step-S (S steps into epoch E); ok is false for
// other names.
func checkpointOrder(name string) (epoch, steps int, ok bool) {
	rest, found := strings.CutPrefix(name, "epoch-")
	if !found {
		return 0, 0, false
	}
	ep, st, partial := strings.Cut(rest, "-step-")
	e, err := strconv.Atoi(ep)
	if err != nil {
		return 0, 0, false
	}
	if !partial {
		return e, math.MaxInt, true
	}
	s, err := strconv.Atoi(st)
	if err != nil {
		return 0, 0, false
	}
	return e, s, true
}

// epochCheckpoints lists the complete checkpoints of a run (those of
// finished epochs and of stops between two steps), oldest first.
func epochCheckpoints(runDir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(runDir, checkpointsDir))
	if err != nil {
		return nil, err
	}
	type ck struct {
		epoch, steps int
		dir          string
	}
	var cks []ck
	for _, e := range entries {
		ep, st, ok := checkpointOrder(e.Name())
		if !e.IsDir() || !ok {
			continue
		}
		dir := filepath.Join(runDir, checkpointsDir, e.Name())
		if _, err := os.Stat(filepath.Join(dir, stateFile)); err == nil {
			cks = append(cks, ck{ep, st, dir})
		}
	}
	sort.Slice(cks, func(i, j int) bool {
		if cks[i].epoch != cks[j].epoch {
			return cks[i].epoch < cks[j].epoch
		}
		return cks[i].steps < cks[j].steps
	})
	dirs := make([]string, len(cks))
	for i, c := range cks {
		dirs[i] = c.dir
	}
	return dirs, nil
}

// LatestCheckpoint returns the newest complete epoch checkpoint of a run.
func LatestCheckpoint(runDir string) (string, error) {
	dirs, err := epochCheckpoints(runDir)
	if err != nil || len(dirs) == 0 {
		return "", fmt.Errorf("dskd: no checkpoint under %s/%s", runDir, checkpointsDir)
	}
	return dirs[len(dirs)-1], nil
}

// BestCheckpoint returns the best-on-validation checkpoint of a run.
func BestCheckpoint(runDir string) (string, error) {
	dir := filepath.Join(runDir, checkpointsDir, bestDir)
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err != nil {
		return "", fmt.Errorf("dskd: no best checkpoint in %s", runDir)
	}
	return dir, nil
}

// pruneCheckpoints keeps the newest keep checkpoints of finished epochs,
// and no checkpoint of a stop older than the newest of those.
func pruneCheckpoints(runDir string, keep int) error {
	all, err := epochCheckpoints(runDir)
	if err != nil {
		return nil
	}
	var dirs []string // finished epochs, oldest first
	for _, d := range all {
		if _, steps, _ := checkpointOrder(filepath.Base(d)); steps == math.MaxInt {
			dirs = append(dirs, d)
		} else if err := os.RemoveAll(d); err != nil { // a finished epoch follows it
			return fmt.Errorf("dskd: %w", err)
		}
	}
	for len(dirs) > keep {
		if err := os.RemoveAll(dirs[0]); err != nil {
			return fmt.Errorf("dskd: %w", err)
		}
		dirs = dirs[1:]
	}
	return nil
}
