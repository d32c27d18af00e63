package main

import (
	"flag"
	"fmt"

	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
)

// TrainFlags are the common training options. Flags given on the command
// line override the --config file, which overrides the defaults.
type TrainFlags struct {
	fs            *flag.FlagSet
	ConfigPath    string
	Out           string
	Epochs        int
	Batch         int
	Crop          int
	LR            float64
	Preset        string
	Teacher       string
	Schedule      string
	Device        string
	Threads       int
	Seed          int64
	Base          int
	Depth         int
	ValFraction   float64
	ValCount      int
	TTA           bool
	TTATurns      bool
	PickThreshold bool
	Select        string
	StepsPerEpoch int
	Repeat        int
	GradNorms     int
	InitWeights   string
	Precision     string
	ChannelsLast  bool
	MemoryFormat  string
	Deterministic bool
	Resume        bool
	Overwrite     bool
	Quiet         bool
	SkipBad       bool
	files         map[string]any // dskd.Options.Files of the run
}

// Register adds the flags to fs.
func (f *TrainFlags) Register(fs *flag.FlagSet, defaultOut string) {
	f.fs = fs
	fs.StringVar(&f.ConfigPath, "config", "", "JSON config file (dskd.Config); flags override it")
	fs.StringVar(&f.Out, "out", defaultOut, "run folder: checkpoints, metrics.csv, report.html, overlays")
	fs.IntVar(&f.Epochs, "epochs", 0, "epochs (default 50)")
	fs.IntVar(&f.Batch, "batch", 0, "batch size (default 4)")
	fs.IntVar(&f.Crop, "crop", 0, "training crop side (default 256; -1 = full images)")
	fs.Float64Var(&f.LR, "lr", 0, "initial learning rate (default 1e-3)")
	fs.StringVar(&f.Preset, "preset", "", "ablation: unet, deep-supervision, psdl, ddl, dskd (default dskd)")
	fs.StringVar(&f.Teacher, "teacher", "", "teacher: previous-epoch (default) or ema")
	fs.StringVar(&f.Schedule, "schedule", "", "learning-rate schedule: step (default), cosine, poly, constant")
	fs.StringVar(&f.Device, "device", "", "auto (default), cpu, cuda, cuda:N")
	fs.IntVar(&f.Threads, "threads", 0, "libtorch threads (default all cores)")
	fs.Int64Var(&f.Seed, "seed", 0, "seed for weights, splits, shuffling, augmentation (default 42)")
	fs.IntVar(&f.Base, "base", 0, "U-Net base width (default 32)")
	fs.IntVar(&f.Depth, "depth", 0, "U-Net depth (default 4)")
	fs.Float64Var(&f.ValFraction, "val-fraction", 0, "validation fraction carved from training data (default 0.1)")
	fs.IntVar(&f.ValCount, "val-count", 0, "validation images carved from training data (overrides --val-fraction)")
	fs.BoolVar(&f.TTA, "tta", false, "flip test-time augmentation at evaluation")
	fs.BoolVar(&f.TTATurns, "tta-turns", false, "test-time augmentation over flips and 90° turns (8 passes; implies --tta)")
	fs.BoolVar(&f.PickThreshold, "pick-threshold", false, "pick the threshold on validation (never test) for the test report")
	fs.StringVar(&f.Select, "select", "", "the model a run keeps and reports: best_val (default: the epoch of the best validation Dice) or last (the last epoch)")
	fs.IntVar(&f.StepsPerEpoch, "steps-per-epoch", 0, "cap on batches per epoch (quick runs)")
	fs.IntVar(&f.Repeat, "repeat", 0, "draw each training image this many times per epoch, each with its own augmentation (default 1)")
	fs.IntVar(&f.GradNorms, "grad-norms", 0, "every N steps, write each loss term's gradient norm per part of the network to grad_norms.csv (default 0: off)")
	fs.StringVar(&f.InitWeights, "init-weights", "", "start from these weights (.safetensors or .pt, e.g. from PyTorch) instead of a random initialisation")
	fs.StringVar(&f.Precision, "precision", "", "forward passes in fp32 (default), bf16 (autocast; CPU and CUDA) or fp16 (autocast + gradient scaler; CUDA)")
	fs.BoolVar(&f.ChannelsLast, "channels-last", false, "weights and activations in channels-last memory (the default on the CPU; on CUDA it helps bf16/fp16)")
	fs.StringVar(&f.MemoryFormat, "memory-format", "", "auto (default: channels-last on the CPU, contiguous on CUDA), channels-last or contiguous")
	fs.BoolVar(&f.Deterministic, "deterministic", false, "CUDA: bit-reproducible runs (cuDNN deterministic algorithms, no autotuner, no TF32); slower")
	fs.BoolVar(&f.Resume, "resume", false, "continue the run in --out from its last checkpoint")
	fs.BoolVar(&f.Overwrite, "overwrite", false, "start over in --out even if it holds checkpoints")
	fs.BoolVar(&f.SkipBad, "skip-bad", false, "train on the rest when files are unusable (listed in split.json) instead of stopping")
	fs.BoolVar(&f.Quiet, "quiet", false, "no progress within epochs, only one line per epoch")
}

// Set reports whether a flag was given on the command line.
func (f *TrainFlags) Set(name string) bool {
	set := false
	f.fs.Visit(func(fl *flag.Flag) {
		if fl.Name == name {
			set = true
		}
	})
	return set
}

// Config builds the run configuration from defaults, --config and flags.
func (f *TrainFlags) Config(defaults dskd.Config) (dskd.Config, error) {
	cfg := defaults
	if f.ConfigPath != "" {
		var err error
		if cfg, err = dskd.LoadConfig(f.ConfigPath); err != nil {
			return cfg, err
		}
	}
	apply := map[string]func(){
		"out":             func() { cfg.OutDir = f.Out },
		"epochs":          func() { cfg.Epochs = f.Epochs },
		"batch":           func() { cfg.BatchSize = f.Batch },
		"crop":            func() { cfg = cfg.WithCropSize(f.Crop) },
		"lr":              func() { cfg.LR = f.LR },
		"preset":          func() { cfg.Loss.Preset = losses.Preset(f.Preset) },
		"teacher":         func() { cfg.Teacher = dskd.Teacher(f.Teacher) },
		"schedule":        func() { cfg.Schedule.Name = dskd.ScheduleName(f.Schedule) },
		"device":          func() { cfg.Device = f.Device },
		"threads":         func() { cfg.Threads = f.Threads },
		"seed":            func() { cfg.Seed = f.Seed },
		"base":            func() { cfg.Model.Base = f.Base },
		"depth":           func() { cfg.Model.Depth = f.Depth },
		"tta":             func() { cfg.TTA = f.TTA },
		"tta-turns":       func() { cfg.TTA, cfg.TTATurns = cfg.TTA || f.TTATurns, f.TTATurns },
		"pick-threshold":  func() { cfg.PickThreshold = f.PickThreshold },
		"select":          func() { cfg.Select = dskd.Selection(f.Select) },
		"steps-per-epoch": func() { cfg.StepsPerEpoch = f.StepsPerEpoch },
		"repeat":          func() { cfg.Repeat = f.Repeat },
		"grad-norms":      func() { cfg.GradNorms = f.GradNorms },
		"val-fraction":    func() { cfg.ValFraction = f.ValFraction },
		"init-weights":    func() { cfg.InitWeights = f.InitWeights },
		"precision":       func() { cfg.Precision = dskd.Precision(f.Precision) },
		"memory-format":   func() { cfg.Model.MemoryFormat = models.MemoryFormat(f.MemoryFormat) },
		"channels-last": func() {
			if f.ChannelsLast {
				cfg.Model.MemoryFormat = "channels-last"
			}
		},
		"skip-bad":      func() { cfg.SkipBad = f.SkipBad },
		"deterministic": func() { cfg.Deterministic = f.Deterministic },
	}
	if f.Set("channels-last") && f.Set("memory-format") {
		return cfg, fmt.Errorf("--channels-last and --memory-format both given: use one")
	}
	for name, fn := range apply {
		if f.Set(name) {
			fn()
		}
	}
	if cfg.OutDir == "" {
		cfg.OutDir = f.Out
	}
	if f.Quiet {
		cfg.ProgressEvery = -1
	}
	if f.ValCount < 0 {
		return cfg, fmt.Errorf("--val-count %d: must be >= 0", f.ValCount)
	}
	return cfg.WithDefaults()
}
