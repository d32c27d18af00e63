package dskd

import (
	"bytes"

	"github.com/sugarme/gotch"

	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
	"github.com/angioseg/dskd/optim"
)

// Teacher modes.
const (
	TeacherPreviousEpoch = "previous-epoch" // the paper's: a frozen snapshot of the end of the previous epoch
	TeacherEMA           = "ema"            // exponential moving average of the student, updated every step
)

// Teacher BatchNorm modes of Config.TeacherBN.
const (
	TeacherBNEval  = "eval"
	TeacherBNBatch = "batch"
)

// Config is a whole training run. It marshals to JSON (config.json of a run,
// and --config files of the examples). The zero value means METHOD.md's
// defaults; each field's default is in its comment.
type Config struct {
	Epochs    int     `json:"epochs,omitempty"`     // default 50
	BatchSize int     `json:"batch_size,omitempty"` // default 4
	CropSize  int     `json:"crop_size,omitempty"`  // random training crop side; default 256; -1 = full images
	LR        float64 `json:"lr,omitempty"`         // initial learning rate; default 1e-3

	Optimizer optim.Config        `json:"optimizer"`         // default AdamW, weight decay 1e-5
	Schedule  ScheduleConfig      `json:"schedule"`          // default StepLR(10 epochs, gamma 0.3)
	Loss      losses.Config       `json:"loss"`              // default full DSKD; Loss.Preset selects the ablation
	Model     models.UNetConfig   `json:"model"`             // default depth 4, base 32
	Augment   *data.AugmentConfig `json:"augment,omitempty"` // nil: data.DefaultAugment(CropSize)

	// InitWeights starts a new run (not a resumed one) from these weights:
	// a .safetensors or .pt file (package interop), e.g. exported by dskd or
	// saved by PyTorch from interop/pytorch/dskd_unet.py; names and shapes
	// must fit Model. Default "": Model's random initialisation.
	InitWeights string `json:"init_weights,omitempty"`

	// Teacher is TeacherPreviousEpoch (default) or TeacherEMA.
	Teacher  string  `json:"teacher,omitempty"`
	EMADecay float64 `json:"ema_decay,omitempty"` // EMA teacher decay; default 0.999
	// TeacherBN is how the teacher's BatchNorm normalises: TeacherBNEval
	// (default: its running statistics, the paper's frozen snapshot in eval
	// mode) or TeacherBNBatch (the batch's statistics, like the student in
	// training, without changing the teacher's running statistics).
	TeacherBN string `json:"teacher_bn,omitempty"`

	Device string `json:"device,omitempty"` // "auto" (default), "cpu", "cuda", "cuda:N"

	// Precision is the arithmetic of the forward passes: PrecisionFP32
	// (default), PrecisionBF16 (libtorch autocast to bfloat16, CPU and
	// CUDA) or PrecisionFP16 (autocast to float16 with a gradient scaler,
	// CUDA only). Weights, optimizer and losses stay float32.
	Precision string `json:"precision,omitempty"`
	// NoCudnnBenchmark turns cuDNN's autotuner off on CUDA (it is on by
	// default: it times the convolution algorithms for the run's shapes
	// once and keeps the fastest).
	NoCudnnBenchmark bool `json:"no_cudnn_benchmark,omitempty"`
	// Deterministic makes a CUDA run repeat bit for bit (and a resumed one
	// match an uninterrupted one): cuDNN's deterministic algorithms only,
	// no autotuner, no TF32 convolutions; slower. Off by default. CPU runs
	// are deterministic either way.
	Deterministic bool `json:"deterministic,omitempty"`

	Threads int   `json:"threads,omitempty"` // libtorch intra-op threads; default all cores
	Workers int   `json:"workers,omitempty"` // data goroutines; default all cores
	Seed    int64 `json:"seed,omitempty"`    // seeds weights, shuffling, augmentation and splits; default 42

	// Normalize is the per-image input normalisation: "zscore" (default),
	// "minmax" or "none".
	Normalize string `json:"normalize,omitempty"`

	// ValFraction is the share of the training samples carved out
	// (seeded) for validation when the split has no validation samples;
	// default 0.1, and at least one sample.
	ValFraction float64 `json:"val_fraction,omitempty"`

	OutDir   string `json:"out_dir,omitempty"`   // run folder; default "runs/dskd"
	KeepLast int    `json:"keep_last,omitempty"` // epoch checkpoints kept; default 2 (the best is kept apart)

	// Threshold binarises probabilities for metrics; default 0.5.
	Threshold float64 `json:"threshold,omitempty"`
	// PickThreshold chooses the threshold maximising Dice on the validation
	// split after training (never on test) and uses it for the test report.
	PickThreshold bool `json:"pick_threshold,omitempty"`
	// TTA averages predictions over flips (4 passes) in the final
	// validation and test reports of the best model (and a threshold
	// picked on validation is picked on them); the per-epoch validation
	// that selects the best epoch runs without it, to keep epochs fast.
	TTA bool `json:"tta,omitempty"`
	// Overlays is the number of worst and of best images by Dice (of the
	// test split, else validation) drawn as overlays at the end; default 4
	// (up to 8 images); -1 = none.
	Overlays int `json:"overlays,omitempty"`
	// SkipBad trains on the usable samples when the check before training
	// finds unusable files, and lists the others in split.json; default
	// false: the run stops with the list.
	SkipBad bool `json:"skip_bad,omitempty"`
	// StepsPerEpoch caps the batches of an epoch (quick runs); default all.
	StepsPerEpoch int `json:"steps_per_epoch,omitempty"`
	// ProgressEvery is the number of steps between progress lines when
	// stderr is not a terminal (on a terminal one line is redrawn in
	// place); default about a tenth of an epoch; -1 = no progress at all.
	ProgressEvery int `json:"progress_every,omitempty"`
}

// WithDefaults returns c with zero fields set to their defaults, validated.
func (c Config) WithDefaults() (Config, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Epochs, 50)
	def(&c.BatchSize, 4)
	def(&c.CropSize, 256)
	def(&c.KeepLast, 2)
	def(&c.Overlays, 4)
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Seed == 0 {
		c.Seed = 42
	}
	if c.ValFraction == 0 {
		c.ValFraction = 0.1
	}
	if c.Threshold == 0 {
		c.Threshold = 0.5
	}
	if c.EMADecay == 0 {
		c.EMADecay = 0.999
	}
	if c.Teacher == "" {
		c.Teacher = TeacherPreviousEpoch
	}
	if c.TeacherBN == "" {
		c.TeacherBN = TeacherBNEval
	}
	if c.Normalize == "" {
		c.Normalize = "zscore"
	}
	if c.Device == "" {
		c.Device = "auto"
	}
	if c.Precision == "" {
		c.Precision = PrecisionFP32
	}
	if c.OutDir == "" {
		c.OutDir = "runs/dskd"
	}
	if c.Loss.Preset == "" {
		c.Loss.Preset = losses.PresetDSKD
	}
	if c.Augment == nil {
		a := data.DefaultAugment(max(c.CropSize, 0))
		c.Augment = &a
	}
	var err error
	if c.Optimizer, err = c.Optimizer.WithDefaults(); err != nil {
		return c, fmt.Errorf("dskd: %w", err)
	}
	if c.Schedule, err = c.Schedule.WithDefaults(); err != nil {
		return c, err
	}
	if c.Model, err = c.Model.WithDefaults(); err != nil {
		return c, fmt.Errorf("dskd: %w", err)
	}
	if _, err := losses.NewObjective(c.Loss); err != nil {
		return c, fmt.Errorf("dskd: %w", err)
	}
	if err := c.Augment.Validate(); err != nil {
		return c, fmt.Errorf("dskd: augment: %w", err)
	}
	switch {
	case c.Epochs < 1:
		return c, fmt.Errorf("dskd: epochs %d: must be >= 1", c.Epochs)
	case c.BatchSize < 1:
		return c, fmt.Errorf("dskd: batch_size %d: must be >= 1", c.BatchSize)
	case c.LR < 0:
		return c, fmt.Errorf("dskd: lr %g: must be > 0", c.LR)
	case c.Teacher != TeacherPreviousEpoch && c.Teacher != TeacherEMA:
		return c, fmt.Errorf("dskd: teacher %q: want %q or %q", c.Teacher, TeacherPreviousEpoch, TeacherEMA)
	case c.TeacherBN != TeacherBNEval && c.TeacherBN != TeacherBNBatch:
		return c, fmt.Errorf("dskd: teacher_bn %q: want %q or %q", c.TeacherBN, TeacherBNEval, TeacherBNBatch)
	case c.EMADecay <= 0 || c.EMADecay >= 1:
		return c, fmt.Errorf("dskd: ema_decay %g: must lie in (0, 1)", c.EMADecay)
	case c.Threshold <= 0 || c.Threshold >= 1:
		return c, fmt.Errorf("dskd: threshold %g: must lie in (0, 1)", c.Threshold)
	case c.Threads < 0 || c.Workers < 0:
		return c, fmt.Errorf("dskd: threads %d / workers %d: must be >= 0 (0 = all cores)", c.Threads, c.Workers)
	case c.ValFraction <= 0 || c.ValFraction >= 1:
		return c, fmt.Errorf("dskd: val_fraction %g: must lie in (0, 1)", c.ValFraction)
	case c.KeepLast < 1:
		return c, fmt.Errorf("dskd: keep_last %d: must be >= 1", c.KeepLast)
	}
	if autocastDType(c.Precision) == gotch.Invalid && c.Precision != PrecisionFP32 {
		return c, fmt.Errorf("dskd: precision %q: want %s, %s or %s", c.Precision, PrecisionFP32, PrecisionBF16, PrecisionFP16)
	}
	if _, err := parseNorm(c.Normalize); err != nil {
		return c, err
	}
	return c, nil
}

func parseNorm(s string) (data.Normalization, error) {
	switch strings.ToLower(s) {
	case "zscore", "z-score":
		return data.NormZScore, nil
	case "minmax", "min-max":
		return data.NormMinMax, nil
	case "none":
		return data.NormNone, nil
	}
	return data.NormNone, fmt.Errorf("dskd: normalize %q: want zscore, minmax or none", s)
}

// UnmarshalJSON reads a Config, rejecting unknown fields (a typo must not
// silently fall back to a default). It also takes the top-level "preset"
// of configs written before the preset moved to "loss": {"preset": ...}.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config // without this method
	var aux struct {
		plain
		Preset string `json:"preset"`
	}
	aux.plain = plain(*c)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&aux); err != nil {
		return err
	}
	*c = Config(aux.plain)
	if aux.Preset != "" {
		if c.Loss.Preset != "" && c.Loss.Preset != aux.Preset {
			return fmt.Errorf("dskd: config has preset %q and loss.preset %q: keep loss.preset only", aux.Preset, c.Loss.Preset)
		}
		c.Loss.Preset = aux.Preset
	}
	return nil
}

// LoadConfig reads a JSON config file; unknown fields are errors so that a
// typo does not silently fall back to a default.
func LoadConfig(path string) (Config, error) {
	var c Config
	f, err := os.Open(path)
	if err != nil {
		return c, fmt.Errorf("dskd: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("dskd: config %s: %w", path, err)
	}
	return c, nil
}
