package dskd

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
	"github.com/angioseg/dskd/optim"
)

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
	// engine's start-up: the allocator setting, then the self-check at
	// cfg.Threads (validated >= 0 by WithDefaults; 0 = all cores), which
	// falls back to fewer threads if libtorch computes wrong convolutions
	// with that many (or refuses a libtorch wrong on one).
	start, err := engine.Start(cfg.Threads)
	if err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	for _, line := range start.Lines() {
		t.log.Info().Msg(line)
	}
	if start.Threads.Warning != "" {
		t.log.Warn().Msg(start.Threads.Warning)
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
	t.prec = newPrecision(cfg.Precision, t.device, t.state.Scaler)
	if t.obj, err = losses.NewObjective(cfg.Loss); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	var teacher *models.UNet
	err = seeded(cfg.Seed, func() error {
		if t.student, err = models.New(cfg.Model, t.device); err != nil {
			return fmt.Errorf("dskd: %w", err)
		}
		if t.obj.NeedsTeacher() || cfg.Unlabelled != nil {
			if teacher, err = models.New(cfg.Model, t.device); err != nil {
				return fmt.Errorf("dskd: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	t.teacher = newSelfTeacher(teacher, t.student, cfg, t.prec)
	if from == "" && cfg.InitWeights != "" {
		if err := loadInitWeights(t.student, cfg, t.log); err != nil {
			return err
		}
	}
	if t.opt, err = optim.New(cfg.Optimizer, t.student.VarStore()); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	if t.probe, err = newGradProbe(cfg.GradNorms, t.student); err != nil {
		return err
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
	if t.teacher.exists() && t.state.Teacher {
		if err := t.teacher.model.Load(filepath.Join(from, teacherFile)); err != nil {
			return fmt.Errorf("dskd: resuming: %w", err)
		}
		t.teacher.ready = true
	}
	ev := t.log.Info().Str("from", from).Int("next_epoch", t.state.Epoch+1)
	if p := t.state.Partial; p != nil {
		ev = ev.Int("next_step", p.Steps)
	}
	ev.Msg("resuming")
	return nil
}

// logStart logs what a new run trains.
func (t *trainer) logStart() {
	ev := t.log.Info().Str("model", t.student.Name()).Int64("parameters", t.student.NumParameters()).
		Str("preset", string(t.cfg.Loss.Preset)).Str("device", engine.DeviceName(t.device)).Int("threads", engine.Threads()).
		Int("train", len(t.split.Train)).Int("val", len(t.split.Val)).Int("test", len(t.split.Test))
	if n := t.worldSize(); n > 1 {
		ev = ev.Int("ranks", n).Int("global_batch", n*t.cfg.BatchSize)
	}
	ev.Msg("training")
}

// free releases the optimizer's state.
func (t *trainer) free() {
	t.opt.Free()
}
