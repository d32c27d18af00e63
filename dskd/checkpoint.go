package dskd

import (
	"encoding/json"
	"fmt"
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
}

func epochDirName(epoch int) string { return fmt.Sprintf("epoch-%04d", epoch) }

// writeAtomicDir fills a temporary sibling of dir with fill and renames it to
// dir, replacing an older one (see atomicfile.WriteDir).
func writeAtomicDir(dir string, fill func(tmp string) error) error {
	if err := atomicfile.WriteDir(dir, fill); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	return nil
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

// epochCheckpoints lists the complete epoch checkpoints of a run, oldest first.
func epochCheckpoints(runDir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(runDir, checkpointsDir))
	if err != nil {
		return nil, err
	}
	type ck struct {
		epoch int
		dir   string
	}
	var cks []ck
	for _, e := range entries {
		n, ok := strings.CutPrefix(e.Name(), "epoch-")
		if !e.IsDir() || !ok {
			continue
		}
		ep, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		dir := filepath.Join(runDir, checkpointsDir, e.Name())
		if _, err := os.Stat(filepath.Join(dir, stateFile)); err == nil {
			cks = append(cks, ck{ep, dir})
		}
	}
	sort.Slice(cks, func(i, j int) bool { return cks[i].epoch < cks[j].epoch })
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

// pruneCheckpoints keeps the newest keep epoch checkpoints.
func pruneCheckpoints(runDir string, keep int) error {
	dirs, err := epochCheckpoints(runDir)
	if err != nil {
		return nil
	}
	for len(dirs) > keep {
		if err := os.RemoveAll(dirs[0]); err != nil {
			return fmt.Errorf("dskd: %w", err)
		}
		dirs = dirs[1:]
	}
	return nil
}
