package losses

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch/ts"
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
	// NoTauSquared drops the τ² factor (on by default, as in standard KD).
	NoTauSquared bool `json:"no_tau_squared,omitempty"`
}

// WithDefaults fills zero fields and validates.
func (o DDLOptions) WithDefaults() (DDLOptions, error) {
	if o.Grid == 0 {
		o.Grid = 4
	}
	if o.Tau == 0 {
		o.Tau = 3
	}
	if o.Eps == 0 {
		o.Eps = 1e-6
	}
	switch {
	case o.Grid < 1:
		return o, fmt.Errorf("losses: DDL grid %d: want >= 1", o.Grid)
	case !(o.Tau > 0) || math.IsInf(o.Tau, 0):
		return o, fmt.Errorf("losses: DDL tau %g: want a finite value > 0", o.Tau)
	case !(o.Eps > 0) || o.Eps >= 1:
		return o, fmt.Errorf("losses: DDL eps %g: want (0, 1)", o.Eps)
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
func DeepDistribution(student, teacher []*ts.Tensor, opts DDLOptions) (*ts.Tensor, error) {
	opts, err := opts.WithDefaults()
	if err != nil {
		return nil, err
	}
	if len(student) == 0 {
		return nil, fmt.Errorf("losses: DDL needs at least one depth")
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
	return ddl(student, teacher, opts)
}

func ddl(student, teacher []*ts.Tensor, o DDLOptions) (*ts.Tensor, error) {
	var total *ts.Tensor
	for i := range student {
		lt, err := patchLogDist(teacher[i], o, true)
		if err != nil {
			dropIf(total)
			return nil, err
		}
		ls, err := patchLogDist(student[i], o, false)
		if err != nil {
			lt.MustDrop()
			dropIf(total)
			return nil, err
		}
		if o.ReverseKL {
			lt, ls = ls, lt
		}
		// KL(P‖Q) per patch = Σ_c P_c (log P_c - log Q_c), P = exp(lt).
		diff := mustT(sub(lt, ls, false))
		ls.MustDrop()
		kl := mustT(sumDims(mustT(mul(mustT(expT(lt, true)), diff, true)), []int64{1}, diff.DType(), true))
		diff.MustDrop()
		m := mustT(mean(kl, kl.DType(), true))
		if total == nil {
			total = m
		} else {
			total = mustT(addT(total, m, true))
			m.MustDrop()
		}
	}
	if !o.NoTauSquared {
		total = mustT(mulScalar(total, o.Tau*o.Tau, true))
	}
	return total, nil
}

func dropIf(t *ts.Tensor) {
	if t != nil {
		t.MustDrop()
	}
}

// patchLogDist returns log P, [B, 2, g, g]: the tempered log-distribution
// over [foreground, background] of every patch of sigmoid(logits).
func patchLogDist(logits *ts.Tensor, o DDLOptions, detachIt bool) (*ts.Tensor, error) {
	x := logits
	if detachIt {
		var err error
		if x, err = detach(logits, false); err != nil {
			return nil, err
		}
	}
	g := int64(o.Grid)
	p, err := sigmoid(x, detachIt)
	if err != nil {
		return nil, err
	}
	frac, err := adaptiveAvgPool2d(p, g, true) // [B,1,g,g] foreground fraction
	if err != nil {
		return nil, err
	}
	var z *ts.Tensor
	if o.RawCounts {
		area, err := patchAreas(logits, o.Grid)
		if err != nil {
			frac.MustDrop()
			return nil, err
		}
		fg := mustT(mul(frac, area, true))
		bg := mustT(sub(area, fg, true))
		z = mustT(cat2(fg, bg, 1))
		fg.MustDrop()
		bg.MustDrop()
	} else {
		bg := mustT(addScalar(mustT(mulScalar(frac, -1, false)), 1, true))
		z = mustT(cat2(frac, bg, 1))
		frac.MustDrop()
		bg.MustDrop()
		z = mustT(logT(mustT(addScalar(z, o.Eps, true)), true))
	}
	z = mustT(mulScalar(z, 1/o.Tau, true))
	return logSoftmax(z, 1, z.DType(), true)
}

// patchAreas returns the pixel count of each adaptive-pooling patch,
// [1,1,g,g], in logits' dtype and device.
func patchAreas(logits *ts.Tensor, g int) (*ts.Tensor, error) {
	s, err := logits.Size()
	if err != nil {
		return nil, err
	}
	bh, bw := AdaptiveBins(int(s[2]), g), AdaptiveBins(int(s[3]), g)
	data := make([]float64, g*g)
	for i := range bh {
		for j := range bw {
			data[i*g+j] = float64((bh[i][1] - bh[i][0]) * (bw[j][1] - bw[j][0]))
		}
	}
	t, err := ts.NewTensorFromData(data, []int64{1, 1, int64(g), int64(g)})
	if err != nil {
		return nil, err
	}
	dev, err := logits.Device()
	if err != nil {
		t.MustDrop()
		return nil, err
	}
	t2, err := t.To(dev, true)
	if err != nil {
		return nil, err
	}
	return t2.Totype(logits.DType(), true)
}

// DeepSupervision is Σ_i w_i · (Dice(side_i, target) + BCE(side_i, target))
// over side-output logits (each [B,1,H,W] like target). weights has one
// entry per side output, or is nil for equal weights 1/len(side) (a mean).
func DeepSupervision(side []*ts.Tensor, target *ts.Tensor, weights []float64) (*ts.Tensor, error) {
	if len(side) == 0 {
		return nil, fmt.Errorf("losses: deep supervision needs at least one side output")
	}
	if weights != nil && len(weights) != len(side) {
		return nil, fmt.Errorf("losses: deep supervision: %d weights for %d side outputs", len(weights), len(side))
	}
	for i, s := range side {
		if _, err := checkPair(fmt.Sprintf("side output %d", i), s, "target", target); err != nil {
			return nil, err
		}
		if weights != nil && (weights[i] < 0 || math.IsNaN(weights[i]) || math.IsInf(weights[i], 0)) {
			return nil, fmt.Errorf("losses: deep supervision weight %d is %g: want finite >= 0", i, weights[i])
		}
	}
	return deepSup(side, target, weights)
}

func deepSup(side []*ts.Tensor, target *ts.Tensor, weights []float64) (*ts.Tensor, error) {
	var total *ts.Tensor
	for i, s := range side {
		w := 1 / float64(len(side))
		if weights != nil {
			w = weights[i]
		}
		d, err := dice(s, target)
		if err != nil {
			dropIf(total)
			return nil, err
		}
		b, err := bce(s, target)
		if err != nil {
			d.MustDrop()
			dropIf(total)
			return nil, err
		}
		term := mustT(mulScalar(mustT(addT(d, b, true)), w, true))
		b.MustDrop()
		if total == nil {
			total = term
		} else {
			total = mustT(addT(total, term, true))
			term.MustDrop()
		}
	}
	return total, nil
}
