package dskd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/internal/option"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
	"github.com/angioseg/dskd/optim"
)

// Teacher is where the distillation targets come from (Config.Teacher).
type Teacher string

// Teachers of Config.Teacher.
const (
	TeacherPreviousEpoch Teacher = "previous-epoch" // the paper's: a frozen snapshot of the end of the previous epoch
	TeacherEMA           Teacher = "ema"            // exponential moving average of the student, updated every step
)

// TeacherBN is how the teacher's BatchNorm normalises (Config.TeacherBN).
type TeacherBN string

// Teacher BatchNorm modes of Config.TeacherBN.
const (
	TeacherBNEval  TeacherBN = "eval"  // the teacher's running statistics (the default)
	TeacherBNBatch TeacherBN = "batch" // the batch's statistics, running statistics untouched
)

// Selection is which epoch's model a run keeps as its best and reports
// (Config.Select).
type Selection string

// Selections of Config.Select.
const (
	// SelectBestValidation keeps the epoch of the highest pooled
	// validation Dice (the default; written as "best_val" or left empty).
	SelectBestValidation Selection = "best_val"
	// SelectLast keeps the last epoch, as nnU-Net does: the validation
	// split then only picks the threshold.
	SelectLast Selection = "last"
)

// Normalize is the per-image input normalisation (Config.Normalize).
// Reading it ignores case and takes "z-score" and "min-max" too.
type Normalize string

// Normalisations of Config.Normalize.
const (
	NormalizeZScore Normalize = "zscore" // zero mean, unit variance (the default)
	NormalizeMinMax Normalize = "minmax" // scaled to [0, 1]
	NormalizeNone   Normalize = "none"   // intensities as decoded, in [0, 1]
)

// Switch is an on/off setting whose zero value is On, the default
// (Config.CudnnBenchmark, losses.DDLOptions.TauSquared). In JSON it is the
// "no_..." boolean of earlier versions: true when Off, left out when On.
type Switch = option.Switch

// The values of a Switch.
const (
	On  = option.On
	Off = option.Off
)

// Config is a whole training run. It marshals to JSON (config.json of a run,
// and --config files of the examples). The zero value means METHOD.md's
// defaults; each field's default is in its comment. Its JSON form is
// frozen: saved runs resume from it and a study identifies a run by a hash
// of it, so options keep their names, order and omitempty forms.
type Config struct {
	Epochs    int `json:"epochs,omitempty"`     // default 50
	BatchSize int `json:"batch_size,omitempty"` // default 4
	// CropSize is the side of the random square crops training takes
	// (validation and test see whole images); default 256; -1 = full
	// images. It is the one home of the crop: WithDefaults copies it into
	// Augment.CropSize, which a config leaves out. A config that gives
	// augment.crop_size without crop_size (the way earlier versions read
	// the crop when augment was set) means that crop; one that gives both,
	// differing, is an error.
	CropSize int     `json:"crop_size,omitempty"`
	LR       float64 `json:"lr,omitempty"` // initial learning rate; default 1e-3

	Optimizer optim.Config      `json:"optimizer"` // default AdamW, weight decay 1e-5
	Schedule  ScheduleConfig    `json:"schedule"`  // default StepLR(10 epochs, gamma 0.3)
	Loss      losses.Config     `json:"loss"`      // default full DSKD; Loss.Preset selects the ablation
	Model     models.UNetConfig `json:"model"`     // default depth 4, base 32
	// Augment is the training augmentation; nil: data.DefaultAugment
	// (flips, 90° rotations, mild intensity jitter). Its crop is CropSize.
	Augment *data.AugmentConfig `json:"augment,omitempty"`

	// InitWeights starts a new run (not a resumed one) from these weights:
	// a .safetensors or .pt file (package interop), e.g. exported by dskd or
	// saved by PyTorch from interop/pytorch/dskd_unet.py; names and shapes
	// must fit Model. Default "": Model's random initialisation.
	InitWeights string `json:"init_weights,omitempty"`

	// Teacher is TeacherPreviousEpoch (default) or TeacherEMA.
	Teacher  Teacher `json:"teacher,omitempty"`
	EMADecay float64 `json:"ema_decay,omitempty"` // EMA teacher decay, in (0, 1); default 0.999
	// TeacherBN is how the teacher's BatchNorm normalises: TeacherBNEval
	// (default: its running statistics, the paper's frozen snapshot in eval
	// mode) or TeacherBNBatch (the batch's statistics, like the student in
	// training, without changing the teacher's running statistics).
	TeacherBN TeacherBN `json:"teacher_bn,omitempty"`

	Device string `json:"device,omitempty"` // "auto" (default), "cpu", "cuda", "cuda:N"

	// Precision is the arithmetic of the forward passes: PrecisionFP32
	// (default), PrecisionBF16 (libtorch autocast to bfloat16, CPU and
	// CUDA) or PrecisionFP16 (autocast to float16 with a gradient scaler,
	// CUDA only). Weights, optimizer and losses stay float32.
	Precision Precision `json:"precision,omitempty"`
	// CudnnBenchmark is cuDNN's autotuner on CUDA: On (default) times the
	// convolution algorithms for the run's shapes once and keeps the
	// fastest; Off does not. Deterministic turns it off either way. JSON:
	// "no_cudnn_benchmark": true switches it off.
	CudnnBenchmark Switch `json:"no_cudnn_benchmark,omitempty"`
	// Deterministic makes a CUDA run repeat bit for bit (and a resumed one
	// match an uninterrupted one): cuDNN's deterministic algorithms only,
	// no autotuner, no TF32 convolutions; slower. Off by default. CPU runs
	// are deterministic either way.
	Deterministic bool `json:"deterministic,omitempty"`

	Threads int   `json:"threads,omitempty"` // libtorch intra-op threads; default (0) all cores
	Workers int   `json:"workers,omitempty"` // data goroutines; default (0) all cores
	Seed    int64 `json:"seed,omitempty"`    // seeds weights, shuffling, augmentation and splits; default 42

	// Normalize is the per-image input normalisation: NormalizeZScore
	// (default), NormalizeMinMax or NormalizeNone.
	Normalize Normalize `json:"normalize,omitempty"`

	// ValFraction is the share of the training samples carved out
	// (seeded) for validation when the split has no validation samples;
	// in (0, 1), default 0.1, and at least one sample.
	ValFraction float64 `json:"val_fraction,omitempty"`

	OutDir   string `json:"out_dir,omitempty"`   // run folder; default "runs/dskd"
	KeepLast int    `json:"keep_last,omitempty"` // epoch checkpoints kept, >= 1; default 2 (the best is kept apart)

	// Select is which epoch's model the run keeps in checkpoints/best and
	// reports: SelectBestValidation (default, "" or "best_val": the highest
	// pooled validation Dice) or SelectLast (the last epoch with a defined
	// validation Dice). A small validation carve makes the best-validation
	// pick noisy; on DCA1 (8 validation images, cosine schedule) the last
	// epoch scored +0.0013 [+0.0004, +0.0022] held-out Dice over 45 runs
	// of 40 epochs, from a few rescued early picks (22 of 45 were behind),
	// and was behind for deep supervision at 80 epochs (2 folds), so the
	// default stays. Left empty rather than filled in, so that the
	// configuration (and a study's run hash) of runs written before it
	// existed is unchanged.
	Select Selection `json:"select,omitempty"`

	// Threshold binarises probabilities for metrics, in (0, 1); default 0.5.
	Threshold float64 `json:"threshold,omitempty"`
	// PickThreshold chooses the threshold maximising Dice on the validation
	// split after training (never on test) and uses it for the test report.
	PickThreshold bool `json:"pick_threshold,omitempty"`
	// TTA averages predictions over flips (4 passes) in the final
	// validation and test reports of the best model (and a threshold
	// picked on validation is picked on them); the per-epoch validation
	// that selects the best epoch runs without it, to keep epochs fast.
	TTA bool `json:"tta,omitempty"`
	// TTATurns, with TTA, also averages each flip turned by 90° (8 passes,
	// InferOptions.Turns): for models trained with 90° turns. On DCA1 it
	// raised the held-out pooled Dice of the same models by 0.0018
	// [+0.0010, +0.0027] (23 runs). Default false.
	TTATurns bool `json:"tta_turns,omitempty"`
	// Overlays is the number of worst and of best images by Dice (of the
	// test split, else validation) drawn as overlays at the end; default 4
	// (up to 8 images); -1 = none.
	Overlays int `json:"overlays,omitempty"`
	// SkipBad trains on the usable samples when the check before training
	// finds unusable files, and lists the others in split.json; default
	// false: the run stops with the list.
	SkipBad bool `json:"skip_bad,omitempty"`
	// StepsPerEpoch caps the batches of an epoch (quick runs); default (0)
	// all.
	StepsPerEpoch int `json:"steps_per_epoch,omitempty"`
	// Repeat draws each training image this many times per epoch, each
	// draw with its own crop and augmentation: an epoch of Repeat times the
	// steps, with one validation, checkpoint and teacher update (longer
	// training without more of those, or label-scarce runs whose few
	// images would make epochs of a handful of steps). Default (0) 1; the
	// default stays 0 in the saved config so that hashes do not change.
	Repeat int `json:"repeat,omitempty"`
	// GradNorms measures, every this many steps, each loss term's gradient
	// norm over the network, the encoder, the decoder, each side head and
	// the output head, with its cosine to the Dice term's gradient and to
	// the step's: the run folder's grad_norms.csv (see GradNorm). The step
	// itself is unchanged; each measurement costs a backward pass per
	// term. Labelled terms only. Default 0: off.
	GradNorms int `json:"grad_norms,omitempty"`
	// ProgressEvery sets the progress lines when stderr is not a terminal
	// (on a terminal one line is redrawn in place): default 0, a line at
	// most every 10 s; N > 0, a line every N steps; -1, no progress at all.
	ProgressEvery int `json:"progress_every,omitempty"`

	// Labels keeps the masks of this many training images (chosen by
	// Seed; data.Split.HideLabels) and sets the others' aside: they join
	// the unlabelled frames, which only a run with Unlabelled learns from.
	// The validation split is carved first and keeps its masks. Default 0:
	// every label.
	Labels int `json:"labels,omitempty"`
	// Unlabelled, when set, also trains on the split's unlabelled frames
	// (semi-supervised): see UnlabelledConfig. nil (default): labelled
	// data only.
	Unlabelled *UnlabelledConfig `json:"unlabelled,omitempty"`
}

// UnlabelledConfig is the semi-supervised part of a run: from the
// teacher's first epoch on, every step also takes Ratio batches of
// unlabelled frames, each seen twice under one geometric augmentation (a
// weak view for the teacher, a Strong view for the student), and adds
// their loss (losses.Unlabelled: PSDL with α = 1 and DDL against the
// teacher) to the labelled loss. Zero fields mean defaults.
type UnlabelledConfig struct {
	Ratio      int              `json:"ratio,omitempty"`       // unlabelled batches per step; default 1
	BatchSize  int              `json:"batch_size,omitempty"`  // frames per unlabelled batch; default Config.BatchSize
	Weight     float64          `json:"weight,omitempty"`      // λ_u after the ramp; default 1
	RampEpochs int              `json:"ramp_epochs,omitempty"` // λ_u ramps up over the first epochs; default 10; -1 = none
	Confidence float64          `json:"confidence,omitempty"`  // PSDL only where the teacher's max(p, 1-p) >= it; [0.5, 1); default 0 = all pixels
	Sharpen    float64          `json:"sharpen,omitempty"`     // temperature of the teacher's probabilities, (0, 1]; default 0 = none
	Strong     *data.StrongView `json:"strong,omitempty"`      // the student's view; default data.DefaultStrongView()
	// StudentBN is how the student's BatchNorm treats the strong views:
	// "train" (default ""): batch statistics, and they update the running
	// statistics the model is evaluated with; "batch": batch statistics,
	// the running statistics left to the labelled batches (the strong
	// views' intensity statistics do not shift what evaluation uses).
	StudentBN StudentBN `json:"student_bn,omitempty"`
	// Terms picks the unlabelled terms (losses.Unlabelled.Terms):
	// "psdl+ddl" (default ""), "psdl" or "ddl".
	Terms losses.UnlabelledTerms `json:"terms,omitempty"`
	// Pixel is the pixel term's loss (losses.Unlabelled.Pixel): "bce"
	// (default "", PSDL with α = 1) or "dice".
	Pixel losses.UnlabelledPixel `json:"pixel,omitempty"`
}

// RecommendedUnlabelled is the unlabelled setting that measured best on
// DCA1 with 10 labels per fold (docs/semi-supervised.md): the soft-Dice
// pixel term alone, no DDL. It is level with supervised training there,
// where the zero value's BCE+DDL lost 4–8 points. The zero value keeps
// its meaning because saved run folders rely on it.
func RecommendedUnlabelled() *UnlabelledConfig {
	return &UnlabelledConfig{Pixel: losses.UnlabelledDice, Terms: losses.UnlabelledPSDLOnly}
}

// StudentBN is UnlabelledConfig.StudentBN.
type StudentBN string

// Student BatchNorm modes on the strong views; the zero value is StudentBNTrain.
const (
	StudentBNTrain StudentBN = "train"
	StudentBNBatch StudentBN = "batch"
)

// objective is the losses.Unlabelled of u.
func (u UnlabelledConfig) objective() losses.Unlabelled {
	return losses.Unlabelled{Weight: u.Weight, RampEpochs: u.RampEpochs, Confidence: u.Confidence, Sharpen: u.Sharpen, Terms: u.Terms, Pixel: u.Pixel}
}

// withDefaults fills u's defaults (batch: the run's) and checks them.
func (u UnlabelledConfig) withDefaults(batch int) (UnlabelledConfig, error) {
	option.Default(&u.Ratio, 1)
	option.Default(&u.BatchSize, batch)
	if u.Strong == nil {
		sv := data.DefaultStrongView()
		u.Strong = &sv
	}
	switch {
	case u.Ratio < 1:
		return u, option.Errorf(configErr, "unlabelled.ratio", "%d: must be >= 1", u.Ratio)
	case u.BatchSize < 1:
		return u, option.Errorf(configErr, "unlabelled.batch_size", "%d: must be >= 1", u.BatchSize)
	}
	if u.StudentBN != "" { // "" stays "": a filled value would change saved configs and study hashes
		if err := option.OneOf(configErr, "unlabelled.student_bn", u.StudentBN, StudentBNTrain, StudentBNBatch); err != nil {
			return u, err
		}
	}
	if err := u.Strong.Validate(); err != nil {
		return u, option.Under(err, configErr, "unlabelled.strong")
	}
	l, err := u.objective().WithDefaults()
	if err != nil {
		return u, option.Under(err, configErr, "unlabelled")
	}
	u.Weight, u.RampEpochs = l.Weight, l.RampEpochs
	return u, nil
}

// configErr prefixes the errors of Config's options.
const configErr = "dskd: config"

// WithDefaults returns c with zero fields set to their defaults, validated:
// an invalid option is an error naming it by its JSON path, e.g.
// "dskd: config: batch_size -2: must be >= 1". It is idempotent.
func (c Config) WithDefaults() (Config, error) {
	option.Default(&c.Epochs, 50)
	option.Default(&c.BatchSize, 4)
	option.Default(&c.KeepLast, 2)
	option.Default(&c.Overlays, 4)
	option.Default(&c.LR, 1e-3)
	option.Default(&c.Seed, 42)
	option.Default(&c.ValFraction, 0.1)
	option.Default(&c.Threshold, 0.5)
	option.Default(&c.EMADecay, 0.999)
	option.Default(&c.Teacher, TeacherPreviousEpoch)
	option.Default(&c.TeacherBN, TeacherBNEval)
	option.Default(&c.Normalize, NormalizeZScore)
	option.Default(&c.Device, "auto")
	option.Default(&c.Precision, PrecisionFP32)
	option.Default(&c.OutDir, "runs/dskd")
	option.Default(&c.Loss.Preset, losses.PresetDSKD)
	bad := func(path, format string, a ...any) (Config, error) {
		return c, option.Errorf(configErr, path, format, a...)
	}
	unit := func(v float64) bool { return v > 0 && v < 1 } // false for NaN
	switch {
	case c.TTATurns && !c.TTA:
		return bad("tta_turns", "needs tta: the turns are added to the flips")
	case c.Epochs < 1:
		return bad("epochs", "%d: must be >= 1", c.Epochs)
	case c.BatchSize < 1:
		return bad("batch_size", "%d: must be >= 1", c.BatchSize)
	}
	if err := c.resolveCrop(); err != nil {
		return c, err
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		return bad("lr", "%g: must be a finite number > 0", c.LR)
	}
	var err error
	if c.Optimizer, err = c.Optimizer.WithDefaults(); err != nil {
		return c, option.Under(err, configErr, "optimizer")
	}
	if c.Schedule, err = c.Schedule.WithDefaults(); err != nil {
		return c, option.Under(err, configErr, "schedule")
	}
	if _, err := losses.NewObjective(c.Loss); err != nil {
		return c, option.Under(err, configErr, "loss")
	}
	if c.Model, err = c.Model.WithDefaults(); err != nil {
		return c, option.Under(err, configErr, "model")
	}
	deepSup := c.Loss.DeepSupervision || c.Loss.Preset == losses.PresetDeepSupervision
	if n := len(c.Loss.DSWeights); deepSup && n > 0 && n != c.Model.Depth-1 {
		return bad("loss.ds_weights", "has %d entries: want one per side output, model.depth-1 = %d", n, c.Model.Depth-1)
	}
	if err := c.Augment.Validate(); err != nil {
		return c, option.Under(err, configErr, "augment")
	}
	if err := option.OneOf(configErr, "teacher", c.Teacher, TeacherPreviousEpoch, TeacherEMA); err != nil {
		return c, err
	}
	if !unit(c.EMADecay) {
		return bad("ema_decay", "%g: must lie in (0, 1)", c.EMADecay)
	}
	if err := option.OneOf(configErr, "teacher_bn", c.TeacherBN, TeacherBNEval, TeacherBNBatch); err != nil {
		return c, err
	}
	if c.Select != "" {
		if err := option.OneOf(configErr, "select", c.Select, SelectBestValidation, SelectLast); err != nil {
			return c, err
		}
	}
	if !validDevice(c.Device) {
		return bad("device", "%q: want %s", c.Device, option.List("auto", "cpu", "cuda", "cuda:N"))
	}
	if err := option.OneOf(configErr, "precision", c.Precision, PrecisionFP32, PrecisionBF16, PrecisionFP16); err != nil {
		return c, err
	}
	switch {
	case !c.CudnnBenchmark.Valid():
		return bad("no_cudnn_benchmark", "%s: want On or Off", c.CudnnBenchmark)
	case c.Threads < 0:
		return bad("threads", "%d: must be >= 0 (0 = all cores)", c.Threads)
	case c.Workers < 0:
		return bad("workers", "%d: must be >= 0 (0 = all cores)", c.Workers)
	}
	if _, err := parseNorm(c.Normalize); err != nil {
		return c, err
	}
	switch {
	case !unit(c.ValFraction):
		return bad("val_fraction", "%g: must lie in (0, 1)", c.ValFraction)
	case c.KeepLast < 1:
		return bad("keep_last", "%d: must be >= 1", c.KeepLast)
	case !unit(c.Threshold):
		return bad("threshold", "%g: must lie in (0, 1)", c.Threshold)
	case c.Overlays < -1:
		return bad("overlays", "%d: want -1 (none) or a count >= 1", c.Overlays)
	case c.StepsPerEpoch < 0:
		return bad("steps_per_epoch", "%d: must be >= 0 (0 = all batches)", c.StepsPerEpoch)
	case c.ProgressEvery < -1:
		return bad("progress_every", "%d: want -1 (no progress) or a step count >= 1", c.ProgressEvery)
	case c.Labels < 0:
		return bad("labels", "%d: must be >= 0 (0 = every label)", c.Labels)
	case c.GradNorms < 0:
		return bad("grad_norms", "%d: must be >= 0 (0 = off)", c.GradNorms)
	case c.GradNorms > 0 && c.Precision == PrecisionFP16:
		return bad("grad_norms", "%d: not with precision fp16 (its gradients are scaled); use fp32 or bf16", c.GradNorms)
	case c.Repeat < 0:
		return bad("repeat", "%d: must be >= 0 (0 = 1, each image once per epoch)", c.Repeat)
	}
	if c.Unlabelled != nil {
		u, err := c.Unlabelled.withDefaults(c.BatchSize)
		if err != nil {
			return c, err
		}
		c.Unlabelled = &u
	}
	return c, nil
}

// resolveCrop gives CropSize its default and makes Augment (the default
// augmentation when nil) crop to it; see Config.CropSize.
func (c *Config) resolveCrop() error {
	if c.Augment != nil && c.Augment.CropSize != 0 {
		a := c.Augment.CropSize
		switch {
		case a < 0:
			return option.Errorf(configErr, "augment.crop_size", "%d: leave it out (the crop is crop_size; -1 there = full images)", a)
		case c.CropSize == 0: // the crop given in augment only, as earlier versions read it
			c.CropSize = a
		case a != max(c.CropSize, 0):
			return option.Errorf(configErr, "augment.crop_size",
				"%d disagrees with crop_size %d: the training crop is crop_size; leave augment.crop_size out (it follows crop_size)", a, c.CropSize)
		}
	}
	option.Default(&c.CropSize, 256)
	if c.CropSize < -1 {
		return option.Errorf(configErr, "crop_size", "%d: want -1 (full images) or a side >= 1", c.CropSize)
	}
	a := data.DefaultAugment(0)
	if c.Augment != nil {
		a = *c.Augment // a copy: c may share the caller's
	}
	a.CropSize = max(c.CropSize, 0)
	c.Augment = &a
	return nil
}

// WithCropSize returns c training on crops of side n (-1: full images),
// replacing any crop c's Augment holds: what --crop and a study's
// crop_size override do, whatever augment a --config file gives.
func (c Config) WithCropSize(n int) Config {
	c.CropSize = n
	if c.Augment != nil && c.Augment.CropSize != 0 {
		a := *c.Augment
		a.CropSize = 0
		c.Augment = &a
	}
	return c
}

// validDevice reports whether d names a device the way engine.ParseDevice
// reads it (whether it is there is known only when a run starts).
func validDevice(d string) bool {
	s := strings.ToLower(strings.TrimSpace(d))
	switch s {
	case "auto", "cpu", "cuda":
		return true
	}
	n, ok := strings.CutPrefix(s, "cuda:")
	i, err := strconv.Atoi(n)
	return ok && err == nil && i >= 0
}

func parseNorm(n Normalize) (data.Normalization, error) {
	switch strings.ToLower(string(n)) {
	case "zscore", "z-score":
		return data.NormZScore, nil
	case "minmax", "min-max":
		return data.NormMinMax, nil
	case "none":
		return data.NormNone, nil
	}
	return data.NormNone, option.Errorf(configErr, "normalize", "%q: want %s", string(n), option.List(NormalizeZScore, NormalizeMinMax, NormalizeNone))
}

// UnmarshalJSON reads a Config, rejecting an unknown field with an error
// that names its path (`unknown field "model.bsae" (did you mean
// "base"?)`): a typo must not silently fall back to a default. It also takes the
// top-level "preset" of configs written before the preset moved to
// "loss": {"preset": ...}.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config // without this method
	var aux struct {
		plain
		Preset losses.Preset `json:"preset"`
	}
	if err := option.CheckFields(b, reflect.TypeOf(aux)); err != nil {
		return err
	}
	aux.plain = plain(*c)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&aux); err != nil {
		return option.TrimField(err, "plain") // LoadConfig renders it
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

// LoadConfig reads a JSON config file (one object). An unknown field is
// an error naming its path and the file, so that a typo does not silently
// fall back to a default: `dskd: config c.json: unknown field "model.bsae"
// (did you mean "base"?)`. The options' values are checked by WithDefaults.
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("dskd: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("dskd: config %s: %w", path, option.DecodeError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Config{}, fmt.Errorf("dskd: config %s: more than one JSON value", path)
	}
	return c, nil
}
