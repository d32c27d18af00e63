package optim

import (
	"fmt"
	"math"
	"runtime"
	"strings"

	"github.com/sugarme/gotch/nn"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/internal/option"
)

// Algorithm is an optimizer (Config.Name). Reading it ignores case.
type Algorithm string

// Algorithms of Config.Name.
const (
	AdamW Algorithm = "adamw" // decoupled weight decay (the default)
	SGD   Algorithm = "sgd"   // with momentum (dampening 0) and L2 weight decay
)

// Config selects and tunes an optimizer. The zero value is AdamW with
// PyTorch's defaults except the weight decay, which is METHOD.md's. A zero
// field means its default, so -1 stands for "none" where 0 is a value.
type Config struct {
	Name        Algorithm `json:"name,omitempty"`         // AdamW (default) or SGD
	WeightDecay float64   `json:"weight_decay,omitempty"` // default 1e-5; -1 (any negative) = none
	Beta1       float64   `json:"beta1,omitempty"`        // AdamW, in (0, 1); default 0.9
	Beta2       float64   `json:"beta2,omitempty"`        // AdamW, in (0, 1); default 0.999
	Eps         float64   `json:"eps,omitempty"`          // AdamW, > 0; default 1e-8
	Momentum    float64   `json:"momentum,omitempty"`     // SGD, < 1; default 0.9; -1 (any negative) = none
}

// configErr prefixes the errors of Config's options.
const configErr = "optim"

// WithDefaults fills zero fields with their defaults and validates; an
// invalid option is an error naming it ("optim: beta1 1.5: ..."). A
// negative weight decay or momentum is kept as given (it would read as
// the default once 0): the optimizer uses 0.
func (c Config) WithDefaults() (Config, error) {
	option.Default(&c.Name, AdamW)
	c.Name = Algorithm(strings.ToLower(string(c.Name)))
	option.Default(&c.WeightDecay, 1e-5)
	option.Default(&c.Beta1, 0.9)
	option.Default(&c.Beta2, 0.999)
	option.Default(&c.Eps, 1e-8)
	option.Default(&c.Momentum, 0.9)
	if err := option.OneOf(configErr, "name", c.Name, AdamW, SGD); err != nil {
		return c, err
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(c.WeightDecay):
		return c, option.Errorf(configErr, "weight_decay", "%g: must be finite (-1 = none)", c.WeightDecay)
	case !(c.Beta1 > 0 && c.Beta1 < 1):
		return c, option.Errorf(configErr, "beta1", "%g: must lie in (0, 1)", c.Beta1)
	case !(c.Beta2 > 0 && c.Beta2 < 1):
		return c, option.Errorf(configErr, "beta2", "%g: must lie in (0, 1)", c.Beta2)
	case !(c.Eps > 0) || !finite(c.Eps):
		return c, option.Errorf(configErr, "eps", "%g: must be a finite number > 0", c.Eps)
	case !(c.Momentum < 1) || !finite(c.Momentum):
		return c, option.Errorf(configErr, "momentum", "%g: must be < 1 (-1 = none)", c.Momentum)
	}
	return c, nil
}

// weightDecay and momentum are the values the updates use: a negative
// one (-1) means none.
func (c Config) weightDecay() float64 { return max(c.WeightDecay, 0) }
func (c Config) momentum() float64    { return max(c.Momentum, 0) }

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
		for _, pr := range o.params {
			if err := o.stepParam(pr, lr); err != nil {
				return err
			}
		}
		return nil
	})
}

// stepParam updates one parameter (nothing without a gradient), in a
// Scope of its own: its temporaries go before the next parameter's.
func (o *Optimizer) stepParam(pr *param, lr float64) error {
	s := aten.NewScope()
	defer s.Close()
	g := s.Grad(pr.p)
	if g == nil {
		return s.Err()
	}
	if o.cfg.Name == SGD {
		o.sgd(s, pr, g, lr)
	} else {
		o.adamw(s, pr, g, lr)
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("optim: %s step on %s: %w", o.cfg.Name, pr.name, err)
	}
	return nil
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
	if wd := c.weightDecay(); wd != 0 {
		s.MulScalarInPlace(pr.p, 1-lr*wd)
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
	if wd := c.weightDecay(); wd != 0 {
		d = s.Add(g, s.MulScalar(pr.p, wd))
	}
	if mu := c.momentum(); mu != 0 {
		if pr.m == nil {
			pr.m = s.Keep(s.MulScalar(d, 1)) // a copy: the gradient is zeroed before the next step
		} else {
			s.AddInPlace(s.MulScalarInPlace(pr.m, mu), d)
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

// Free frees the optimizer state.
func (o *Optimizer) Free() {
	for _, pr := range o.params {
		pr.m.Free()
		pr.v.Free()
		pr.m, pr.v = nil, nil
	}
}
