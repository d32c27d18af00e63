package losses

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/angioseg/dskd/internal/aten"
)

// DiceSmooth is the smoothing constant s of the soft Dice loss.
const DiceSmooth = 1.0

// Tensor is dskd's libtorch tensor handle (models.Tensor).
type Tensor = aten.Tensor

// shapeOf validates that t is a defined float tensor of rank 4 with one
// channel and returns its shape.
func shapeOf(what string, t *Tensor) ([]int64, error) {
	if t == nil || t.Freed() {
		return nil, fmt.Errorf("losses: %s is nil or freed", what)
	}
	if !t.Defined() {
		return nil, fmt.Errorf("losses: %s is an undefined tensor", what)
	}
	s := t.Shape()
	if len(s) != 4 || s[1] != 1 || s[0] < 1 || s[2] < 1 || s[3] < 1 {
		return nil, fmt.Errorf("losses: %s has shape %v, want [B>=1, 1, H>=1, W>=1]", what, s)
	}
	if !t.IsFloat() {
		return nil, fmt.Errorf("losses: %s has dtype %v, want a floating-point tensor", what, t.DType())
	}
	return s, nil
}

// checkPair validates two maps of identical shape, dtype and device.
func checkPair(aName string, a *Tensor, bName string, b *Tensor) ([]int64, error) {
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
	if a.Device() != b.Device() {
		return nil, fmt.Errorf("losses: %s is on %s but %s on %s", aName, aten.DeviceName(a.Device()), bName, aten.DeviceName(b.Device()))
	}
	return sa, nil
}

// Scalar reads a one-element tensor as float64.
func Scalar(t *Tensor) (float64, error) {
	if t == nil {
		return 0, errors.New("losses: Scalar of a nil tensor")
	}
	s := aten.NewScope()
	defer s.Close()
	v := s.Item(t)
	if err := s.Err(); err != nil {
		return 0, fmt.Errorf("losses: %w", err)
	}
	return v, nil
}

// result hands the 0-dim loss computed in s to the caller.
func result(s *aten.Scope, t *Tensor) (*Tensor, error) {
	r, err := s.Result(t)
	if err != nil {
		return nil, fmt.Errorf("losses: %w", err)
	}
	return r, nil
}

// Dice is the soft Dice loss on logits [B,1,H,W] against target [B,1,H,W]:
// per image 1 - (2·Σ p·y + s) / (Σ p + Σ y + s) with p = sigmoid(logits)
// and s = DiceSmooth, averaged over the batch. Returns a 0-dim tensor.
func Dice(logits, target *Tensor) (*Tensor, error) {
	if _, err := checkPair("logits", logits, "target", target); err != nil {
		return nil, err
	}
	s := aten.NewScope()
	defer s.Close()
	return result(s, dice(s, logits, target))
}

func dice(s *aten.Scope, logits, target *Tensor) *Tensor {
	return diceProb(s, s.Sigmoid(logits), target)
}

// diceProb is dice on probabilities p [B,1,H,W].
func diceProb(s *aten.Scope, p, target *Tensor) *Tensor {
	inter := s.SumDims(s.Mul(p, target), 1, 2, 3)
	num := s.AddScalar(s.MulScalar(inter, 2), DiceSmooth)
	den := s.AddScalar(s.Add(s.SumDims(p, 1, 2, 3), s.SumDims(target, 1, 2, 3)), DiceSmooth)
	return s.AddScalar(s.MulScalar(s.Mean(s.Div(num, den)), -1), 1)
}

// BCEWithLogits is binary cross-entropy on logits [B,1,H,W] against a
// (possibly soft) target in [0,1] of the same shape, averaged over all
// pixels of the batch. Returns a 0-dim tensor.
func BCEWithLogits(logits, target *Tensor) (*Tensor, error) {
	if _, err := checkPair("logits", logits, "target", target); err != nil {
		return nil, err
	}
	s := aten.NewScope()
	defer s.Close()
	return result(s, s.BCEWithLogits(logits, target))
}

// PixelwiseSelfKD is the PSDL of METHOD.md: BCE-with-logits of the student
// logits against the soft target ŷ = α·sigmoid(teacher) + (1-α)·target,
// averaged over pixels. The teacher is detached (it never receives a
// gradient). teacher may be nil, and then (or with alpha = 0) the result
// is plain BCE against target. alpha must lie in [0, 1].
func PixelwiseSelfKD(student, teacher, target *Tensor, alpha float64) (*Tensor, error) {
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
	s := aten.NewScope()
	defer s.Close()
	return result(s, psdl(s, student, teacher, target, alpha))
}

func psdl(s *aten.Scope, student, teacher, target *Tensor, alpha float64) *Tensor {
	if teacher == nil || alpha == 0 {
		return s.BCEWithLogits(student, target)
	}
	return s.BCEWithLogits(student, softTarget(s, teacher, target, alpha))
}

// softTarget is the detached α·sigmoid(teacher) + (1-α)·target.
func softTarget(s *aten.Scope, teacher, target *Tensor, alpha float64) *Tensor {
	pt := s.MulScalar(s.Sigmoid(s.Detach(teacher)), alpha)
	return s.Detach(s.Add(pt, s.MulScalar(target, 1-alpha)))
}

// Backward computes the gradients of a 0-dim loss into every trainable
// variable it depends on (accumulating into .grad), for users who write
// their own training loop; the caller still frees loss.
func Backward(loss *Tensor) error {
	s := aten.NewScope()
	defer s.Close()
	s.Backward(loss)
	if err := s.Err(); err != nil {
		return fmt.Errorf("losses: %w", err)
	}
	return nil
}
