package optim

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"

	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/angioseg/dskd/engine"
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
	p    *ts.Tensor
	m, v *ts.Tensor // AdamW moments; SGD uses m as the momentum buffer
}

// Optimizer updates the trainable variables of a VarStore.
type Optimizer struct {
	cfg    Config
	params []*param
	steps  int64
	// vs keeps the VarStore reachable: params hold copies of its Tensor
	// structs (vs.Variables), which share the C handles but not the
	// finalizers, so a VarStore collected while the optimizer lives would
	// free the parameters under it (seen as a SIGSEGV in Step).
	vs *nn.VarStore
}

// New builds an optimizer for the trainable variables of vs.
func New(cfg Config, vs *nn.VarStore) (*Optimizer, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	vars := vs.Variables()
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names) // a fixed order makes steps and saved state reproducible
	o := &Optimizer{cfg: cfg, vs: vs}
	for _, n := range names {
		t := vars[n]
		if !t.MustRequiresGrad() {
			continue // BatchNorm running statistics and other buffers
		}
		o.params = append(o.params, &param{name: n, p: &t})
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
func (o *Optimizer) ZeroGrad() {
	defer runtime.KeepAlive(o)
	for _, pr := range o.params {
		g, ok, err := gradOf(ct(pr.p))
		if err == nil && ok {
			err = zero_(g)
		}
		if g != nil {
			lib.AtFree(g)
		}
		if err != nil {
			panic(err) // as gotch's MustZero_ did; the Worker turns it into an error
		}
	}
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
			g, ok, err := gradOf(ct(pr.p))
			if err != nil {
				return fmt.Errorf("optim: gradient of %s: %w", pr.name, err)
			}
			if ok {
				if o.cfg.Name == "sgd" {
					err = o.sgd(pr, g, lr)
				} else {
					err = o.adamw(pr, g, lr)
				}
			}
			lib.AtFree(g)
			if err != nil {
				return fmt.Errorf("optim: %s step on %s: %w", o.cfg.Name, pr.name, err)
			}
		}
		return nil
	})
}

// adamw is PyTorch's single-tensor AdamW (its default on the CPU), with
// the step size folded into the denominator as PyTorch's capturable path
// does, so the update is one addcdiv_ and each parameter costs 9 ATen ops
// with 2 temporaries (like PyTorch's); the first version took 11 ops with
// 3 temporaries. All ops go through ops.go (no leaked handles).
func (o *Optimizer) adamw(pr *param, g lib.Ctensor, lr float64) error {
	c := o.cfg
	if pr.m == nil {
		pr.m = pr.p.MustZerosLike(false)
		pr.v = pr.p.MustZerosLike(false)
	}
	p, m, v := ct(pr.p), ct(pr.m), ct(pr.v)
	if c.WeightDecay != 0 {
		if err := mulScalar_(p, 1-lr*c.WeightDecay); err != nil {
			return err
		}
	}
	if err := lerp_(m, g, 1-c.Beta1); err != nil {
		return err
	}
	if err := mulScalar_(v, c.Beta2); err != nil {
		return err
	}
	scaled, err := mulScalar(g, 1-c.Beta2)
	if err != nil {
		return err
	}
	err = addcmul_(v, g, scaled)
	lib.AtFree(scaled)
	if err != nil {
		return err
	}
	t := float64(o.steps)
	bc1 := 1 - math.Pow(c.Beta1, t)
	bc2 := 1 - math.Pow(c.Beta2, t)
	// p += m / denom with denom = (√v/√bc2 + eps)·(−bc1/lr)
	//                           = √v / (√bc2·(−lr/bc1)) + eps/(−lr/bc1).
	stepNeg := -lr / bc1
	if stepNeg == 0 {
		return nil // lr = 0: nothing moves
	}
	denom, err := sqrt(v)
	if err != nil {
		return err
	}
	err = divScalar_(denom, math.Sqrt(bc2)*stepNeg)
	if err == nil {
		err = addScalar_(denom, c.Eps/stepNeg)
	}
	if err == nil {
		err = addcdiv_(p, m, denom)
	}
	lib.AtFree(denom)
	return err
}

func (o *Optimizer) sgd(pr *param, g lib.Ctensor, lr float64) error {
	c := o.cfg
	p := ct(pr.p)
	// d = g + wd·p, a new tensor (the gradient is zeroed before the next step).
	d, err := mulScalar(g, 1)
	if err != nil {
		return err
	}
	defer func() { lib.AtFree(d) }()
	if c.WeightDecay != 0 {
		decay, err := mulScalar(p, c.WeightDecay)
		if err != nil {
			return err
		}
		err = add_(d, decay)
		lib.AtFree(decay)
		if err != nil {
			return err
		}
	}
	if c.Momentum != 0 {
		if pr.m == nil {
			pr.m = ts.New(lib.AtShallowClone(d)) // d is a fresh copy: take it over as the buffer
		} else {
			if err := mulScalar_(ct(pr.m), c.Momentum); err != nil {
				return err
			}
			if err := add_(ct(pr.m), d); err != nil {
				return err
			}
		}
		lib.AtFree(d)
		if d, err = mulScalar(ct(pr.m), 1); err != nil {
			d = nil
			return err
		}
	}
	if err := mulScalar_(d, -lr); err != nil {
		return err
	}
	return add_(p, d)
}

// Drop frees the optimizer state.
func (o *Optimizer) Drop() {
	for _, pr := range o.params {
		if pr.m != nil {
			pr.m.MustDrop()
			pr.m = nil
		}
		if pr.v != nil {
			pr.v.MustDrop()
			pr.v = nil
		}
	}
}
