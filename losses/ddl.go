package losses

import (
	"fmt"
	"math"

	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/internal/option"
	"github.com/angioseg/dskd/models"
)

// DDLOptions configures the Deep Distribution Loss. The zero value gives
// METHOD.md's defaults.
type DDLOptions struct {
	// Grid is g: each map is split into g x g patches (adaptive average
	// pooling bins, so any H, W >= g works; when g does not divide a side,
	// neighbouring patches overlap by one row/column, exactly as PyTorch's
	// adaptive_avg_pool2d bins). 0 means 4.
	Grid int `json:"grid,omitempty"`
	// Tau is the softmax temperature τ. 0 means 3.
	Tau float64 `json:"tau,omitempty"`
	// Eps is added to the fractions before the log (log-space softening
	// only). 0 means 1e-6.
	Eps float64 `json:"eps,omitempty"`
	// RawCounts softens the raw soft counts, softmax([fg, area-fg]/τ), as
	// the paper literally states, instead of the default
	// softmax(log([fg, bg]/area + eps)/τ). Counts in the hundreds saturate
	// the softmax: kept for fidelity tests and ablations.
	RawCounts bool `json:"raw_counts,omitempty"`
	// ReverseKL uses KL(student ‖ teacher) instead of the default
	// KL(teacher ‖ student).
	ReverseKL bool `json:"reverse_kl,omitempty"`
	// TauSquared is the τ² factor on the loss, as in standard KD: On
	// (default) or Off. JSON: "no_tau_squared": true switches it off.
	TauSquared Switch `json:"no_tau_squared,omitempty"`
	// Target says which map each student depth is compared with: "same"
	// (default ""): the teacher's map of the same depth, METHOD.md's
	// reading; "final": the final output, at every depth (deep teaches
	// shallow, as in BYOT); "finer": the next finer depth (the final
	// output for the final output itself).
	Target DDLTarget `json:"target,omitempty"`
	// Source is where the target maps come from: "teacher" (default ""),
	// or "student": the student's own maps of the same forward pass,
	// detached (the hierarchy distils itself within one pass; with Target
	// "final" or "finer" only, since "same" would compare a map with
	// itself).
	Source DDLSource `json:"source,omitempty"`
	// SidesOnly leaves the final output out of DDL: only the side depths
	// are distilled (the final output keeps its label terms and PSDL).
	// Default false: every depth.
	SidesOnly bool `json:"sides_only,omitempty"`
}

// DDLTarget pairs student depths with target maps (DDLOptions.Target).
type DDLTarget string

// DDL targets; the zero value is DDLSame.
const (
	DDLSame  DDLTarget = "same"
	DDLFinal DDLTarget = "final"
	DDLFiner DDLTarget = "finer"
)

// DDLSource is where DDL's target maps come from (DDLOptions.Source).
type DDLSource string

// DDL sources; the zero value is DDLFromTeacher.
const (
	DDLFromTeacher DDLSource = "teacher"
	DDLFromStudent DDLSource = "student"
)

// targets are the maps DDL compares the student's with (before pairing
// by targetOf): the teacher's, or the student's own.
func (o DDLOptions) targets(student, teacher *models.Output) []*Tensor {
	if o.Source == DDLFromStudent {
		return student.Hierarchy
	}
	return teacher.Hierarchy
}

// targetOf is the index of the map that depth i of n is compared with.
func (o DDLOptions) targetOf(i, n int) int {
	switch o.Target {
	case DDLFinal:
		return n - 1
	case DDLFiner:
		return min(i+1, n-1)
	}
	return i
}

// WithDefaults fills zero fields and validates; an invalid option is an
// error naming it by its path in Config ("losses: ddl.grid -1: ...").
func (o DDLOptions) WithDefaults() (DDLOptions, error) {
	option.Default(&o.Grid, 4)
	option.Default(&o.Tau, 3)
	option.Default(&o.Eps, 1e-6)
	switch {
	case o.Grid < 1:
		return o, option.Errorf(configErr, "ddl.grid", "%d: must be >= 1", o.Grid)
	case !(o.Tau > 0) || math.IsInf(o.Tau, 0):
		return o, option.Errorf(configErr, "ddl.tau", "%g: must be a finite number > 0", o.Tau)
	case !(o.Eps > 0 && o.Eps < 1):
		return o, option.Errorf(configErr, "ddl.eps", "%g: must lie in (0, 1)", o.Eps)
	case !o.TauSquared.Valid():
		return o, option.Errorf(configErr, "ddl.no_tau_squared", "%s: want On or Off", o.TauSquared)
	}
	// "" stays "" (the default): a filled-in value would change the saved
	// configuration, and so the study hashes, of every run before it.
	if o.Target != "" {
		if err := option.OneOf(configErr, "ddl.target", o.Target, DDLSame, DDLFinal, DDLFiner); err != nil {
			return o, err
		}
	}
	if o.Source != "" {
		if err := option.OneOf(configErr, "ddl.source", o.Source, DDLFromTeacher, DDLFromStudent); err != nil {
			return o, err
		}
	}
	if o.Source == DDLFromStudent && (o.Target == "" || o.Target == DDLSame) {
		return o, option.Errorf(configErr, "ddl.source", "student: needs ddl.target final or finer (the same depth of the same pass is the map itself)")
	}
	return o, nil
}

// AdaptiveBins returns the [start, end) bins adaptive average pooling uses
// to split n pixels into g patches: start = floor(i·n/g), end = ceil((i+1)·n/g).
func AdaptiveBins(n, g int) [][2]int {
	bins := make([][2]int, g)
	for i := 0; i < g; i++ {
		bins[i] = [2]int{i * n / g, ((i+1)*n + g - 1) / g}
	}
	return bins
}

// DeepDistribution is the DDL of METHOD.md over a list of hierarchical
// logit maps (any number of depths, each [B,1,H,W]; depths may differ in
// size but student[i] and teacher[i] must match):
//
//	L = τ² · Σ_i mean_{b,m} KL(P_i^T[b,m] ‖ P_i^S[b,m])
//
// where P[b,m] is the tempered 2-bin distribution [foreground, background]
// of patch m (see DDLOptions). Teacher maps are detached: gradients flow to
// the student only. Returns a 0-dim tensor.
func DeepDistribution(student, teacher []*Tensor, opts DDLOptions) (*Tensor, error) {
	opts, err := opts.WithDefaults()
	if err != nil {
		return nil, err
	}
	if len(student) == 0 {
		return nil, fmt.Errorf("losses: DDL needs at least one depth")
	}
	if opts.SidesOnly && len(student) < 2 {
		return nil, fmt.Errorf("losses: DDL with sides_only needs a side depth besides the final output")
	}
	if len(student) != len(teacher) {
		return nil, fmt.Errorf("losses: DDL: %d student depths but %d teacher depths", len(student), len(teacher))
	}
	for i := range student {
		s, err := checkPair(fmt.Sprintf("student depth %d", i), student[i], fmt.Sprintf("teacher depth %d", i), teacher[i])
		if err != nil {
			return nil, err
		}
		if int64(opts.Grid) > s[2] || int64(opts.Grid) > s[3] {
			return nil, fmt.Errorf("losses: DDL grid %d larger than depth %d map %dx%d", opts.Grid, i, s[2], s[3])
		}
	}
	s := aten.NewScope()
	defer s.Close()
	return result(s, ddl(s, student, teacher, opts))
}

func ddl(s *aten.Scope, student, teacher []*Tensor, o DDLOptions) *Tensor {
	var total *Tensor
	depths := len(student)
	if o.SidesOnly { // callers check that a side depth exists
		depths--
	}
	for i := range depths {
		kl := s.Run(func(c *aten.Scope) *Tensor {
			lt := patchLogDist(c, c.Detach(teacher[o.targetOf(i, len(teacher))]), o)
			ls := patchLogDist(c, student[i], o)
			if o.ReverseKL {
				lt, ls = ls, lt
			}
			// KL(P‖Q) per patch = Σ_c P_c (log P_c - log Q_c), P = exp(lt).
			return c.Mean(c.SumDims(c.Mul(c.Exp(lt), c.Sub(lt, ls)), 1))
		})
		total = s.Totals(total, kl)
	}
	if o.TauSquared == On {
		total = s.MulScalar(total, o.Tau*o.Tau)
	}
	return total
}

// patchLogDist returns log P, [B, 2, g, g]: the tempered log-distribution
// over [foreground, background] of every patch of sigmoid(logits).
func patchLogDist(s *aten.Scope, logits *Tensor, o DDLOptions) *Tensor {
	frac := s.AdaptiveAvgPool2d(s.Sigmoid(logits), int64(o.Grid)) // [B,1,g,g] foreground fraction
	var z *Tensor
	if o.RawCounts {
		area := patchAreas(s, logits, o.Grid)
		fg := s.Mul(frac, area)
		z = s.Cat(1, fg, s.Sub(area, fg))
	} else {
		z = s.Log(s.AddScalar(s.Cat(1, frac, s.AddScalar(s.MulScalar(frac, -1), 1)), o.Eps))
	}
	return s.LogSoftmax(s.MulScalar(z, 1/o.Tau), 1)
}

// patchAreas returns the pixel count of each adaptive-pooling patch,
// [1,1,g,g], in logits' dtype and device.
func patchAreas(s *aten.Scope, logits *Tensor, g int) *Tensor {
	sh := logits.Shape()
	bh, bw := AdaptiveBins(int(sh[2]), g), AdaptiveBins(int(sh[3]), g)
	data := make([]float64, g*g)
	for i := range bh {
		for j := range bw {
			data[i*g+j] = float64((bh[i][1] - bh[i][0]) * (bw[j][1] - bw[j][0]))
		}
	}
	t := s.FromFloat64s(data, 1, 1, int64(g), int64(g))
	return s.ToDType(s.ToDevice(t, logits.Device()), logits.DType())
}

// DeepSupervision is Σ_i w_i · (Dice(side_i, target) + BCE(side_i, target))
// over side-output logits (each [B,1,H,W] like target). weights has one
// entry per side output, or is nil for equal weights 1/len(side) (a mean).
func DeepSupervision(side []*Tensor, target *Tensor, weights []float64) (*Tensor, error) {
	if len(side) == 0 {
		return nil, fmt.Errorf("losses: deep supervision needs at least one side output")
	}
	if weights != nil && len(weights) != len(side) {
		return nil, fmt.Errorf("losses: deep supervision: %d weights for %d side outputs", len(weights), len(side))
	}
	for i, sd := range side {
		if _, err := checkPair(fmt.Sprintf("side output %d", i), sd, "target", target); err != nil {
			return nil, err
		}
		if weights != nil && (weights[i] < 0 || math.IsNaN(weights[i]) || math.IsInf(weights[i], 0)) {
			return nil, fmt.Errorf("losses: deep supervision weight %d is %g: want finite >= 0", i, weights[i])
		}
	}
	s := aten.NewScope()
	defer s.Close()
	return result(s, deepSup(s, side, target, weights))
}

func deepSup(s *aten.Scope, side []*Tensor, target *Tensor, weights []float64) *Tensor {
	var total *Tensor
	for i, sd := range side {
		w := 1 / float64(len(side))
		if weights != nil {
			w = weights[i]
		}
		total = s.Totals(total, s.MulScalar(s.Add(dice(s, sd, target), s.BCEWithLogits(sd, target)), w))
	}
	return total
}
