package losses

import (
	"fmt"
	"math"

	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/internal/option"
	"github.com/angioseg/dskd/models"
)

// Unlabelled is the objective on frames nobody annotated (semi-supervised
// training): the teacher's outputs on the weak view of a frame are the
// targets of the student's outputs on the strong view. Both of DSKD's
// distillation terms are label-free, so they serve as they are:
//
//	L_u = λ_u(t) · [ BCE(student main, p̂) + λ_DDL · DDL(every depth) ]
//
// where p̂ = sigmoid(teacher main / T) (T = Sharpen, 1 when off) is PSDL
// with α = 1, averaged over the pixels the teacher is confident about
// (max(p̂, 1-p̂) >= Confidence; all pixels when off), and λ_u(t) ramps up
// from the teacher's first epoch. The zero value means the defaults.
type Unlabelled struct {
	// Weight is λ_u at the end of the ramp; default 1.
	Weight float64 `json:"weight,omitempty"`
	// RampEpochs: λ_u(t) = Weight·exp(-5(1 - t/RampEpochs)²) for epochs
	// t < RampEpochs (counting from 0), Weight after; default 10; -1 = no
	// ramp.
	RampEpochs int `json:"ramp_epochs,omitempty"`
	// Confidence masks the PSDL pixels where the teacher is unsure; in
	// [0.5, 1); default 0 = every pixel.
	Confidence float64 `json:"confidence,omitempty"`
	// Sharpen is the temperature T of the teacher's probabilities, in
	// (0, 1] (smaller is sharper); default 0 = 1, off.
	Sharpen float64 `json:"sharpen,omitempty"`
	// Terms picks the terms: UnlabelledBoth (default, also ""),
	// UnlabelledPSDLOnly or UnlabelledDDLOnly. The one left out is not
	// evaluated and is logged as 0 with weight 0.
	Terms UnlabelledTerms `json:"terms,omitempty"`
	// Pixel is the pixel term's loss: UnlabelledBCE (default, also ""),
	// PSDL with α = 1, or UnlabelledDice, the soft Dice of the student's
	// probabilities against p̂ (over the confident pixels with a
	// Confidence), logged as u_dice. Dice weighs vessel and background
	// as the labelled Dice does; BCE's pixel mean is ruled by the
	// background.
	Pixel UnlabelledPixel `json:"pixel,omitempty"`
}

// UnlabelledPixel is Unlabelled.Pixel.
type UnlabelledPixel string

// The values of Unlabelled.Pixel.
const (
	UnlabelledBCE  UnlabelledPixel = "bce"
	UnlabelledDice UnlabelledPixel = "dice"
)

// UnlabelledTerms is Unlabelled.Terms.
type UnlabelledTerms string

// The values of Unlabelled.Terms.
const (
	UnlabelledBoth     UnlabelledTerms = "psdl+ddl"
	UnlabelledPSDLOnly UnlabelledTerms = "psdl"
	UnlabelledDDLOnly  UnlabelledTerms = "ddl"
)

// Terms of the unlabelled objective (Breakdown names).
const (
	TermUnlabelledPSDL = "u_psdl"
	TermUnlabelledDice = "u_dice" // the pixel term with Pixel = UnlabelledDice
	TermUnlabelledDDL  = "u_ddl"
)

// UnlabelledTermNames lists the Breakdown names ComputeUnlabelled can
// return, in log order: the pixel term (u_psdl or u_dice), then u_ddl.
func UnlabelledTermNames() []string {
	return []string{TermUnlabelledPSDL, TermUnlabelledDice, TermUnlabelledDDL}
}

const unlabelledErr = "losses: unlabelled"

// WithDefaults fills the defaults and checks ranges.
func (u Unlabelled) WithDefaults() (Unlabelled, error) {
	option.Default(&u.Weight, 1)
	option.Default(&u.RampEpochs, 10)
	switch {
	case !(u.Weight > 0) || math.IsInf(u.Weight, 0):
		return u, option.Errorf(unlabelledErr, "weight", "%g: must be > 0 and finite", u.Weight)
	case u.RampEpochs < -1:
		return u, option.Errorf(unlabelledErr, "ramp_epochs", "%d: must be >= 1, or -1 for no ramp", u.RampEpochs)
	case u.Confidence != 0 && !(u.Confidence >= 0.5 && u.Confidence < 1):
		return u, option.Errorf(unlabelledErr, "confidence", "%g: must lie in [0.5, 1), or 0 for off", u.Confidence)
	case !(u.Sharpen >= 0 && u.Sharpen <= 1):
		return u, option.Errorf(unlabelledErr, "sharpen", "%g: must lie in (0, 1], or 0 for off", u.Sharpen)
	}
	if u.Terms != "" {
		if err := option.OneOf(unlabelledErr, "terms", u.Terms, UnlabelledBoth, UnlabelledPSDLOnly, UnlabelledDDLOnly); err != nil {
			return u, err
		}
	}
	if u.Pixel != "" {
		if err := option.OneOf(unlabelledErr, "pixel", u.Pixel, UnlabelledBCE, UnlabelledDice); err != nil {
			return u, err
		}
	}
	return u, nil
}

// WeightAt is λ_u(epoch).
func (u Unlabelled) WeightAt(epoch int) float64 {
	if u.RampEpochs <= 0 || epoch >= u.RampEpochs {
		return u.Weight
	}
	t := 1 - float64(epoch)/float64(u.RampEpochs)
	return u.Weight * math.Exp(-5*t*t)
}

// ComputeUnlabelled is L_u of one batch of unlabelled frames: student on
// the strong views, teacher (required) on the weak ones, same shapes. The
// teacher is detached. Returns the 0-dim loss, owned by the caller.
func (o *Objective) ComputeUnlabelled(student, teacher *models.Output, u Unlabelled, epoch int) (*Tensor, Breakdown, error) {
	u, err := u.WithDefaults()
	if err != nil {
		return nil, Breakdown{}, err
	}
	if student == nil || teacher == nil || len(student.Hierarchy) == 0 || len(student.Hierarchy) != len(teacher.Hierarchy) {
		return nil, Breakdown{}, fmt.Errorf("losses: unlabelled: a student and a teacher output of the same depth are needed")
	}
	if o.cfg.DDL.SidesOnly && len(student.Hierarchy) < 2 {
		return nil, Breakdown{}, fmt.Errorf("losses: unlabelled: ddl.sides_only needs a model with side outputs (depth >= 2)")
	}
	if _, err := checkPair("student main logits", student.Main, "teacher main logits", teacher.Main); err != nil {
		return nil, Breakdown{}, err
	}
	ddlOpts, err := o.cfg.DDL.WithDefaults()
	if err != nil {
		return nil, Breakdown{}, err
	}
	w := u.WeightAt(epoch)
	lambda := o.cfg.LambdaDDL
	option.Default(&lambda, 1)
	s := aten.NewScope()
	defer s.Close()
	// A term left out by Terms is not evaluated: its graph would cost a
	// forward and a backward for nothing.
	pixelTerm, pixel := Term{Name: TermUnlabelledPSDL}, confidentBCE
	if u.Pixel == UnlabelledDice {
		pixelTerm.Name, pixel = TermUnlabelledDice, confidentDice
	}
	ddlTerm := Term{Name: TermUnlabelledDDL}
	var sum *Tensor
	if u.Terms != UnlabelledDDLOnly {
		kd := pixel(s, student.Main, teacher.Main, u)
		pixelTerm.Value, pixelTerm.Weight = s.Item(kd), w
		sum = kd
	}
	if u.Terms != UnlabelledPSDLOnly {
		dl := ddl(s, student.Hierarchy, ddlOpts.targets(student, teacher), ddlOpts)
		ddlTerm.Value, ddlTerm.Weight = s.Item(dl), w*lambda
		if sum == nil {
			sum = s.MulScalar(dl, lambda)
		} else {
			sum = s.Add(sum, s.MulScalar(dl, lambda))
		}
	}
	total := s.MulScalar(sum, w)
	bd := Breakdown{Total: s.Item(total), Terms: []Term{pixelTerm, ddlTerm}}
	loss, err := result(s, total)
	if err != nil {
		return nil, Breakdown{}, err
	}
	return loss, bd, nil
}

// teacherTargets is p̂, the (sharpened) teacher probabilities, detached.
func teacherTargets(s *aten.Scope, teacher *Tensor, u Unlabelled) *Tensor {
	logits := s.Detach(teacher)
	if u.Sharpen > 0 && u.Sharpen != 1 {
		logits = s.MulScalar(logits, 1/u.Sharpen)
	}
	return s.Detach(s.Sigmoid(logits))
}

// confidentMask is 1 where the teacher is confident, max(p̂, 1-p̂) >=
// u.Confidence, 0 elsewhere.
func confidentMask(s *aten.Scope, p *Tensor, u Unlabelled) *Tensor {
	unsure := s.Lt(s.Abs(s.AddScalar(p, -0.5)), u.Confidence-0.5)
	return s.AddScalar(s.MulScalar(s.ToDType(unsure, p.DType()), -1), 1)
}

// confidentDice is the soft Dice loss of the student's probabilities
// against p̂, per image as the labelled Dice, over the confident pixels
// (all of them without a Confidence).
func confidentDice(s *aten.Scope, student, teacher *Tensor, u Unlabelled) *Tensor {
	p, probs := teacherTargets(s, teacher, u), s.Sigmoid(student)
	if u.Confidence > 0 {
		mask := confidentMask(s, p, u)
		p, probs = s.Mul(p, mask), s.Mul(probs, mask)
	}
	return diceProb(s, probs, p)
}

// confidentBCE is BCE of the student's logits against the (sharpened)
// teacher probabilities, averaged over the pixels where the teacher is
// confident (all of them without a Confidence).
func confidentBCE(s *aten.Scope, student, teacher *Tensor, u Unlabelled) *Tensor {
	p := teacherTargets(s, teacher, u)
	if u.Confidence == 0 {
		return s.BCEWithLogits(student, p)
	}
	mask := confidentMask(s, p, u)
	// mean(mask·bce) / mean(mask): the mean over the confident pixels (0
	// when there are none).
	return s.Div(s.BCEWithLogitsWeighted(student, p, mask), s.AddScalar(s.Mean(mask), 1e-12))
}
