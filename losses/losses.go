package losses

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// Reduction codes of ATen's loss functions.
const reductionMean = 1

// DiceSmooth is the smoothing constant s of the soft Dice loss.
const DiceSmooth = 1.0

func isFloat(d gotch.DType) bool {
	return d == gotch.Float || d == gotch.Double || d == gotch.Half || d == gotch.BFloat16
}

// shapeOf validates that t is a defined float tensor of rank 4 with one
// channel and returns its shape.
func shapeOf(what string, t *ts.Tensor) ([]int64, error) {
	if t == nil {
		return nil, fmt.Errorf("losses: %s is nil", what)
	}
	if ok, err := t.Defined(); err != nil || !ok {
		return nil, fmt.Errorf("losses: %s is an undefined tensor", what)
	}
	s, err := t.Size()
	if err != nil {
		return nil, fmt.Errorf("losses: %s: %w", what, err)
	}
	if len(s) != 4 || s[1] != 1 || s[0] < 1 || s[2] < 1 || s[3] < 1 {
		return nil, fmt.Errorf("losses: %s has shape %v, want [B>=1, 1, H>=1, W>=1]", what, s)
	}
	if !isFloat(t.DType()) {
		return nil, fmt.Errorf("losses: %s has dtype %v, want a floating-point tensor", what, t.DType())
	}
	return s, nil
}

// checkPair validates two maps of identical shape and dtype.
func checkPair(aName string, a *ts.Tensor, bName string, b *ts.Tensor) ([]int64, error) {
	sa, err := shapeOf(aName, a)
	if err != nil {
		return nil, err
	}
	sb, err := shapeOf(bName, b)
	if err != nil {
		return nil, err
	}
	if !reflect.DeepEqual(sa, sb) {
		return nil, fmt.Errorf("losses: %s has shape %v but %s has %v", aName, sa, bName, sb)
	}
	if a.DType() != b.DType() {
		return nil, fmt.Errorf("losses: %s has dtype %v but %s has %v", aName, a.DType(), bName, b.DType())
	}
	return sa, nil
}

// Scalar reads a one-element tensor as float64.
func Scalar(t *ts.Tensor) (float64, error) {
	if t == nil {
		return 0, errors.New("losses: Scalar of a nil tensor")
	}
	if t.Numel() != 1 {
		return 0, fmt.Errorf("losses: Scalar of a tensor with %d elements", t.Numel())
	}
	return scalarValue(t)
}

// Dice is the soft Dice loss on logits [B,1,H,W] against target [B,1,H,W]:
// per image 1 - (2·Σ p·y + s) / (Σ p + Σ y + s) with p = sigmoid(logits)
// and s = DiceSmooth, averaged over the batch. Returns a 0-dim tensor.
func Dice(logits, target *ts.Tensor) (*ts.Tensor, error) {
	if _, err := checkPair("logits", logits, "target", target); err != nil {
		return nil, err
	}
	return dice(logits, target)
}

func dice(logits, target *ts.Tensor) (*ts.Tensor, error) {
	dims := []int64{1, 2, 3}
	dt := logits.DType()
	p, err := sigmoid(logits, false)
	if err != nil {
		return nil, err
	}
	inter, err := mul(p, target, false)
	if err != nil {
		p.MustDrop()
		return nil, err
	}
	if inter, err = sumDims(inter, dims, dt, true); err != nil {
		p.MustDrop()
		return nil, err
	}
	ps, err := sumDims(p, dims, dt, true)
	if err != nil {
		inter.MustDrop()
		return nil, err
	}
	ys, err := sumDims(target, dims, dt, false)
	if err != nil {
		inter.MustDrop()
		ps.MustDrop()
		return nil, err
	}
	// num = 2·inter + s; den = ps + ys + s; loss = mean(1 - num/den).
	num := mustT(addScalar(mustT(mulScalar(inter, 2, true)), DiceSmooth, true))
	den := mustT(addScalar(mustT(addT(ps, ys, true)), DiceSmooth, true))
	ys.MustDrop()
	ratio := mustT(div(num, den, true))
	den.MustDrop()
	m := mustT(mean(ratio, dt, true))
	return addScalar(mustT(mulScalar(m, -1, true)), 1, true)
}

// BCEWithLogits is binary cross-entropy on logits [B,1,H,W] against a
// (possibly soft) target in [0,1] of the same shape, averaged over all
// pixels of the batch. Returns a 0-dim tensor.
func BCEWithLogits(logits, target *ts.Tensor) (*ts.Tensor, error) {
	if _, err := checkPair("logits", logits, "target", target); err != nil {
		return nil, err
	}
	return bce(logits, target)
}

func bce(logits, target *ts.Tensor) (*ts.Tensor, error) {
	// ts.None is an undefined tensor: ATen's "no weight / no pos_weight".
	return bceWithLogitsMean(logits, target)
}

// PixelwiseSelfKD is the PSDL of METHOD.md: BCE-with-logits of the student
// logits against the soft target ŷ = α·sigmoid(teacher) + (1-α)·target,
// averaged over pixels. The teacher is detached (it never receives a
// gradient). teacher may be nil, and then (or with alpha = 0) the result
// is plain BCE against target. alpha must lie in [0, 1].
func PixelwiseSelfKD(student, teacher, target *ts.Tensor, alpha float64) (*ts.Tensor, error) {
	if _, err := checkPair("student logits", student, "target", target); err != nil {
		return nil, err
	}
	if !(alpha >= 0 && alpha <= 1) {
		return nil, fmt.Errorf("losses: PSDL alpha %g: want [0, 1]", alpha)
	}
	if teacher != nil {
		if _, err := checkPair("student logits", student, "teacher logits", teacher); err != nil {
			return nil, err
		}
	}
	return psdl(student, teacher, target, alpha)
}

func psdl(student, teacher, target *ts.Tensor, alpha float64) (*ts.Tensor, error) {
	if teacher == nil || alpha == 0 {
		return bce(student, target)
	}
	soft, err := softTarget(teacher, target, alpha)
	if err != nil {
		return nil, err
	}
	defer soft.MustDrop()
	return bce(student, soft)
}

// softTarget returns the detached α·sigmoid(teacher) + (1-α)·target.
func softTarget(teacher, target *ts.Tensor, alpha float64) (*ts.Tensor, error) {
	td, err := detach(teacher, false)
	if err != nil {
		return nil, err
	}
	pt := mustT(mulScalar(mustT(sigmoid(td, true)), alpha, true))
	ty := mustT(mulScalar(target, 1-alpha, false))
	soft := mustT(addT(pt, ty, true))
	ty.MustDrop()
	return detach(soft, true)
}
