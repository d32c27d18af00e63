package study

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/metrics"
)

// Files a study adds to a run folder.
const (
	studyRunFile     = "study-run.json"    // written before training: identity and hash
	studyResultFile  = "study-result.json" // written when the run is finished: its Row
	crossMetricsFile = "cross_metrics.json"
)

// runMeta is study-run.json.
type runMeta struct {
	Arm    string      `json:"arm"`
	Fold   int         `json:"fold"`
	Seed   int64       `json:"seed"`
	Hash   string      `json:"config_hash"`
	Config dskd.Config `json:"config"`
	// WallSeconds is the time spent in dskd.Train or dskd.Resume by earlier
	// calls: to their end when they stopped cleanly (a stop or a cancelled
	// context), to their last checkpoint when they were killed.
	WallSeconds float64 `json:"wall_seconds"`
}

// runState is what a run folder holds.
type runState struct {
	meta    *runMeta // nil: not started
	row     *Row     // non-nil: finished
	resume  bool     // checkpoints to resume from
	refusal string   // why the folder does not fit the grid
}

// inspectRun reads a run folder without changing it.
func inspectRun(dir string, r Job) (runState, error) {
	var st runState
	runDir := filepath.Join(dir, r.Dir)
	_, ckErr := dskd.LatestCheckpoint(runDir)
	var meta runMeta
	if err := readJSONFile(filepath.Join(runDir, studyRunFile), &meta); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return st, err
		}
		if ckErr == nil {
			st.refusal = fmt.Sprintf("%s holds checkpoints of a run the study did not start", runDir)
		}
		return st, nil
	}
	st.meta = &meta
	if meta.Hash != r.Hash {
		what := strings.Join(configDiff(meta.Config, r.Config), "; ")
		if what == "" {
			what = "the fold's samples differ (another data set, split seed, fold count or val_fraction)"
		}
		st.refusal = fmt.Sprintf("%s was trained with config hash %s, the grid now gives %s: %s", runDir, meta.Hash, r.Hash, what)
		return st, nil
	}
	var row Row
	if err := readJSONFile(filepath.Join(runDir, studyResultFile), &row); err == nil {
		row.Dir, row.Arm = r.Dir, r.Arm
		st.row = &row
		return st, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return st, err
	}
	st.resume = ckErr == nil
	return st, nil
}

// crossSet is the cross-domain data set of a study.
type crossSet struct {
	key     string // layout, absolute folder and size: a changed one is evaluated again
	samples []data.Sample
}

// runner executes the runs of one Study call.
type runner struct {
	dir     string
	opts    Options
	log     zerolog.Logger
	cross   *crossSet
	threads int
	// scoreLast: also score each finished run's last-epoch model.
	scoreLast bool
}

// errRunStopped marks a run that ended without finishing: a hook's dskd.ErrStop
// or the context's end. It stays resumable.
var errRunStopped = errors.New("study: run stopped")

// execute trains or resumes r unless finished, then scores it on the cross
// data set and its last-epoch model (Spec.ScoreLast) where those are
// missing, and returns its row.
func (x *runner) execute(ctx context.Context, r Job, st runState) (Row, error) {
	runDir := filepath.Join(x.dir, r.Dir)
	log := x.log.With().Str("run", r.ID()).Logger()
	if st.row == nil {
		row, err := x.train(ctx, r, st, runDir, log)
		if err != nil {
			return row, err
		}
		st.row = &row
	}
	row := *st.row
	if x.cross != nil && row.CrossKey != x.cross.key {
		res, err := x.crossEvaluate(ctx, r, runDir)
		if err != nil {
			return row, err
		}
		if err := writeJSON(filepath.Join(runDir, crossMetricsFile), res); err != nil {
			return row, err
		}
		row.Cross, row.CrossKey = scoresOf(res), x.cross.key
		if err := writeJSON(filepath.Join(runDir, studyResultFile), row); err != nil {
			return row, err
		}
	}
	if x.scoreLast && row.Last == nil {
		if err := x.scoreLastEpoch(ctx, r, runDir, &row); err != nil {
			return row, err
		}
		return row, writeJSON(filepath.Join(runDir, studyResultFile), row)
	}
	return row, nil
}

// needsWork reports whether a run folder's state leaves anything to do:
// training, or a score the spec asks for that its row lacks.
func (x *runner) needsWork(st runState) bool {
	return st.row == nil || (x.cross != nil && st.row.CrossKey != x.cross.key) || (x.scoreLast && st.row.Last == nil)
}

func (x *runner) train(ctx context.Context, r Job, st runState, runDir string, log zerolog.Logger) (Row, error) {
	meta := st.meta
	if meta == nil {
		meta = &runMeta{Arm: r.Arm, Fold: r.Fold, Seed: r.Seed, Hash: r.Hash, Config: r.Config}
		if err := os.MkdirAll(runDir, 0o755); err != nil {
			return Row{}, fmt.Errorf("study: %w", err)
		}
		if err := writeJSON(filepath.Join(runDir, studyRunFile), meta); err != nil {
			return Row{}, err
		}
	}
	// Runs share the process's libtorch generator: the trainer seeds and
	// draws the initial weights under one lock (see seeded), so parallel
	// runs need no more coordination here.
	hooks := dskd.Hooks{}
	if x.opts.Hooks != nil {
		hooks = x.opts.Hooks(r)
	}
	start := time.Now()
	// The wall time so far goes to disk with each checkpoint, so a kill
	// loses only the time since the last one (which the resume redoes).
	user := hooks.OnEpochEnd
	hooks.OnEpochEnd = func(e dskd.EpochInfo) error {
		saved := *meta // meta.WallSeconds counts the earlier calls until this one returns
		saved.WallSeconds += time.Since(start).Seconds()
		if err := writeJSON(filepath.Join(runDir, studyRunFile), saved); err != nil {
			return err
		}
		if user != nil {
			return user(e)
		}
		return nil
	}
	opts := dskd.Options{Hooks: hooks, Logger: &log}
	var res *dskd.Result
	var err error
	if st.resume {
		log.Info().Msg("study: resuming")
		res, err = dskd.Resume(ctx, runDir, r.split, opts)
	} else {
		log.Info().Msg("study: training")
		res, err = dskd.Train(ctx, r.Config, r.split, opts)
	}
	meta.WallSeconds += time.Since(start).Seconds()
	stopped := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || (err == nil && res.Stopped)
	if stopped {
		if err := writeJSON(filepath.Join(runDir, studyRunFile), meta); err != nil {
			return Row{}, err
		}
		return Row{}, errRunStopped
	}
	if err != nil {
		return Row{}, err
	}
	row, err := rowFromResult(r, res)
	if err != nil {
		return row, err
	}
	row.WallSeconds = meta.WallSeconds
	row.Threads = meta.Config.Threads // a resumed run keeps the count it started with
	return row, writeJSON(filepath.Join(runDir, studyResultFile), row)
}

// crossEvaluate scores r's best model on every labelled image of the
// cross data set, with the run's threshold (picked on its validation
// split when the run did) and TTA setting.
func (x *runner) crossEvaluate(ctx context.Context, r Job, runDir string) (res metrics.Result, err error) {
	if err := ctx.Err(); err != nil {
		return res, errRunStopped
	}
	p, err := dskd.LoadPredictor(runDir, dskd.PredictOptions{InferOptions: r.Config.InferOptions(), Device: r.Config.Device, Threads: x.threads})
	if err != nil {
		return res, err
	}
	defer p.Close()
	x.log.Info().Str("run", r.ID()).Int("images", len(x.cross.samples)).Msg("study: cross-domain evaluation")
	return p.Evaluate(x.cross.samples, true)
}
