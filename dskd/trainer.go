package dskd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/distributed"
	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/internal/progress"
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
	// package dist and distributed.go): Config.BatchSize is then per rank,
	// each epoch is sharded across the ranks, and rank 0 alone validates,
	// logs and writes the run folder. nil: the torchrun-style environment
	// (RANK, WORLD_SIZE, ...; distributed.FromEnv), else a single process. Hooks
	// run on every rank, except OnEpochEnd (rank 0 only, whose ErrStop
	// stops every rank); an OnStep that stops must do so on every rank.
	Distributed *distributed.Config
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
	teacher *models.UNet // nil when the objective needs none
	hasT    bool         // teacher holds a valid snapshot
	dist    *dataParallel // nil when training alone
	ema     []emaPair    // teacher/student variable pairs, built on the first EMA update
	opt     *optim.Optimizer
	obj     *losses.Objective
	scaler  *gradScaler // fp16 only
	state   State
	prog    *progress.Reporter
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
	if dirs, _ := epochCheckpoints(cfg.OutDir); len(dirs) > 0 && (dc == nil || dc.Rank == 0) {
		if !opts.Overwrite {
			return nil, fmt.Errorf("dskd: %s already holds checkpoints: resume it, choose another out_dir, or overwrite", cfg.OutDir)
		}
		if err := os.RemoveAll(filepath.Join(cfg.OutDir, checkpointsDir)); err != nil {
			return nil, fmt.Errorf("dskd: %w", err)
		}
	}
	state := State{Epoch: -1, Config: cfg, BestEpoch: -1, BestScore: -1}
	return run(ctx, state, "", split, opts)
}

// Resume continues the run in runDir from its newest checkpoint, with the
// configuration stored there, and yields the same trajectory as a run that
// was never interrupted (same libtorch, device and thread count).
func Resume(ctx context.Context, runDir string, split data.Split, opts Options) (*Result, error) {
	dir, err := LatestCheckpoint(runDir)
	if err != nil {
		return nil, err
	}
	st, err := ReadState(dir)
	if err != nil {
		return nil, err
	}
	st.Config.OutDir = runDir
	return run(ctx, st, dir, split, opts)
}

func run(ctx context.Context, st State, from string, split data.Split, opts Options) (*Result, error) {
	cfg := st.Config
	if len(split.Train) == 0 {
		return nil, errors.New("dskd: the training split is empty")
	}
	dc, err := distConfig(opts)
	if err != nil {
		return nil, err
	}
	log := runLogger(opts)
	rank0 := dc == nil || dc.Rank == 0
	if !rank0 { // rank 0 speaks for the run; the others only warn
		log = log.Level(zerolog.WarnLevel).With().Int("rank", dc.Rank).Logger()
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
		defer t.writeReport() // also after an error: the page shows what is on disk
	}
	var res *Result
	w := engine.NewWorker()
	defer w.Close()
	err = w.Do(func() error {
		if err := t.build(from); err != nil {
			return err
		}
		defer t.drop()
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
var generatorMu sync.Mutex

// seeded runs fn, which draws from libtorch's generator, right after
// seeding it, with no other draw in between.
func seeded(seed int64, fn func() error) error {
	generatorMu.Lock()
	defer generatorMu.Unlock()
	engine.ManualSeed(seed)
	return fn()
}

// build creates the models, optimizer and objective on the worker thread,
// and restores them from a checkpoint folder when from is set.
func (t *trainer) build(from string) error {
	cfg := t.cfg
	// cfg.Threads is validated >= 0 by WithDefaults; 0 = all cores. The
	// self-check falls back to fewer threads if libtorch computes wrong
	// convolutions with that many (or refuses a libtorch wrong on one).
	choice, err := engine.SetThreadsChecked(cfg.Threads)
	if err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	if choice.Warning != "" {
		t.log.Warn().Msg(choice.Warning)
	}
	if t.device, err = engine.ParseDevice(cfg.Device); err != nil {
		return err
	}
	if err := validPrecision(cfg.Precision, t.device); err != nil {
		return err
	}
	if t.device.IsCuda() {
		setCudnn(cfg)
	}
	if cfg.Precision == PrecisionFP16 {
		t.scaler = newGradScaler()
		if t.state.Scaler != nil && finiteScale(t.state.Scaler.Scale) {
			t.scaler.ScalerState = *t.state.Scaler // resuming
		}
	}
	if t.obj, err = losses.NewObjective(cfg.Loss); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	err = seeded(cfg.Seed, func() error {
		if t.student, err = models.New(cfg.Model, t.device); err != nil {
			return fmt.Errorf("dskd: %w", err)
		}
		if t.obj.NeedsTeacher() {
			if t.teacher, err = models.New(cfg.Model, t.device); err != nil {
				return fmt.Errorf("dskd: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if from == "" && cfg.InitWeights != "" {
		if err := loadInitWeights(t.student, cfg, t.log); err != nil {
			return err
		}
	}
	if t.opt, err = optim.New(cfg.Optimizer, t.student.VarStore()); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	t.state.Model = t.student.Name()
	if from == "" {
		return nil
	}
	if err := t.student.Load(filepath.Join(from, modelFile)); err != nil {
		return fmt.Errorf("dskd: resuming: %w", err)
	}
	if err := t.opt.Load(filepath.Join(from, optimFile)); err != nil {
		return fmt.Errorf("dskd: resuming: %w", err)
	}
	if t.teacher != nil && t.state.Teacher {
		if err := t.teacher.Load(filepath.Join(from, teacherFile)); err != nil {
			return fmt.Errorf("dskd: resuming: %w", err)
		}
		t.hasT = true
	}
	t.log.Info().Str("from", from).Int("next_epoch", t.state.Epoch+1).Msg("resuming")
	return nil
}

// logStart logs what a new run trains.
func (t *trainer) logStart() {
	ev := t.log.Info().Str("model", t.student.Name()).Int64("parameters", t.student.NumParameters()).
		Str("preset", t.cfg.Loss.Preset).Str("device", engine.DeviceName(t.device)).Int("threads", engine.Threads()).
		Int("train", len(t.split.Train)).Int("val", len(t.split.Val)).Int("test", len(t.split.Test))
	if n := t.worldSize(); n > 1 {
		ev = ev.Int("ranks", n).Int("global_batch", n*t.cfg.BatchSize)
	}
	ev.Msg("training")
}

func (t *trainer) drop() {
	t.opt.Drop()
}

func (t *trainer) loop(ctx context.Context) (*Result, error) {
	cfg := t.cfg
	res := &Result{RunDir: cfg.OutDir}
	for epoch := t.state.Epoch + 1; epoch < cfg.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("dskd: %w", err)
		}
		rec, err := t.trainEpoch(ctx, epoch)
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

// beginTeacher prepares the teacher for epoch: a snapshot of the student as
// it stood at the end of the previous epoch (or, for EMA, the first such
// snapshot, then updated every step).
func (t *trainer) beginTeacher(epoch int) error {
	if t.teacher == nil || epoch == 0 {
		return nil
	}
	if t.cfg.Teacher == TeacherEMA && t.hasT {
		return nil
	}
	if err := models.CopyVarStore(t.teacher.VarStore(), t.student.VarStore()); err != nil {
		return fmt.Errorf("dskd: teacher snapshot: %w", err)
	}
	t.hasT = true
	return nil
}

// emaPair is one teacher variable and the student variable it follows
// (borrowed handles; the models keep their VarStores alive).
type emaPair struct{ teacher, student *aten.Tensor }

// emaPairs matches teacher and student variables by name, once per run:
// the VarStores never change their variables after the models are built.
func (t *trainer) emaPairs() ([]emaPair, error) {
	if t.ema != nil {
		return t.ema, nil
	}
	sv := map[string]*aten.Tensor{}
	for _, v := range aten.Vars(t.student.VarStore()) {
		sv[v.Name] = v.T
	}
	for _, v := range aten.Vars(t.teacher.VarStore()) {
		s, ok := sv[v.Name]
		if !ok {
			return nil, fmt.Errorf("dskd: EMA: student has no %q", v.Name)
		}
		t.ema = append(t.ema, emaPair{teacher: v.T, student: s})
	}
	return t.ema, nil
}

// emaUpdate moves every teacher variable (weights and BN statistics)
// towards the student's: T ← d·T + (1−d)·S.
func (t *trainer) emaUpdate() error {
	pairs, err := t.emaPairs()
	if err != nil {
		return err
	}
	return engine.NoGrad(func() error {
		s := aten.NewScope()
		defer s.Close()
		for _, p := range pairs {
			if p.teacher.IsFloat() {
				s.LerpInPlace(p.teacher, p.student, 1-t.cfg.EMADecay)
			} else {
				s.CopyInPlace(p.teacher, p.student) // counters such as BN's num_batches_tracked
			}
		}
		if err := s.Err(); err != nil {
			return fmt.Errorf("dskd: EMA update: %w", err)
		}
		return nil
	})
}

func (t *trainer) trainEpoch(ctx context.Context, epoch int) (report.EpochRecord, error) {
	cfg := t.cfg
	start := time.Now()
	lr := cfg.Schedule.LR(cfg.LR, epoch, cfg.Epochs)
	if err := t.beginTeacher(epoch); err != nil {
		return report.EpochRecord{}, err
	}
	var shard data.Shard
	if t.dist != nil {
		shard = data.Shard{Rank: t.dist.cfg.Rank, Count: t.dist.cfg.WorldSize}
	}
	it, err := data.NewIterator(t.split.Train, data.IteratorConfig{
		BatchSize: cfg.BatchSize, Workers: cfg.Workers, Seed: cfg.Seed, Shuffle: true, Shard: shard,
		DropLast: shard.Len(len(t.split.Train)) >= cfg.BatchSize, Augment: *cfg.Augment, Normalize: t.norm, Logger: &t.log,
	}, epoch)
	if err != nil {
		return report.EpochRecord{}, fmt.Errorf("dskd: %w", err)
	}
	defer it.Close()
	steps := it.Len()
	if cfg.StepsPerEpoch > 0 && cfg.StepsPerEpoch < steps {
		steps = cfg.StepsPerEpoch
	}
	t.prog.Start(epoch, steps)
	defer t.prog.End()
	var sum losses.Breakdown // the epoch's sums, then means
	n := 0
	for step := 0; step < steps && it.Next(); step++ {
		if err := ctx.Err(); err != nil {
			return report.EpochRecord{}, fmt.Errorf("dskd: %w", err)
		}
		bd, err := t.trainStep(it.Batch(), epoch, step, lr)
		if err != nil {
			return report.EpochRecord{}, err
		}
		sum.Add(bd)
		n++
		if t.opts.Hooks.OnStep != nil {
			if err := t.opts.Hooks.OnStep(StepInfo{Epoch: epoch, Step: step, Steps: steps, GlobalStep: t.state.Step,
				LR: lr, Loss: bd, Student: t.student}); err != nil {
				return report.EpochRecord{}, err
			}
		}
		t.prog.Step(step, bd.Total)
	}
	if err := it.Err(); err != nil {
		return report.EpochRecord{}, fmt.Errorf("dskd: epoch %d: %w", epoch, err)
	}
	if n == 0 {
		return report.EpochRecord{}, fmt.Errorf("dskd: epoch %d had no batch (batch size %d, %d training samples)", epoch, cfg.BatchSize, len(t.split.Train))
	}
	if t.dist != nil { // the epoch's loss over every rank's batches
		if sum, n, err = t.dist.sumBreakdown(sum, n); err != nil {
			return report.EpochRecord{}, err
		}
	}
	mean := sum.Mean(n)
	rec := report.EpochRecord{Epoch: epoch, TrainLoss: mean.Total, LR: lr, Alpha: t.obj.Alpha(epoch, cfg.Epochs, t.hasT),
		LambdaDDL: t.obj.LambdaDDLAt(epoch, cfg.Epochs, t.hasT), Parts: mean.Values()}
	rec.Seconds = time.Since(start).Seconds()
	return rec, nil
}

func (t *trainer) trainStep(b *data.Batch, epoch, step int, lr float64) (losses.Breakdown, error) {
	s := aten.NewScope()
	defer s.Close()
	shape := b.Shape()
	x := input(s, b.Images, shape, t.device)
	y := input(s, b.Masks, shape, t.device)
	if err := s.Err(); err != nil {
		return losses.Breakdown{}, fmt.Errorf("dskd: batch to %s: %w", engine.DeviceName(t.device), err)
	}
	var tOut *models.Output
	if t.hasT {
		err := engine.NoGrad(func() error {
			var err error
			mode := models.Eval
			if t.cfg.TeacherBN == TeacherBNBatch {
				mode = models.BatchStats
			}
			tOut, err = forwardWith(t.device, t.cfg.Precision, func() (*models.Output, error) { return t.teacher.ForwardMode(x, mode) })
			return err
		})
		if err != nil {
			return losses.Breakdown{}, fmt.Errorf("dskd: teacher forward: %w", err)
		}
		defer tOut.Drop()
	}
	if t.dist != nil {
		if err := t.dist.reducer.BeforeForward(); err != nil {
			return losses.Breakdown{}, fmt.Errorf("dskd: %w", err)
		}
	}
	out, err := forward(t.student, t.device, t.cfg.Precision, x, true)
	if err != nil {
		return losses.Breakdown{}, fmt.Errorf("dskd: forward: %w", err)
	}
	defer out.Drop()
	loss, bd, err := t.obj.Compute(out, tOut, y, epoch, t.cfg.Epochs)
	if err != nil {
		return bd, fmt.Errorf("dskd: loss at epoch %d step %d: %w", epoch, step, err)
	}
	s.Adopt(loss)
	if !finite(bd.Total) {
		last := "none (no epoch finished yet)"
		if dir, err := LatestCheckpoint(t.cfg.OutDir); err == nil {
			last = dir
		}
		return bd, fmt.Errorf("dskd: non-finite loss %v at epoch %d step %d (%s); the last good checkpoint is %s",
			bd.Total, epoch, step, bd, last)
	}
	if err := t.opt.ZeroGrad(); err != nil {
		return bd, fmt.Errorf("dskd: %w", err)
	}
	if t.scaler != nil {
		loss = s.MulScalar(loss, t.scaler.Scale)
	}
	if t.dist != nil {
		if err := t.dist.reducer.BeforeBackward(loss); err != nil {
			return bd, fmt.Errorf("dskd: %w", err)
		}
	}
	// With a Reducer, backward also averages the gradients across ranks.
	if s.Backward(loss); s.Err() != nil {
		return bd, fmt.Errorf("dskd: backward at epoch %d step %d%s: %w", epoch, step, t.dist.as(), s.Err())
	}
	if err := t.dist.syncBuffers(); err != nil {
		return bd, err
	}
	t.state.Step++
	if t.scaler != nil {
		finite, err := t.opt.ScaleGrads(1 / t.scaler.Scale)
		if err != nil {
			return bd, fmt.Errorf("dskd: %w", err)
		}
		t.scaler.update(finite)
		if !finite { // float16 overflow: skip the step, retry at half the scale
			t.log.Debug().Int("epoch", epoch).Int("step", step).Float64("scale", t.scaler.Scale).Msg("fp16 gradients overflowed: step skipped")
			return bd, nil
		}
	}
	if err := t.opt.Step(lr); err != nil {
		return bd, fmt.Errorf("dskd: %w", err)
	}
	if t.cfg.Teacher == TeacherEMA && t.hasT {
		if err := t.emaUpdate(); err != nil {
			return bd, err
		}
	}
	return bd, nil
}

// endEpoch validates, checkpoints, writes the curves and calls the hook.
func (t *trainer) endEpoch(epoch int, rec report.EpochRecord) (bool, error) {
	val, err := t.evaluate(t.split.Val, float32(t.cfg.Threshold), false)
	if err != nil {
		return false, err
	}
	dice, _ := val.Get(metrics.MetricDice)
	rec.ValDice = dice.Pooled
	rec.ValScores = map[string]float64{}
	for _, m := range []metrics.Metric{metrics.MetricIoU, metrics.MetricSensitivity, metrics.MetricPrecision, metrics.MetricAUC} {
		if s, ok := val.Get(m); ok {
			rec.ValScores["val_"+string(m)] = s.Pooled
		}
	}
	t.state.Epoch = epoch
	t.state.History = append(t.state.History, rec)
	best := !math.IsNaN(rec.ValDice) && rec.ValDice > t.state.BestScore
	if best {
		t.state.BestScore, t.state.BestEpoch = rec.ValDice, epoch
	}
	// The best model first: an epoch checkpoint that names epoch e as the
	// best must never exist while best/ still holds an older model (a kill
	// between the two writes would resume into a stale best; the resumed
	// run recomputes epoch e exactly and rewrites best/ instead).
	if best {
		if err := t.saveBest(); err != nil {
			return false, err
		}
	}
	ck := filepath.Join(t.cfg.OutDir, checkpointsDir, epochDirName(epoch))
	if err := t.saveCheckpoint(ck); err != nil {
		return false, err
	}
	if err := pruneCheckpoints(t.cfg.OutDir, t.cfg.KeepLast); err != nil {
		return false, err
	}
	if err := report.WriteMetricsCSVFile(filepath.Join(t.cfg.OutDir, "metrics.csv"), t.state.History); err != nil {
		return false, err
	}
	if err := report.WriteCurves(filepath.Join(t.cfg.OutDir, "curves.png"), t.state.History); err != nil {
		return false, err
	}
	ev := t.log.Info().Int("epoch", epoch).Float64("loss", round4(rec.TrainLoss))
	for _, k := range t.obj.Terms() {
		ev = ev.Float64(k, round4(rec.Parts[k]))
	}
	ev.Float64("val_dice", round4(rec.ValDice)).Float64("lr", roundSig(rec.LR, 4)).Float64("alpha", round4(rec.Alpha)).
		Str("time", fmt.Sprintf("%.1fs", rec.Seconds)).Bool("best", best).Msg("epoch")
	if t.opts.Hooks.OnEpochEnd != nil {
		err := t.opts.Hooks.OnEpochEnd(EpochInfo{Record: rec, Best: best, Checkpoint: ck})
		if errors.Is(err, ErrStop) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
	return false, nil
}

// runLogger is opts.Logger, or ConsoleLogger.
func runLogger(opts Options) zerolog.Logger {
	if opts.Logger != nil {
		return *opts.Logger
	}
	return ConsoleLogger()
}

// ConsoleLogger is the logger of a run without Options.Logger: human-readable
// lines on stderr (colours on a terminal only).
func ConsoleLogger() zerolog.Logger {
	return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05", NoColor: !progress.IsTerminal(os.Stderr)}).With().Timestamp().Logger()
}

// writeReport writes report.html from the run folder; a failure is
// logged, never fatal to a run that trained.
func (t *trainer) writeReport() {
	if err := report.WriteHTML(t.cfg.OutDir); err != nil {
		t.log.Warn().Err(err).Msg("report.html not written")
		return
	}
	t.log.Info().Str("report", filepath.Join(t.cfg.OutDir, report.ReportFile)).Msg("report written")
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// roundSig rounds v to n significant digits (a learning rate of
// 0.0005000000000000002 logs as 0.0005).
func roundSig(v float64, n int) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', n, 64), 64)
	return r
}

func (t *trainer) saveCheckpoint(dir string) error {
	st := t.state
	if t.scaler != nil {
		sc := t.scaler.ScalerState
		st.Scaler = &sc
	}
	st.Teacher = t.teacher != nil && t.hasT
	return writeAtomicDir(dir, func(tmp string) error {
		if err := t.student.Save(filepath.Join(tmp, modelFile)); err != nil {
			return fmt.Errorf("dskd: %w", err)
		}
		if st.Teacher {
			if err := t.teacher.Save(filepath.Join(tmp, teacherFile)); err != nil {
				return fmt.Errorf("dskd: %w", err)
			}
		}
		if err := t.opt.Save(filepath.Join(tmp, optimFile)); err != nil {
			return fmt.Errorf("dskd: %w", err)
		}
		return writeJSON(filepath.Join(tmp, stateFile), st)
	})
}

func (t *trainer) saveBest() error {
	st := t.state
	st.Teacher = false
	return writeAtomicDir(filepath.Join(t.cfg.OutDir, checkpointsDir, bestDir), func(tmp string) error {
		if err := t.student.Save(filepath.Join(tmp, modelFile)); err != nil {
			return fmt.Errorf("dskd: %w", err)
		}
		return writeJSON(filepath.Join(tmp, stateFile), st)
	})
}
