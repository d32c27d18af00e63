package dskd

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/internal/option"
	"github.com/angioseg/dskd/models"
	"github.com/angioseg/dskd/optim"
)

// Precision is the arithmetic of the forward passes (Config.Precision,
// InferOptions.Precision).
type Precision string

// Precisions of Config.Precision.
const (
	PrecisionFP32 Precision = "fp32" // full precision (the default)
	PrecisionBF16 Precision = "bf16" // autocast to bfloat16: CPU and CUDA (Ampere or newer)
	PrecisionFP16 Precision = "fp16" // autocast to float16 with a gradient scaler: CUDA only
)

// autocastDType is the lower precision of p, or Invalid for fp32.
func autocastDType(p Precision) gotch.DType {
	switch p {
	case PrecisionBF16:
		return gotch.BFloat16
	case PrecisionFP16:
		return gotch.Half
	}
	return gotch.Invalid
}

// forward runs m on x in the run's precision. Under autocast the network
// runs in bfloat16/float16 where libtorch's autocast lists allow, and the
// outputs come back as float32, so the losses and metrics are computed in
// full precision.
func forward(m models.Model, device gotch.Device, precision Precision, x *aten.Tensor, train bool) (*models.Output, error) {
	return forwardWith(device, precision, func() (*models.Output, error) { return m.Forward(x, train) })
}

// forwardWith is forward for any forward pass fn.
func forwardWith(device gotch.Device, precision Precision, fn func() (*models.Output, error)) (*models.Output, error) {
	dt := autocastDType(precision)
	if dt == gotch.Invalid {
		return fn()
	}
	var low *models.Output
	err := aten.Autocast(device, dt, func() error {
		var err error
		low, err = fn()
		return err
	})
	if err != nil {
		return nil, err
	}
	defer low.Free()
	return low.Float32()
}

// precision is a run's arithmetic: autocast for the forward passes, and
// for fp16 the gradient scaler. Its fp32 form changes nothing.
type precision struct {
	device gotch.Device
	name   Precision
	scaler *gradScaler // fp16 only
}

// newPrecision is the precision p on device; resumed is the scaler state of
// the checkpoint a run resumes from (nil: a new run).
func newPrecision(p Precision, device gotch.Device, resumed *ScalerState) *precision {
	pr := &precision{device: device, name: p}
	if p == PrecisionFP16 {
		pr.scaler = newGradScaler()
		if resumed != nil && finiteScale(resumed.Scale) {
			pr.scaler.ScalerState = *resumed
		}
	}
	return pr
}

// forward runs fn under the run's autocast (see forwardWith).
func (p *precision) forward(fn func() (*models.Output, error)) (*models.Output, error) {
	return forwardWith(p.device, p.name, fn)
}

// scale multiplies the loss by the fp16 scale (the loss itself otherwise).
func (p *precision) scale(s *aten.Scope, loss *aten.Tensor) *aten.Tensor {
	if p.scaler == nil {
		return loss
	}
	return s.MulScalar(loss, p.scaler.Scale)
}

// unscale divides the gradients by the fp16 scale and says whether the
// step may be taken (false: they overflowed, the scale is halved).
func (p *precision) unscale(opt *optim.Optimizer) (bool, error) {
	if p.scaler == nil {
		return true, nil
	}
	finite, err := opt.ScaleGrads(1 / p.scaler.Scale)
	if err != nil {
		return false, fmt.Errorf("dskd: %w", err)
	}
	p.scaler.update(finite)
	return finite, nil
}

// state is the scaler's state for a checkpoint (nil without a scaler).
func (p *precision) state() *ScalerState {
	if p.scaler == nil {
		return nil
	}
	sc := p.scaler.ScalerState
	return &sc
}

// ScalerState is the gradient scaler's state, kept in a checkpoint so that
// a resumed fp16 run continues exactly.
type ScalerState struct {
	Scale     float64 `json:"scale"`
	GoodSteps int     `json:"good_steps"` // steps since the last overflow or growth
}

// The scaler's constants: PyTorch's GradScaler defaults.
const (
	scalerInit     = 65536.0
	scalerGrowth   = 2.0
	scalerBackoff  = 0.5
	scalerInterval = 2000
)

// gradScaler is dynamic loss scaling for fp16 (gradients that underflow in
// float16 survive scaled): the loss is multiplied by Scale before backward,
// the gradients divided by it after; a step whose gradients overflowed is
// skipped and the scale halved, and after scalerInterval good steps the
// scale doubles.
type gradScaler struct{ ScalerState }

func newGradScaler() *gradScaler { return &gradScaler{ScalerState{Scale: scalerInit}} }

// update records a step's outcome.
func (g *gradScaler) update(finite bool) {
	if !finite {
		g.Scale *= scalerBackoff
		g.GoodSteps = 0
		return
	}
	g.GoodSteps++
	if g.GoodSteps >= scalerInterval {
		g.Scale *= scalerGrowth
		g.GoodSteps = 0
	}
}

// validPrecision checks p for device.
func validPrecision(p Precision, device gotch.Device) error {
	switch p {
	case PrecisionFP32, PrecisionBF16:
		return nil
	case PrecisionFP16:
		if !device.IsCuda() {
			return fmt.Errorf("dskd: precision fp16 needs a CUDA device (float16 autocast is a GPU feature); use bf16 on the CPU")
		}
		return nil
	}
	return option.OneOf("dskd", "precision", p, PrecisionFP32, PrecisionBF16, PrecisionFP16)
}

func finiteScale(v float64) bool { return v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }
