package optim

import (
	"fmt"
	"math"
	"runtime"
	"strings"

	"github.com/sugarme/gotch/nn"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
)

// Config selects and tunes an optimizer. The zero value is AdamW with
// PyTorch's defaults except the weight decay, which is METHOD.md's.
type Config struct {
	Name        string  `json:"name,omitempty"`         // "adamw" (default) or "sgd"
	WeightDecay float64 `json:"weight_decay,omitempty"` // default 1e-5; negative means 0
	Beta1       float64 `json:"beta1,omitempty"`        // AdamW; default 0.9
	Beta2       float64 `json:"beta2,omitempty"`        // AdamW; default 0.999
	Eps         float64 `json:"eps,omitempty"`          // AdamW; default 1e-8
	Momentum    float64 `json:"momentum,omitempty"`     // SGD; default 0.9; negative means 0
}

// WithDefaults fills zero fields with their defaults and validates.
func (c Config) WithDefaults() (Config, error) {
	if c.Name == "" {
		c.Name = "adamw"
	}
	c.Name = strings.ToLower(c.Name)
	if c.WeightDecay == 0 {
		c.WeightDecay = 1e-5
	} else if c.WeightDecay < 0 {
		c.WeightDecay = 0
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	if c.Momentum == 0 {
		c.Momentum = 0.9
	} else if c.Momentum < 0 {
		c.Momentum = 0
	}
	switch {
	case c.Name != "adamw" && c.Name != "sgd":
		return c, fmt.Errorf("optim: optimizer %q: want adamw or sgd", c.Name)
	case c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1:
		return c, fmt.Errorf("optim: betas (%g, %g) must lie in [0, 1)", c.Beta1, c.Beta2)
	case c.Momentum >= 1:
		return c, fmt.Errorf("optim: momentum %g must be < 1", c.Momentum)
	}
	return c, nil
}

// param is one trainable variable with its optimizer state.
type param struct {
	name string
	p    *aten.Tensor // borrowed from the VarStore
	m, v *aten.Tensor // AdamW moments; SGD uses m as the momentum buffer (owned)
}

// Optimizer updates the trainable variables of a VarStore.
type Optimizer struct {
	cfg    Config
	params []*param
	steps  int64
	// vs keeps the VarStore reachable: params hold borrowed handles to its
	// variables, which a collected VarStore would free under the optimizer
	// (seen as a SIGSEGV in Step).
	vs *nn.VarStore
}

// New builds an optimizer for the trainable variables of vs, in name
// order (a fixed order makes steps and saved state reproducible).
func New(cfg Config, vs *nn.VarStore) (*Optimizer, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	o := &Optimizer{cfg: cfg, vs: vs}
	for _, v := range aten.Vars(vs) {
		if v.Trainable { // BatchNorm running statistics are buffers
			o.params = append(o.params, &param{name: v.Name, p: v.T})
		}
	}
	if len(o.params) == 0 {
		return nil, fmt.Errorf("optim: the VarStore has no trainable variables")
	}
	return o, nil
}

// Config returns the effective configuration.
func (o *Optimizer) Config() Config { return o.cfg }

// Steps is the number of Step calls so far (restored by Load).
func (o *Optimizer) Steps() int64 { return o.steps }

// ZeroGrad clears the gradients of all parameters.
func (o *Optimizer) ZeroGrad() error {
	defer runtime.KeepAlive(o)
	s := aten.NewScope()
	defer s.Close()
	for _, pr := range o.params {
		if g := s.Grad(pr.p); g != nil {
			s.ZeroInPlace(g)
			s.Free(g)
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("optim: zero_grad: %w", err)
	}
	return nil
}

// Step applies one update with learning rate lr to every parameter that has
// a gradient.
func (o *Optimizer) Step(lr float64) error {
	if lr < 0 || math.IsNaN(lr) || math.IsInf(lr, 0) {
		return fmt.Errorf("optim: learning rate %g must be finite and >= 0", lr)
	}
	o.steps++
	defer runtime.KeepAlive(o)
	return engine.NoGrad(func() error {
		s := aten.NewScope()
		defer s.Close()
		for _, pr := range o.params {
			g := s.Grad(pr.p)
			if g == nil {
				continue
			}
			if o.cfg.Name == "sgd" {
				o.sgd(s, pr, g, lr)
			} else {
				o.adamw(s, pr, g, lr)
			}
			s.Close() // this parameter's temporaries
			if err := s.Err(); err != nil {
				return fmt.Errorf("optim: %s step on %s: %w", o.cfg.Name, pr.name, err)
			}
		}
		return nil
	})
}

// adamw is PyTorch's single-tensor AdamW (its default on the CPU), with
// the step size folded into the denominator as PyTorch's capturable path
// does, so the update is one addcdiv_ and each parameter costs 9 ATen ops
// with 2 temporaries (like PyTorch's).
func (o *Optimizer) adamw(s *aten.Scope, pr *param, g *aten.Tensor, lr float64) {
	c := o.cfg
	if pr.m == nil {
		pr.m, pr.v = s.Keep(s.ZerosLike(pr.p)), s.Keep(s.ZerosLike(pr.p))
	}
	if c.WeightDecay != 0 {
		s.MulScalarInPlace(pr.p, 1-lr*c.WeightDecay)
	}
	s.LerpInPlace(pr.m, g, 1-c.Beta1)
	s.MulScalarInPlace(pr.v, c.Beta2)
	s.AddcmulInPlace(pr.v, g, s.MulScalar(g, 1-c.Beta2))
	t := float64(o.steps)
	bc1 := 1 - math.Pow(c.Beta1, t)
	bc2 := 1 - math.Pow(c.Beta2, t)
	// p += m / denom with denom = (√v/√bc2 + eps)·(−bc1/lr)
	//                           = √v / (√bc2·(−lr/bc1)) + eps/(−lr/bc1).
	stepNeg := -lr / bc1
	if stepNeg == 0 {
		return // lr = 0: nothing moves
	}
	denom := s.DivScalarInPlace(s.Sqrt(pr.v), math.Sqrt(bc2)*stepNeg)
	s.AddcdivInPlace(pr.p, pr.m, s.AddScalarInPlace(denom, c.Eps/stepNeg))
}

// sgd is PyTorch's SGD with momentum (dampening 0) and L2 weight decay.
func (o *Optimizer) sgd(s *aten.Scope, pr *param, g *aten.Tensor, lr float64) {
	c := o.cfg
	d := g // the update direction, g + wd·p
	if c.WeightDecay != 0 {
		d = s.Add(g, s.MulScalar(pr.p, c.WeightDecay))
	}
	if c.Momentum != 0 {
		if pr.m == nil {
			pr.m = s.Keep(s.MulScalar(d, 1)) // a copy: the gradient is zeroed before the next step
		} else {
			s.AddInPlace(s.MulScalarInPlace(pr.m, c.Momentum), d)
		}
		d = pr.m
	}
	s.AddInPlace(pr.p, s.MulScalar(d, -lr))
}

// ScaleGrads multiplies every gradient by f in place (a gradient scaler's
// unscaling) and reports whether all of them are finite afterwards.
func (o *Optimizer) ScaleGrads(f float64) (finite bool, err error) {
	defer runtime.KeepAlive(o)
	s := aten.NewScope()
	defer s.Close()
	err = engine.NoGrad(func() error {
		var total *aten.Tensor
		finite = true // no gradient at all: nothing overflowed
		for _, pr := range o.params {
			if g := s.Grad(pr.p); g != nil {
				total = s.Totals(total, s.Sum(s.MulScalarInPlace(g, f)))
			}
		}
		if total != nil {
			v := s.Item(total) // one host sync for all parameters: NaN or Inf spreads to the sum
			finite = !math.IsNaN(v) && !math.IsInf(v, 0)
		}
		return s.Err()
	})
	if err != nil {
		return false, fmt.Errorf("optim: scaling gradients: %w", err)
	}
	return finite, nil
}

// Drop frees the optimizer state.
func (o *Optimizer) Drop() {
	for _, pr := range o.params {
		pr.m.Free()
		pr.v.Free()
		pr.m, pr.v = nil, nil
	}
}
