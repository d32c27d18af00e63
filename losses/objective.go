package losses

import (
	"fmt"
	"math"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/internal/option"
	"github.com/angioseg/dskd/models"
)

// Preset selects the loss terms of an ablation (Config.Preset).
type Preset string

// Presets of Config.Preset.
const (
	// PresetUNet: Dice(main) + λ_PSDL·BCE(main, y). No teacher is used.
	PresetUNet Preset = "unet"
	// PresetDeepSupervision: PresetUNet + λ_DS·DeepSupervision(side outputs).
	PresetDeepSupervision Preset = "deep-supervision"
	// PresetPSDL: Dice(main) + λ_PSDL·PSDL(main, teacher main, y; α_t).
	PresetPSDL Preset = "psdl"
	// PresetDDL: Dice(main) + λ_PSDL·BCE(main, y) + λ_DDL(t)·DDL(all depths).
	PresetDDL Preset = "ddl"
	// PresetDSKD: Dice(main) + λ_PSDL·PSDL + λ_DDL(t)·DDL. The default.
	PresetDSKD Preset = "dskd"
)

// Presets lists every preset, in the order of the ablation.
func Presets() []Preset {
	return []Preset{PresetUNet, PresetDeepSupervision, PresetPSDL, PresetDDL, PresetDSKD}
}

// DDLSchedule is how the DDL weight grows over the epochs
// (Config.DDLSchedule).
type DDLSchedule string

// DDL weight schedules of Config.DDLSchedule.
const (
	// ScheduleRamp: λ_DDL(t) = λ_DDL·t/T (the default).
	ScheduleRamp DDLSchedule = "ramp"
	// ScheduleConstant: λ_DDL(t) = λ_DDL whenever a teacher is given.
	ScheduleConstant DDLSchedule = "constant"
	// ScheduleStart: λ_DDL(t) = λ_DDL for t >= DDLStartEpoch, 0 before.
	ScheduleStart DDLSchedule = "start"
)

// Switch is an on/off setting whose zero value is On, the default
// (DDLOptions.TauSquared). In JSON it is the "no_..." boolean of earlier
// versions: true when Off, left out when On.
type Switch = option.Switch

// The values of a Switch.
const (
	On  = option.On
	Off = option.Off
)

// configErr prefixes the errors of Config's options.
const configErr = "losses"

// Config configures the training objective. The zero value is full DSKD
// with METHOD.md's defaults. Float fields use 0 for "default": switch a
// term off with a Preset, not with a zero weight.
type Config struct {
	// Preset is one of PresetUNet, PresetDeepSupervision, PresetPSDL,
	// PresetDDL, PresetDSKD. "" means PresetDSKD.
	Preset Preset `json:"preset,omitempty"`
	// LambdaPSDL weighs the pixel term on the main output (PSDL, or plain
	// BCE in presets without PSDL). 0 means 1.
	LambdaPSDL float64 `json:"lambda_psdl,omitempty"`
	// LambdaDDL is the DDL weight before the schedule. 0 means 1.
	LambdaDDL float64 `json:"lambda_ddl,omitempty"`
	// LambdaDS weighs the deep-supervision term (PresetDeepSupervision,
	// or any preset with DeepSupervision). 0 means 1.
	LambdaDS float64 `json:"lambda_ds,omitempty"`
	// DeepSupervision adds the deep-supervision term (λ_DS, DSWeights) to
	// a preset without it, e.g. DSKD + deep supervision. Default false
	// (the paper's presets); PresetDeepSupervision has it either way.
	DeepSupervision bool `json:"deep_supervision,omitempty"`
	// DSWeights are per-side-output weights, coarse to fine, one per side
	// output (Depth-1 entries: the main output always gets Dice+BCE with
	// weight 1). nil means equal weights 1/(Depth-1), i.e. the mean.
	DSWeights []float64 `json:"ds_weights,omitempty"`
	// AlphaT is α_T, the final PSDL teacher weight: α_t = α_T·t/T.
	// 0 means 0.5. Valid: (0, 1].
	AlphaT float64 `json:"alpha_t,omitempty"`
	// DDLSchedule is ScheduleRamp (default, also for ""), ScheduleConstant
	// or ScheduleStart.
	DDLSchedule DDLSchedule `json:"ddl_schedule,omitempty"`
	// DDLStartEpoch is the first epoch with DDL under ScheduleStart, >= 1.
	// 0 means 1 (the first epoch that has a teacher).
	DDLStartEpoch int `json:"ddl_start_epoch,omitempty"`
	// DDL holds the Deep Distribution Loss options (grid 4, τ 3, log-space
	// softening of fractions, KL(teacher‖student), τ² factor on).
	DDL DDLOptions `json:"ddl,omitempty"`
}

// Term names: the keys of Breakdown, the epoch log and metrics.csv.
const (
	TermDice    = "dice"     // soft Dice of the main output
	TermBCE     = "bce"      // BCE(main, y), presets without PSDL
	TermPSDL    = "psdl"     // PSDL(main, teacher main, y; α_t)
	TermDDL     = "ddl"      // DDL over all depths (τ²-scaled unless disabled)
	TermDeepSup = "deep_sup" // weighted deep-supervision sum over side outputs
)

// Term is one part of an objective evaluation.
type Term struct {
	Name string
	// Value is the unweighted value (0 when the term was not evaluated,
	// e.g. DDL without a teacher).
	Value float64
	// Weight is the factor it entered Total with (0: logged only).
	Weight float64
}

// Breakdown reports the parts of one objective evaluation (or, after Add
// and Mean, of an epoch) for logging.
type Breakdown struct {
	// Total is the weighted sum that was returned.
	Total float64
	// Terms are the preset's terms, in the preset's order.
	Terms []Term
	// Alpha is the α_t used by PSDL (0 without a teacher).
	Alpha float64
	// LambdaDDL is the effective DDL weight λ_DDL(t) (0 without a teacher).
	LambdaDDL float64
}

// Get returns the value of the named term.
func (b Breakdown) Get(name string) (float64, bool) {
	for _, t := range b.Terms {
		if t.Name == name {
			return t.Value, true
		}
	}
	return 0, false
}

// Values maps term names to values.
func (b Breakdown) Values() map[string]float64 {
	m := make(map[string]float64, len(b.Terms))
	for _, t := range b.Terms {
		m[t.Name] = t.Value
	}
	return m
}

// Add accumulates o (same preset) into b: totals and term values sum;
// weights, α and λ_DDL are o's (the latest).
func (b *Breakdown) Add(o Breakdown) {
	b.Total += o.Total
	if len(b.Terms) == 0 {
		b.Terms = make([]Term, len(o.Terms))
		copy(b.Terms, o.Terms)
	} else {
		for i := range b.Terms {
			if i < len(o.Terms) {
				b.Terms[i].Value += o.Terms[i].Value
				b.Terms[i].Weight = o.Terms[i].Weight
			}
		}
	}
	b.Alpha, b.LambdaDDL = o.Alpha, o.LambdaDDL
}

// Mean divides the accumulated total and term values by n.
func (b Breakdown) Mean(n int) Breakdown {
	if n <= 0 {
		return b
	}
	f := 1 / float64(n)
	out := b
	out.Total *= f
	out.Terms = make([]Term, len(b.Terms))
	for i, t := range b.Terms {
		t.Value *= f
		out.Terms[i] = t
	}
	return out
}

// String renders the terms for error messages: "dice 0.41, psdl 0.22".
func (b Breakdown) String() string {
	s := ""
	for i, t := range b.Terms {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %v", t.Name, t.Value)
	}
	return s
}

// Objective is the configured loss. Build it with NewObjective.
type Objective struct {
	cfg   Config
	terms []term
}

// evaluation is what the terms of one Compute read.
type evaluation struct {
	student, teacher *models.Output // teacher nil without one
	target           *Tensor
	alpha, lambdaDDL float64
}

// term is one row of a preset's table: how it is weighted, whether it can
// be evaluated, and how.
type term struct {
	name    string
	weight  func(o *Objective, e *evaluation) float64
	needs   func(e *evaluation) bool // nil: always evaluated
	compute func(o *Objective, s *aten.Scope, e *evaluation) *Tensor
}

func one(*Objective, *evaluation) float64            { return 1 }
func lambdaPSDL(o *Objective, _ *evaluation) float64 { return o.cfg.LambdaPSDL }
func haveTeacher(e *evaluation) bool                 { return e.teacher != nil }

var (
	termDice = term{name: TermDice, weight: one,
		compute: func(_ *Objective, s *aten.Scope, e *evaluation) *Tensor {
			return dice(s, e.student.Main, e.target)
		}}
	termBCE = term{name: TermBCE, weight: lambdaPSDL,
		compute: func(_ *Objective, s *aten.Scope, e *evaluation) *Tensor {
			return s.BCEWithLogits(e.student.Main, e.target)
		}}
	termPSDL = term{name: TermPSDL, weight: lambdaPSDL,
		compute: func(_ *Objective, s *aten.Scope, e *evaluation) *Tensor {
			var tm *Tensor
			if e.teacher != nil {
				tm = e.teacher.Main
			}
			return psdl(s, e.student.Main, tm, e.target, e.alpha)
		}}
	termDeepSup = term{name: TermDeepSup,
		weight: func(o *Objective, _ *evaluation) float64 { return o.cfg.LambdaDS },
		compute: func(o *Objective, s *aten.Scope, e *evaluation) *Tensor {
			h := e.student.Hierarchy
			return deepSup(s, h[:len(h)-1], e.target, o.cfg.DSWeights)
		}}
	termDDL = term{name: TermDDL, needs: haveTeacher,
		weight: func(_ *Objective, e *evaluation) float64 { return e.lambdaDDL },
		compute: func(o *Objective, s *aten.Scope, e *evaluation) *Tensor {
			return ddl(s, e.student.Hierarchy, o.cfg.DDL.targets(e.student, e.teacher), o.cfg.DDL)
		}}
)

// presetTerms is the table of terms per preset.
var presetTerms = map[Preset][]term{
	PresetUNet:            {termDice, termBCE},
	PresetDeepSupervision: {termDice, termBCE, termDeepSup},
	PresetPSDL:            {termDice, termPSDL},
	PresetDDL:             {termDice, termBCE, termDDL},
	PresetDSKD:            {termDice, termPSDL, termDDL},
}

// NewObjective validates cfg, fills defaults and returns the objective. An
// invalid option is an error naming it by its JSON path
// ("losses: lambda_ddl -1: ...").
func NewObjective(cfg Config) (*Objective, error) {
	option.Default(&cfg.Preset, PresetDSKD)
	option.Default(&cfg.LambdaPSDL, 1)
	option.Default(&cfg.LambdaDDL, 1)
	option.Default(&cfg.LambdaDS, 1)
	option.Default(&cfg.AlphaT, 0.5)
	option.Default(&cfg.DDLSchedule, ScheduleRamp)
	option.Default(&cfg.DDLStartEpoch, 1)
	if err := option.OneOf(configErr, "preset", cfg.Preset, Presets()...); err != nil {
		return nil, err
	}
	terms := presetTerms[cfg.Preset]
	bad := func(v float64) bool { return v < 0 || math.IsNaN(v) || math.IsInf(v, 0) }
	const weight = "%g: must be a finite number >= 0"
	switch {
	case bad(cfg.LambdaPSDL):
		return nil, option.Errorf(configErr, "lambda_psdl", weight, cfg.LambdaPSDL)
	case bad(cfg.LambdaDDL):
		return nil, option.Errorf(configErr, "lambda_ddl", weight, cfg.LambdaDDL)
	case bad(cfg.LambdaDS):
		return nil, option.Errorf(configErr, "lambda_ds", weight, cfg.LambdaDS)
	case !(cfg.AlphaT > 0 && cfg.AlphaT <= 1):
		return nil, option.Errorf(configErr, "alpha_t", "%g: must lie in (0, 1]", cfg.AlphaT)
	}
	if err := option.OneOf(configErr, "ddl_schedule", cfg.DDLSchedule, ScheduleRamp, ScheduleConstant, ScheduleStart); err != nil {
		return nil, err
	}
	if cfg.DDLStartEpoch < 0 {
		return nil, option.Errorf(configErr, "ddl_start_epoch", "%d: must be >= 1 (0 = 1)", cfg.DDLStartEpoch)
	}
	for i, w := range cfg.DSWeights {
		if bad(w) {
			return nil, option.Errorf(configErr, fmt.Sprintf("ds_weights[%d]", i), weight, w)
		}
	}
	ddl, err := cfg.DDL.WithDefaults()
	if err != nil {
		return nil, err
	}
	cfg.DDL = ddl
	o := &Objective{cfg: cfg, terms: terms}
	if cfg.DeepSupervision && !o.uses(TermDeepSup) {
		o.terms = append(append([]term(nil), terms...), termDeepSup)
	}
	return o, nil
}

// Config returns the configuration with defaults filled in.
func (o *Objective) Config() Config { return o.cfg }

// Terms lists the names of the preset's terms, in order.
func (o *Objective) Terms() []string {
	names := make([]string, len(o.terms))
	for i, t := range o.terms {
		names[i] = t.name
	}
	return names
}

func (o *Objective) uses(name string) bool {
	for _, t := range o.terms {
		if t.name == name {
			return true
		}
	}
	return false
}

// NeedsTeacher reports whether the preset uses a teacher at all (the
// trainer can skip the teacher's forward pass otherwise).
func (o *Objective) NeedsTeacher() bool { return o.uses(TermPSDL) || o.uses(TermDDL) }

// Alpha returns α_t = α_T·t/T for epoch t of T (0 without a teacher).
func (o *Objective) Alpha(epoch, totalEpochs int, haveTeacher bool) float64 {
	if !o.uses(TermPSDL) || !haveTeacher || totalEpochs <= 0 {
		return 0
	}
	return o.cfg.AlphaT * float64(epoch) / float64(totalEpochs)
}

// LambdaDDLAt returns the effective DDL weight at epoch t of T.
func (o *Objective) LambdaDDLAt(epoch, totalEpochs int, haveTeacher bool) float64 {
	if !o.uses(TermDDL) || !haveTeacher || totalEpochs <= 0 {
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
// tensors are detached inside: no gradient reaches them. A term whose
// weight is 0 (DDL at t = 0 of the ramp) is evaluated without a graph,
// for the log only.
//
// The returned 0-dim tensor is the caller's (Backward it, then Free it).
func (o *Objective) Compute(student, teacher *models.Output, target *Tensor, epoch, totalEpochs int) (*Tensor, Breakdown, error) {
	e, err := o.evaluation(student, teacher, target, epoch, totalEpochs)
	if err != nil {
		return nil, Breakdown{}, err
	}
	bd := Breakdown{Alpha: e.alpha, LambdaDDL: e.lambdaDDL, Terms: make([]Term, 0, len(o.terms))}

	s := aten.NewScope()
	defer s.Close()
	var total *Tensor
	o.evalTerms(s, e, func(name string, w float64, v *Tensor) {
		if v == nil {
			bd.Terms = append(bd.Terms, Term{Name: name})
			return
		}
		bd.Terms = append(bd.Terms, Term{Name: name, Value: s.Item(v), Weight: w})
		switch w {
		case 0:
		case 1:
			total = s.Totals(total, v)
		default:
			total = s.Totals(total, s.MulScalar(v, w))
		}
	})
	bd.Total = s.Item(total)
	loss, err := result(s, total)
	if err != nil {
		return nil, Breakdown{}, err
	}
	return loss, bd, nil
}

// evaluation validates the arguments of one batch and fixes the weights
// of epoch t of T.
func (o *Objective) evaluation(student, teacher *models.Output, target *Tensor, epoch, totalEpochs int) (*evaluation, error) {
	if !o.NeedsTeacher() {
		teacher = nil
	}
	if err := o.validate(student, teacher, target, epoch, totalEpochs); err != nil {
		return nil, err
	}
	e := &evaluation{student: student, teacher: teacher, target: target}
	e.alpha = o.Alpha(epoch, totalEpochs, teacher != nil)
	e.lambdaDDL = o.LambdaDDLAt(epoch, totalEpochs, teacher != nil)
	return e, nil
}

// evalTerms evaluates each term in order and hands it to visit with its
// weight: v is nil for a term that cannot be evaluated (DDL without a
// teacher); a term of weight 0 is evaluated without a graph.
func (o *Objective) evalTerms(s *aten.Scope, e *evaluation, visit func(name string, w float64, v *Tensor)) {
	for _, t := range o.terms {
		w := t.weight(o, e)
		if t.needs != nil && !t.needs(e) {
			visit(t.name, w, nil)
			continue
		}
		var v *Tensor
		if w == 0 {
			_ = engine.NoGrad(func() error { v = t.compute(o, s, e); return nil })
		} else {
			v = t.compute(o, s, e)
		}
		visit(t.name, w, v)
	}
}

// WeightedTerm is one term of the objective as it enters the loss: its
// value times its weight, with the graph to the student's outputs.
type WeightedTerm struct {
	Name   string
	Weight float64
	Loss   *Tensor // 0-dim; the caller's (Free it)
}

// WeightedTerms evaluates the terms that enter the loss (weight > 0) of
// one batch separately, for diagnostics such as per-term gradients;
// their sum is Compute's loss. Arguments as for Compute.
func (o *Objective) WeightedTerms(student, teacher *models.Output, target *Tensor, epoch, totalEpochs int) ([]WeightedTerm, error) {
	e, err := o.evaluation(student, teacher, target, epoch, totalEpochs)
	if err != nil {
		return nil, err
	}
	s := aten.NewScope()
	defer s.Close()
	var out []WeightedTerm
	o.evalTerms(s, e, func(name string, w float64, v *Tensor) {
		if v == nil || w == 0 {
			return
		}
		if w != 1 {
			v = s.MulScalar(v, w)
		}
		out = append(out, WeightedTerm{Name: name, Weight: w, Loss: s.Keep(v)})
	})
	if err := s.Err(); err != nil {
		for _, t := range out {
			t.Loss.Free()
		}
		return nil, fmt.Errorf("losses: %w", err)
	}
	return out, nil
}

// validate checks Compute's arguments.
func (o *Objective) validate(student, teacher *models.Output, target *Tensor, epoch, totalEpochs int) error {
	if totalEpochs < 1 {
		return fmt.Errorf("losses: totalEpochs %d: want >= 1", totalEpochs)
	}
	if epoch < 0 || epoch > totalEpochs {
		return fmt.Errorf("losses: epoch %d: want 0..totalEpochs (%d)", epoch, totalEpochs)
	}
	if student == nil || student.Main == nil || len(student.Hierarchy) == 0 {
		return fmt.Errorf("losses: student output is empty")
	}
	if _, err := checkPair("student main logits", student.Main, "target", target); err != nil {
		return err
	}
	depth := len(student.Hierarchy)
	for i, h := range student.Hierarchy {
		if _, err := checkPair(fmt.Sprintf("student hierarchy[%d]", i), h, "target", target); err != nil {
			return err
		}
	}
	if teacher != nil {
		if teacher.Main == nil || len(teacher.Hierarchy) != depth {
			return fmt.Errorf("losses: teacher has %d hierarchical outputs, student %d", len(teacher.Hierarchy), depth)
		}
		for i, h := range teacher.Hierarchy {
			if _, err := checkPair(fmt.Sprintf("teacher hierarchy[%d]", i), h, "student hierarchy", student.Hierarchy[i]); err != nil {
				return err
			}
		}
		if _, err := checkPair("teacher main logits", teacher.Main, "student main logits", student.Main); err != nil {
			return err
		}
	}
	if o.uses(TermDeepSup) {
		if depth < 2 {
			return fmt.Errorf("losses: deep supervision needs a model with depth >= 2, got %d output(s)", depth)
		}
		if o.cfg.DSWeights != nil && len(o.cfg.DSWeights) != depth-1 {
			return fmt.Errorf("losses: DSWeights has %d entries for %d side outputs", len(o.cfg.DSWeights), depth-1)
		}
	}
	if o.uses(TermDDL) && teacher != nil {
		if g, sh := int64(o.cfg.DDL.Grid), student.Main.Shape(); g > sh[2] || g > sh[3] {
			return fmt.Errorf("losses: DDL grid %d larger than the %dx%d maps", g, sh[2], sh[3])
		}
	}
	if o.cfg.DDL.SidesOnly && depth < 2 {
		return fmt.Errorf("losses: ddl.sides_only needs a model with side outputs (depth >= 2), got %d output(s)", depth)
	}
	return nil
}
