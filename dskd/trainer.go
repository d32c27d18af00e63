package dskd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/distributed"
	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/atomicfile"
	"github.com/angioseg/dskd/internal/progress"
	"github.com/angioseg/dskd/internal/runlock"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/metrics"
	"github.com/angioseg/dskd/models"
	"github.com/angioseg/dskd/optim"
	"github.com/angioseg/dskd/report"
)

// Options are the parts of a run that are not configuration.
type Options struct {
	Hooks Hooks
	// Logger receives one line per epoch and progress lines within an epoch.
	// nil: a console logger on stderr.
	Logger *zerolog.Logger
	// Overwrite lets Train start over in a run folder that already holds
	// checkpoints (they are removed). Without it, Train refuses.
	Overwrite bool
	// Distributed makes this process one rank of a data-parallel run (see
	// package distributed and distributed.go): Config.BatchSize is then per rank,
	// each epoch is sharded across the ranks, and rank 0 alone validates,
	// logs and writes the run folder. nil: the torchrun-style environment
	// (RANK, WORLD_SIZE, ...; distributed.FromEnv), else a single process. Hooks
	// run on every rank, except OnEpochEnd (rank 0 only, whose ErrStop
	// stops every rank); an OnStep that stops must do so on every rank.
	Distributed *distributed.Config
	// Files are JSON files (name → value) written into the run folder
	// when the run starts, under its lock: a caller's own record of the
	// run (the command line keeps its data set flags there, so that
	// `--resume` needs only the folder). nil: none.
	Files map[string]any
}

// Result is what a finished (or stopped) run reports.
type Result struct {
	RunDir    string
	History   []report.EpochRecord
	BestEpoch int
	BestScore float64 // pooled validation Dice of the best epoch
	Threshold float64 // used for the test report
	// Validation holds the best model's metrics on the validation split.
	Validation metrics.Result
	// Test holds the best model's metrics on the test split, nil without one.
	Test    *metrics.Result
	Stopped bool // a hook returned ErrStop
	// Rank is this process's rank in a distributed run (0 otherwise). Only
	// rank 0's Result carries the history and metrics: the other ranks'
	// have RunDir, Rank and BestEpoch -1.
	Rank int
}

// trainer is one run's state; all its tensor work runs on one Worker.
type trainer struct {
	cfg     Config
	split   data.Split
	opts    Options
	log     zerolog.Logger
	device  gotch.Device
	norm    data.Normalization
	student *models.UNet
	teacher *selfTeacher  // a no-op when the objective needs none
	prec    *precision    // autocast and the fp16 scaler; a no-op in fp32
	dist    *dataParallel // nil (a no-op) when training alone
	opt     *optim.Optimizer
	obj     *losses.Objective
	state   State
	prog    *progress.Reporter
	clock   *lapTimer         // nil: steps are not timed by phase
	unl     *unlabelledStream // the epoch's unlabelled batches; nil without
	probe   *gradProbe        // per-term gradients (Config.GradNorms); nil when off
}

// Train runs a whole training on split (Train required; Val carved from
// Train when empty; Test optional) and evaluates the best model.
func Train(ctx context.Context, cfg Config, split data.Split, opts Options) (*Result, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	if len(split.Train) == 0 {
		return nil, errors.New("dskd: the training split is empty")
	}
	dc, err := distConfig(opts)
	if err != nil {
		return nil, err
	}
	lock, err := lockRun(cfg.OutDir, dc, opts)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if dirs, _ := epochCheckpoints(cfg.OutDir); len(dirs) > 0 && (dc == nil || dc.Rank == 0) {
		if !opts.Overwrite {
			return nil, fmt.Errorf("dskd: %s already holds checkpoints: resume it, choose another out_dir, or overwrite", cfg.OutDir)
		}
		if err := os.RemoveAll(filepath.Join(cfg.OutDir, checkpointsDir)); err != nil {
			return nil, fmt.Errorf("dskd: %w", err)
		}
	}
	state := State{Epoch: -1, Config: cfg, BestEpoch: -1, BestScore: -1}
	return run(ctx, state, "", split, opts, dc)
}

// Resume continues the run in runDir from its newest checkpoint, with the
// configuration stored there, and yields the same trajectory as a run that
// was never interrupted (same libtorch, device and thread count).
func Resume(ctx context.Context, runDir string, split data.Split, opts Options) (*Result, error) {
	dc, err := distConfig(opts)
	if err != nil {
		return nil, err
	}
	lock, err := lockRun(runDir, dc, opts)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	dir, skipped, err := resumePoint(runDir)
	log := runLogger(opts)
	for _, s := range skipped {
		log.Warn().Msgf("checkpoint skipped, not whole: %s", s)
	}
	if err != nil {
		return nil, err
	}
	st, err := ReadState(dir)
	if err != nil {
		return nil, err
	}
	st.Config.OutDir = runDir
	return run(ctx, st, dir, split, opts, dc)
}

// lockRun takes the run folder's one-writer lock (package runlock) and
// tidies what a killed writer left in it (atomicfile.Recover); only rank
// 0 writes the folder, so the other ranks of a distributed run do neither.
func lockRun(dir string, dc *distributed.Config, opts Options) (*runlock.Lock, error) {
	if dc != nil && dc.Rank != 0 {
		return nil, nil
	}
	l, err := runlock.Acquire(dir)
	if err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	done, err := atomicfile.Recover(dir)
	if err != nil {
		l.Release()
		return nil, fmt.Errorf("dskd: tidying the run folder: %w", err)
	}
	log := runLogger(opts)
	for _, d := range done {
		log.Info().Msgf("run folder tidied after an earlier kill: %s", d)
	}
	return l, nil
}

// run trains from st (and checkpoint folder from, when resuming); dc is
// the distributed configuration Train or Resume read (nil: one process).
func run(ctx context.Context, st State, from string, split data.Split, opts Options, dc *distributed.Config) (*Result, error) {
	cfg := st.Config
	if len(split.Train) == 0 {
		return nil, errors.New("dskd: the training split is empty")
	}
	log := runLogger(opts)
	rank0 := dc == nil || dc.Rank == 0
	if !rank0 { // rank 0 speaks for the run; the others only warn
		log = log.Level(zerolog.WarnLevel).With().Int("rank", dc.Rank).Logger()
	}
	if cfg.Unlabelled == nil {
		split.Unlabelled = nil // unused: not even checked
	}
	split, left, err := checkData(cfg, split, log)
	if err != nil {
		return nil, err
	}
	if len(split.Val) == 0 {
		frac := cfg.ValFraction
		count := 0
		if float64(len(split.Train))*frac < 1 {
			count = 1
			frac = 0
		}
		if split, err = split.WithValidation(frac, count, cfg.Seed); err != nil {
			return nil, fmt.Errorf("dskd: carving a validation split: %w", err)
		}
	}
	if cfg.GradNorms > 0 && dc != nil && dc.WorldSize > 1 {
		return nil, errors.New("dskd: grad_norms is not supported in a data-parallel run: measure on one process")
	}
	if cfg.Labels > 0 { // after the carve: validation keeps its masks
		if split, err = split.HideLabels(cfg.Labels, cfg.Seed); err != nil {
			return nil, fmt.Errorf("dskd: labels: %w", err)
		}
	}
	t := &trainer{cfg: rankConfig(cfg, dc), split: split, opts: opts, state: st, log: log}
	every := cfg.ProgressEvery
	if !rank0 {
		every = -1
	}
	t.prog = progress.New(log, progress.Options{Epochs: cfg.Epochs, Every: every,
		Live: rank0 && opts.Logger == nil && progress.IsTerminal(os.Stderr)})
	t.norm, _ = parseNorm(cfg.Normalize)
	if rank0 {
		if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
			return nil, fmt.Errorf("dskd: %w", err)
		}
		if err := writeJSON(filepath.Join(cfg.OutDir, "config.json"), cfg); err != nil {
			return nil, err
		}
		if err := report.WriteSplitJSON(filepath.Join(cfg.OutDir, report.SplitFile), report.NewSplitInfo(split, left)); err != nil {
			return nil, err
		}
		for name, v := range opts.Files {
			if err := writeJSON(filepath.Join(cfg.OutDir, name), v); err != nil {
				return nil, err
			}
		}
		defer t.writeReport() // also after an error: the page shows what is on disk
	}
	var res *Result
	w := engine.NewWorker()
	defer w.Close()
	err = w.Do(func() error {
		if err := t.build(from); err != nil {
			return err
		}
		defer t.free()
		if dc != nil {
			if err := t.joinGroup(*dc); err != nil {
				return err
			}
			defer t.dist.leave()
		}
		t.state.checkWorldSize(t.worldSize(), from, t.log)
		if from == "" {
			t.logStart()
		}
		var err error
		res, err = t.loop(ctx)
		return err
	})
	return res, err
}

// generatorMu guards libtorch's random generator, which is one per process:
// runs started at once in one process (a study with several jobs) would
// otherwise draw each other's initial weights.
// seeded runs fn, which draws from libtorch's generator, right after
// seeding it, with no other draw in between.
// build creates the models, optimizer and objective on the worker thread,
// and restores them from a checkpoint folder when from is set.
// logStart logs what a new run trains.
func (t *trainer) loop(ctx context.Context) (*Result, error) {
	cfg := t.cfg
	res := &Result{RunDir: cfg.OutDir}
	from := t.state.Partial // resuming an epoch stopped between two steps
	t.state.Partial = nil
	next := 0
	if from != nil {
		next = from.Steps
	}
	if err := t.probe.resume(cfg.OutDir, t.state.Epoch+1, next); err != nil {
		return nil, err
	}
	for epoch := t.state.Epoch + 1; epoch < cfg.Epochs; epoch++ {
		rec, err := t.trainEpoch(ctx, epoch, from)
		from = nil
		if errors.Is(err, ErrStop) {
			res.Stopped = true
			break
		}
		if err != nil {
			return nil, err
		}
		stop := false
		if t.rank0() {
			stop, err = t.endEpoch(epoch, rec)
			if err != nil {
				return nil, err
			}
		} else {
			t.state.Epoch = epoch
		}
		if t.dist != nil {
			if stop, err = t.dist.decide(stop); err != nil {
				return nil, err
			}
		}
		if stop {
			res.Stopped = true
			break
		}
	}
	return t.finish(res)
}
