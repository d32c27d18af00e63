package study

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/dskd"
)

// EnsemblesDir holds a study's seed-ensemble scores: ensembles/ARM/fold-F.json.
const EnsemblesDir = "ensembles"

// EnsembleRow is the seed ensemble of one arm and fold (Spec.Ensembles):
// the mean vessel probability of the best models of all the fold's seeds,
// scored on the held-out fold.
type EnsembleRow struct {
	Arm    string   `json:"arm"`
	Preset string   `json:"preset"`
	Fold   int      `json:"fold"`
	Seeds  []int64  `json:"seeds"`
	Runs   []string `json:"runs"` // the members' run folders, relative to the study folder
	// Key names the members' configurations and best epochs: a member
	// trained again makes the ensemble scored again.
	Key string `json:"key"`
	// Threshold binarises the mean probability: picked on the inner
	// validation carve (the seeds share it) when the runs pick theirs
	// (ThresholdPicked), else the mean of the members' thresholds.
	Threshold       float64 `json:"threshold"`
	ThresholdPicked bool    `json:"threshold_picked"`
	// Scores are the held-out scores, keyed as Row.Scores ("val_dice":
	// the picked threshold's pooled validation Dice).
	Scores map[string]float64 `json:"scores"`
}

// Score is Row.Score for an ensemble.
func (e EnsembleRow) Score(key string) float64 { return Row{Scores: e.Scores}.Score(key) }

// ensembleGroup is one arm × fold of the grid: its seeds' runs.
type ensembleGroup struct {
	arm, preset string
	fold        int
	jobs        []Job // in seed order
}

func (g ensembleGroup) id() string { return fmt.Sprintf("%s/fold-%d ensemble", g.arm, g.fold) }

func (g ensembleGroup) file(dir string) string {
	return filepath.Join(dir, EnsemblesDir, g.arm, fmt.Sprintf("fold-%d.json", g.fold))
}

// ensembleGroups groups the grid's runs by arm and fold, in grid order.
func ensembleGroups(runs []Job) []ensembleGroup {
	var groups []ensembleGroup
	at := map[string]int{}
	for _, r := range runs {
		k := ensembleMapKey(r.Arm, r.Fold)
		i, ok := at[k]
		if !ok {
			i = len(groups)
			at[k] = i
			groups = append(groups, ensembleGroup{arm: r.Arm, preset: r.Preset, fold: r.Fold})
		}
		groups[i].jobs = append(groups[i].jobs, r)
	}
	return groups
}

// members returns the group's finished rows, in seed order, and whether
// every seed has finished.
func (g ensembleGroup) members(rows map[string]Row) ([]Row, bool) {
	var out []Row
	for _, j := range g.jobs {
		if row, ok := rows[pairKey(j.Arm, j.Fold, j.Seed)]; ok {
			out = append(out, row)
		}
	}
	return out, len(out) == len(g.jobs)
}

// ensembleKey names the members by configuration hash and best epoch.
func ensembleKey(members []Row) string {
	h := sha256.New()
	for _, m := range members {
		fmt.Fprintf(h, "%s:%d:%d\n", m.Hash, m.Seed, m.BestEpoch)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// loadEnsembles reads the saved ensemble rows that still match their
// members, and returns the groups whose ensemble is missing or stale and
// whose seeds have all finished.
func loadEnsembles(dir string, groups []ensembleGroup, rows map[string]Row) (map[string]EnsembleRow, []ensembleGroup, error) {
	have := map[string]EnsembleRow{}
	var todo []ensembleGroup
	for _, g := range groups {
		members, complete := g.members(rows)
		if !complete {
			continue
		}
		var e EnsembleRow
		err := readJSONFile(g.file(dir), &e)
		switch {
		case err == nil && e.Key == ensembleKey(members):
			have[ensembleMapKey(g.arm, g.fold)] = e
		case err == nil || errors.Is(err, os.ErrNotExist):
			todo = append(todo, g)
		default:
			return nil, nil, err
		}
	}
	return have, todo, nil
}

func ensembleMapKey(arm string, fold int) string { return fmt.Sprintf("%s\x00%d", arm, fold) }

// scoreEnsemble scores the seed ensemble of g, whose finished runs are
// members, on its held-out fold with threads CPU threads, and saves it.
func (x *runner) scoreEnsemble(ctx context.Context, g ensembleGroup, members []Row, threads int) (EnsembleRow, error) {
	if err := ctx.Err(); err != nil {
		return EnsembleRow{}, errRunStopped
	}
	first := g.jobs[0]
	e := EnsembleRow{Arm: g.arm, Preset: g.preset, Fold: g.fold, Key: ensembleKey(members)}
	paths := make([]string, len(g.jobs))
	for i, j := range g.jobs {
		if !sameSamples(j.split.Test, first.split.Test) || !sameSamples(j.split.Val, first.split.Val) {
			return e, fmt.Errorf("study: %s: runs %s and %s hold out different samples", g.id(), first.ID(), j.ID())
		}
		paths[i] = filepath.Join(x.dir, j.Dir)
		if _, err := dskd.BestCheckpoint(paths[i]); err != nil {
			return e, fmt.Errorf("study: %s: run %s has no best model (checkpoints/best): a run reused from a snapshot has none; copy it from the run that trained it", g.id(), j.ID())
		}
		e.Seeds, e.Runs = append(e.Seeds, j.Seed), append(e.Runs, j.Dir)
	}
	cfg := first.Config
	ens, err := dskd.LoadEnsemble(paths, dskd.PredictOptions{InferOptions: cfg.InferOptions(), Device: cfg.Device, Threads: threads})
	if err != nil {
		return e, err
	}
	defer ens.Close()
	x.log.Info().Str("ensemble", g.id()).Int("models", len(paths)).Int("images", len(first.split.Test)).Msg("study: scoring the seed ensemble")
	scores := map[string]float64{}
	if cfg.PickThreshold && len(first.split.Val) > 0 {
		_, valDice, err := ens.PickThreshold(first.split.Val)
		if err != nil {
			return e, err
		}
		scores["val_dice"] = valDice
		e.ThresholdPicked = true
	}
	res, err := ens.Evaluate(first.split.Test, true)
	if err != nil {
		return e, err
	}
	for k, v := range scoresOf(res) {
		scores[k] = v
	}
	e.Threshold, e.Scores = ens.Threshold(), scores
	if err := os.MkdirAll(filepath.Dir(g.file(x.dir)), 0o755); err != nil {
		return e, fmt.Errorf("study: %w", err)
	}
	return e, writeJSON(g.file(x.dir), e)
}

func sameSamples(a, b []data.Sample) bool {
	return slices.EqualFunc(a, b, func(x, y data.Sample) bool { return x.Name == y.Name })
}

// scoreEnsembles scores the todo groups one after the other, each with
// all threads, into have; failures go to failed by ensemble ID.
func (x *runner) scoreEnsembles(ctx context.Context, todo []ensembleGroup, rows map[string]Row, threads int,
	have map[string]EnsembleRow, failed map[string]string) (stopped bool) {
	for _, g := range todo {
		members, _ := g.members(rows)
		e, err := x.scoreEnsemble(ctx, g, members, threads)
		if x.recordEnsemble(g, e, err, have, failed) {
			return true
		}
	}
	return false
}

// recordEnsemble files the outcome of scoring g: the row into have, or
// the error into failed by ensemble ID. It reports a stop.
func (x *runner) recordEnsemble(g ensembleGroup, e EnsembleRow, err error, have map[string]EnsembleRow, failed map[string]string) (stopped bool) {
	switch {
	case errors.Is(err, errRunStopped):
		return true
	case err != nil:
		failed[g.id()] = err.Error()
		x.log.Error().Str("ensemble", g.id()).Err(err).Msg("study: seed ensemble failed")
	default:
		delete(failed, g.id())
		have[ensembleMapKey(g.arm, g.fold)] = e
		x.log.Info().Str("ensemble", g.id()).Float64("dice", round4(e.Score("dice_pooled"))).Msg("study: seed ensemble scored")
	}
	return false
}

// completedBy returns the group that run r's finish completed, with its
// members, when that group's ensemble is not scored yet (not in have
// with the members' key).
func completedBy(groups []ensembleGroup, r Job, rows map[string]Row, have map[string]EnsembleRow) (ensembleGroup, []Row, bool) {
	for _, g := range groups {
		if g.arm != r.Arm || g.fold != r.Fold {
			continue
		}
		members, complete := g.members(rows)
		if !complete {
			return g, nil, false
		}
		if e, ok := have[ensembleMapKey(g.arm, g.fold)]; ok && e.Key == ensembleKey(members) {
			return g, nil, false
		}
		return g, members, true
	}
	return ensembleGroup{}, nil, false
}
