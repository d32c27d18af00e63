package losses

import (
	"fmt"
	"math"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/models"
	"github.com/sugarme/gotch/ts"
)

// Presets select the loss terms of an ablation; see Config.Preset.
const (
	// PresetUNet: Dice(main) + λ_PSDL·BCE(main, y). No teacher is used.
	PresetUNet = "unet"
	// PresetDeepSupervision: PresetUNet + λ_DS·DeepSupervision(side outputs).
	PresetDeepSupervision = "deep-supervision"
	// PresetPSDL: Dice(main) + λ_PSDL·PSDL(main, teacher main, y; α_t).
	PresetPSDL = "psdl"
	// PresetDDL: Dice(main) + λ_PSDL·BCE(main, y) + λ_DDL(t)·DDL(all depths).
	PresetDDL = "ddl"
	// PresetDSKD: Dice(main) + λ_PSDL·PSDL + λ_DDL(t)·DDL. The default.
	PresetDSKD = "dskd"
)

// DDL weight schedules; see Config.DDLSchedule.
const (
	// ScheduleRamp: λ_DDL(t) = λ_DDL·t/T (the default).
	ScheduleRamp = "ramp"
	// ScheduleConstant: λ_DDL(t) = λ_DDL whenever a teacher is given.
	ScheduleConstant = "constant"
	// ScheduleStart: λ_DDL(t) = λ_DDL for t >= DDLStartEpoch, 0 before.
	ScheduleStart = "start"
)

// Config configures the training objective. The zero value is full DSKD
// with METHOD.md's defaults. Float fields use 0 for "default": switch a
// term off with a Preset, not with a zero weight.
type Config struct {
	// Preset is one of PresetUNet, PresetDeepSupervision, PresetPSDL,
	// PresetDDL, PresetDSKD. "" means PresetDSKD.
	Preset string `json:"preset,omitempty"`
	// LambdaPSDL weighs the pixel term on the main output (PSDL, or plain
	// BCE in presets without PSDL). 0 means 1.
	LambdaPSDL float64 `json:"lambda_psdl,omitempty"`
	// LambdaDDL is the DDL weight before the schedule. 0 means 1.
	LambdaDDL float64 `json:"lambda_ddl,omitempty"`
	// LambdaDS weighs the deep-supervision term (PresetDeepSupervision
	// only). 0 means 1.
	LambdaDS float64 `json:"lambda_ds,omitempty"`
	// DSWeights are per-side-output weights, coarse to fine, one per side
	// output (Depth-1 entries: the main output always gets Dice+BCE with
	// weight 1). nil means equal weights 1/(Depth-1), i.e. the mean.
	DSWeights []float64 `json:"ds_weights,omitempty"`
	// AlphaT is α_T, the final PSDL teacher weight: α_t = α_T·t/T.
	// 0 means 0.5. Valid: (0, 1].
	AlphaT float64 `json:"alpha_t,omitempty"`
	// DDLSchedule is ScheduleRamp (default, also for ""), ScheduleConstant
	// or ScheduleStart.
	DDLSchedule string `json:"ddl_schedule,omitempty"`
	// DDLStartEpoch is the first epoch with DDL under ScheduleStart.
	// 0 means 1 (the first epoch that has a teacher).
	DDLStartEpoch int `json:"ddl_start_epoch,omitempty"`
	// DDL holds the Deep Distribution Loss options (grid 4, τ 3, log-space
	// softening of fractions, KL(teacher‖student), τ² factor on).
	DDL DDLOptions `json:"ddl,omitempty"`
}

// Breakdown reports the parts of one objective evaluation for logging.
// Term values are unweighted; Total is the weighted sum that was returned.
type Breakdown struct {
	Total float64
	// Dice is the soft Dice loss of the main output.
	Dice float64
	// BCE is BCE(main, y) in presets without PSDL, else 0.
	BCE float64
	// PSDL is the PSDL value in presets with PSDL (= BCE while α_t = 0).
	PSDL float64
	// DDL is the (unweighted, τ²-scaled unless disabled) DDL, 0 without a
	// teacher or in presets without DDL.
	DDL float64
	// DeepSup is the weighted deep-supervision sum over side outputs
	// (before λ_DS), 0 in other presets.
	DeepSup float64
	// Alpha is the α_t used by PSDL (0 without a teacher).
	Alpha float64
	// LambdaDDL is the effective DDL weight λ_DDL(t) (0 without a teacher).
	LambdaDDL float64
}

// Objective is the configured loss. Build it with NewObjective.
type Objective struct {
	cfg                    Config
	usePSDL, useDDL, useDS bool
}

// NewObjective validates cfg, fills defaults and returns the objective.
func NewObjective(cfg Config) (*Objective, error) {
	if cfg.Preset == "" {
		cfg.Preset = PresetDSKD
	}
	if cfg.LambdaPSDL == 0 {
		cfg.LambdaPSDL = 1
	}
	if cfg.LambdaDDL == 0 {
		cfg.LambdaDDL = 1
	}
	if cfg.LambdaDS == 0 {
		cfg.LambdaDS = 1
	}
	if cfg.AlphaT == 0 {
		cfg.AlphaT = 0.5
	}
	if cfg.DDLSchedule == "" {
		cfg.DDLSchedule = ScheduleRamp
	}
	if cfg.DDLStartEpoch == 0 {
		cfg.DDLStartEpoch = 1
	}
	o := &Objective{}
	switch cfg.Preset {
	case PresetUNet:
	case PresetDeepSupervision:
		o.useDS = true
	case PresetPSDL:
		o.usePSDL = true
	case PresetDDL:
		o.useDDL = true
	case PresetDSKD:
		o.usePSDL, o.useDDL = true, true
	default:
		return nil, fmt.Errorf("losses: preset %q: want %q, %q, %q, %q or %q", cfg.Preset,
			PresetUNet, PresetDeepSupervision, PresetPSDL, PresetDDL, PresetDSKD)
	}
	bad := func(v float64) bool { return v < 0 || math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case bad(cfg.LambdaPSDL):
		return nil, fmt.Errorf("losses: LambdaPSDL %g: want finite >= 0", cfg.LambdaPSDL)
	case bad(cfg.LambdaDDL):
		return nil, fmt.Errorf("losses: LambdaDDL %g: want finite >= 0", cfg.LambdaDDL)
	case bad(cfg.LambdaDS):
		return nil, fmt.Errorf("losses: LambdaDS %g: want finite >= 0", cfg.LambdaDS)
	case !(cfg.AlphaT > 0 && cfg.AlphaT <= 1):
		return nil, fmt.Errorf("losses: AlphaT %g: want (0, 1]", cfg.AlphaT)
	case cfg.DDLSchedule != ScheduleRamp && cfg.DDLSchedule != ScheduleConstant && cfg.DDLSchedule != ScheduleStart:
		return nil, fmt.Errorf("losses: DDLSchedule %q: want %q, %q or %q", cfg.DDLSchedule, ScheduleRamp, ScheduleConstant, ScheduleStart)
	case cfg.DDLStartEpoch < 0:
		return nil, fmt.Errorf("losses: DDLStartEpoch %d: want >= 0", cfg.DDLStartEpoch)
	}
	for i, w := range cfg.DSWeights {
		if bad(w) {
			return nil, fmt.Errorf("losses: DSWeights[%d] %g: want finite >= 0", i, w)
		}
	}
	ddl, err := cfg.DDL.WithDefaults()
	if err != nil {
		return nil, err
	}
	cfg.DDL = ddl
	o.cfg = cfg
	return o, nil
}

// Config returns the configuration with defaults filled in.
func (o *Objective) Config() Config { return o.cfg }

// NeedsTeacher reports whether the preset uses a teacher at all (the
// trainer can skip the teacher's forward pass otherwise).
func (o *Objective) NeedsTeacher() bool { return o.usePSDL || o.useDDL }

// Alpha returns α_t = α_T·t/T for epoch t of T (0 without a teacher).
func (o *Objective) Alpha(epoch, totalEpochs int, haveTeacher bool) float64 {
	if !o.usePSDL || !haveTeacher || totalEpochs <= 0 {
		return 0
	}
	return o.cfg.AlphaT * float64(epoch) / float64(totalEpochs)
}

// LambdaDDLAt returns the effective DDL weight at epoch t of T.
func (o *Objective) LambdaDDLAt(epoch, totalEpochs int, haveTeacher bool) float64 {
	if !o.useDDL || !haveTeacher || totalEpochs <= 0 {
		return 0
	}
	switch o.cfg.DDLSchedule {
	case ScheduleConstant:
		return o.cfg.LambdaDDL
	case ScheduleStart:
		if epoch >= o.cfg.DDLStartEpoch {
			return o.cfg.LambdaDDL
		}
		return 0
	}
	return o.cfg.LambdaDDL * float64(epoch) / float64(totalEpochs)
}

// Compute evaluates the objective for one batch. student is the output of
// the network being trained; teacher is the frozen snapshot's output for
// the same batch, or nil (epoch 0, or presets without distillation);
// target is the [B,1,H,W] mask (values in {0,1}, same dtype as the
// logits). epoch t is 0-based, 0 <= t <= totalEpochs. The teacher's
// tensors are detached inside: no gradient reaches them.
//
// The returned 0-dim tensor is the caller's (Backward it, then drop it).
func (o *Objective) Compute(student, teacher *models.Output, target *ts.Tensor, epoch, totalEpochs int) (*ts.Tensor, Breakdown, error) {
	var bd Breakdown
	if totalEpochs < 1 {
		return nil, bd, fmt.Errorf("losses: totalEpochs %d: want >= 1", totalEpochs)
	}
	if epoch < 0 || epoch > totalEpochs {
		return nil, bd, fmt.Errorf("losses: epoch %d: want 0..totalEpochs (%d)", epoch, totalEpochs)
	}
	if student == nil || student.Main == nil || len(student.Hierarchy) == 0 {
		return nil, bd, fmt.Errorf("losses: student output is empty")
	}
	if _, err := checkPair("student main logits", student.Main, "target", target); err != nil {
		return nil, bd, err
	}
	depth := len(student.Hierarchy)
	for i, h := range student.Hierarchy {
		if _, err := checkPair(fmt.Sprintf("student hierarchy[%d]", i), h, "target", target); err != nil {
			return nil, bd, err
		}
	}
	if !o.NeedsTeacher() {
		teacher = nil
	}
	if teacher != nil {
		if teacher.Main == nil || len(teacher.Hierarchy) != depth {
			return nil, bd, fmt.Errorf("losses: teacher has %d hierarchical outputs, student %d", len(teacher.Hierarchy), depth)
		}
		for i, h := range teacher.Hierarchy {
			if _, err := checkPair(fmt.Sprintf("teacher hierarchy[%d]", i), h, "student hierarchy", student.Hierarchy[i]); err != nil {
				return nil, bd, err
			}
		}
		if _, err := checkPair("teacher main logits", teacher.Main, "student main logits", student.Main); err != nil {
			return nil, bd, err
		}
	}
	if o.useDS {
		if depth < 2 {
			return nil, bd, fmt.Errorf("losses: deep supervision needs a model with depth >= 2, got %d output(s)", depth)
		}
		if o.cfg.DSWeights != nil && len(o.cfg.DSWeights) != depth-1 {
			return nil, bd, fmt.Errorf("losses: DSWeights has %d entries for %d side outputs", len(o.cfg.DSWeights), depth-1)
		}
	}
	if o.useDDL && teacher != nil {
		s := student.Main.MustSize()
		if g := int64(o.cfg.DDL.Grid); g > s[2] || g > s[3] {
			return nil, bd, fmt.Errorf("losses: DDL grid %d larger than the %dx%d maps", g, s[2], s[3])
		}
	}
	haveTeacher := teacher != nil
	bd.Alpha = o.Alpha(epoch, totalEpochs, haveTeacher)
	bd.LambdaDDL = o.LambdaDDLAt(epoch, totalEpochs, haveTeacher)

	parts := []*ts.Tensor{}
	dropParts := func() {
		for _, p := range parts {
			p.MustDrop()
		}
	}
	// add records a weighted part of the total and its value.
	add := func(t *ts.Tensor, w float64, into *float64) error {
		v, err := Scalar(t)
		if err != nil {
			t.MustDrop()
			return err
		}
		*into = v
		if w != 1 {
			t = mustT(mulScalar(t, w, true))
		}
		parts = append(parts, t)
		return nil
	}

	d, err := dice(student.Main, target)
	if err == nil {
		err = add(d, 1, &bd.Dice)
	}
	if err == nil {
		if o.usePSDL {
			var t *ts.Tensor
			var tm *ts.Tensor
			if haveTeacher {
				tm = teacher.Main
			}
			if t, err = psdl(student.Main, tm, target, bd.Alpha); err == nil {
				err = add(t, o.cfg.LambdaPSDL, &bd.PSDL)
			}
		} else {
			var t *ts.Tensor
			if t, err = bce(student.Main, target); err == nil {
				err = add(t, o.cfg.LambdaPSDL, &bd.BCE)
			}
		}
	}
	if err == nil && o.useDS {
		var t *ts.Tensor
		if t, err = deepSup(student.Hierarchy[:depth-1], target, o.cfg.DSWeights); err == nil {
			err = add(t, o.cfg.LambdaDS, &bd.DeepSup)
		}
	}
	if err == nil && o.useDDL && haveTeacher {
		if bd.LambdaDDL > 0 {
			var t *ts.Tensor
			if t, err = ddl(student.Hierarchy, teacher.Hierarchy, o.cfg.DDL); err == nil {
				err = add(t, bd.LambdaDDL, &bd.DDL)
			}
		} else {
			// Weight 0 (ramp at t = 0, or before the start epoch): log the
			// value without building a graph.
			err = engine.NoGrad(func() error {
				t, err := ddl(student.Hierarchy, teacher.Hierarchy, o.cfg.DDL)
				if err != nil {
					return err
				}
				bd.DDL, err = Scalar(t)
				t.MustDrop()
				return err
			})
		}
	}
	if err != nil {
		dropParts()
		return nil, Breakdown{}, fmt.Errorf("losses: %w", err)
	}
	total := parts[0]
	for _, p := range parts[1:] {
		total = mustT(addT(total, p, true))
		p.MustDrop()
	}
	if bd.Total, err = Scalar(total); err != nil {
		total.MustDrop()
		return nil, Breakdown{}, fmt.Errorf("losses: %w", err)
	}
	return total, bd, nil
}
