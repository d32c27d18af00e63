package models

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/angioseg/dskd/internal/aten"
)

// New builds a UNet with its own VarStore on device: the variables of
// Describe(cfg), created in its Params order. Weights are drawn from
// libtorch's generator in that order (seed it with engine.ManualSeed for
// reproducibility). Call it on an engine Worker, like all tensor work.
func New(cfg UNetConfig, device gotch.Device) (*UNet, error) {
	arch, err := Describe(cfg)
	if err != nil {
		return nil, err
	}
	cfg = arch.Config
	s := aten.NewScope()
	defer s.Close()
	vs := nn.NewVarStore(device)
	b := &builder{s: s, device: device, channelsLast: cfg.channelsLast(device), pytorchInit: cfg.Init == InitPyTorch,
		vars: map[string][]*aten.Tensor{}}
	for _, l := range arch.Layers() {
		b.create(vs.Root(), l)
	}
	m := &UNet{cfg: cfg, vs: vs, device: device, channelsLast: b.channelsLast}
	if b.err == nil {
		for _, e := range arch.Encoder {
			m.enc = append(m.enc, b.doubleConv(e, cfg))
		}
		for _, d := range arch.Decoder {
			m.dec = append(m.dec, b.upBlock(d, cfg))
		}
		m.head = b.conv(arch.Head)
		b.err = s.Err()
	}
	if b.err != nil {
		vs.Destroy()
		return nil, b.err
	}
	return m, nil
}

// builder creates variables with our own initialisation; it avoids gotch's
// initialisers, which toggle grad mode with ts.NoGrad (not restore-safe).
type builder struct {
	s            *aten.Scope
	device       gotch.Device
	channelsLast bool
	pytorchInit  bool
	vars         map[string][]*aten.Tensor // layer name -> its variables, Params order
	err          error
}

// create adds the variables of l to the VarStore, in l.Params order.
func (b *builder) create(root *nn.Path, l Layer) {
	p := root
	for _, part := range l.Path() {
		p = p.Sub(part)
	}
	var vs []*aten.Tensor
	for _, prm := range l.Params() {
		vs = append(vs, b.add(p, prm, b.initial(l, prm)))
	}
	b.vars[l.Name] = vs
}

// initial is the starting value of a variable: conv weights and biases as
// UNetConfig.Init says, BatchNorm weight and running_var 1, bias and
// running_mean 0.
func (b *builder) initial(l Layer, p Param) *aten.Tensor {
	switch {
	case l.Kind == LayerBatchNorm && (p.Role == RoleWeight || p.Role == RoleRunningVar):
		return b.full(p.Shape, 1)
	case l.Kind == LayerBatchNorm:
		return b.full(p.Shape, 0)
	case p.Role == RoleWeight:
		return b.weight(p.Shape, l.FanIn())
	}
	return b.bias(p.Shape, l.FanIn())
}

// add stores t in the VarStore under p as the variable prm and returns it.
func (b *builder) add(p *nn.Path, prm Param, t *aten.Tensor) *aten.Tensor {
	if b.err != nil {
		return nil
	}
	if err := b.s.Err(); err != nil {
		b.err = fmt.Errorf("models: creating variable %q: %w", prm.Name, err)
		return nil
	}
	if b.channelsLast && t.Dim() == 4 {
		t = b.s.ChannelsLast(t)
	}
	v, err := aten.AddVar(p, string(prm.Role), t, !prm.Role.Buffer())
	if err != nil {
		b.err = fmt.Errorf("models: %w", err)
	}
	return v
}

func (b *builder) full(dims []int64, value float64) *aten.Tensor {
	return b.s.Full(dims, value, gotch.Float, b.device)
}

// kaiming returns N(0, 2/fanIn): Kaiming normal, mode fan_in, gain for ReLU.
// Drawn from the CPU generator on every device, so a seed gives the same
// initial weights on the CPU and on CUDA.
func (b *builder) kaiming(dims []int64, fanIn int64) *aten.Tensor {
	w := b.s.MulScalarInPlace(b.s.Randn(dims, gotch.Float, gotch.CPU), math.Sqrt(2/float64(fanIn)))
	return b.s.ToDevice(w, b.device)
}

// uniform returns U(-bound, bound), drawn on the CPU like kaiming.
func (b *builder) uniform(dims []int64, bound float64) *aten.Tensor {
	w := b.s.AddScalarInPlace(b.s.MulScalarInPlace(b.s.Rand(dims, gotch.Float, gotch.CPU), 2*bound), -bound)
	return b.s.ToDevice(w, b.device)
}

// weight initialises a convolution weight of the given fan-in.
func (b *builder) weight(dims []int64, fanIn int64) *aten.Tensor {
	if b.pytorchInit {
		return b.uniform(dims, 1/math.Sqrt(float64(fanIn)))
	}
	return b.kaiming(dims, fanIn)
}

// bias initialises a convolution bias of the given fan-in.
func (b *builder) bias(dims []int64, fanIn int64) *aten.Tensor {
	if b.pytorchInit {
		return b.uniform(dims, 1/math.Sqrt(float64(fanIn)))
	}
	return b.full(dims, 0)
}

// conv wires the created variables of a LayerConv or LayerConvTranspose.
func (b *builder) conv(l Layer) conv {
	v := b.vars[l.Name]
	c := conv{w: v[0], pad: l.Kernel / 2, transpose: l.Kind == LayerConvTranspose, stride: l.Kernel}
	if len(v) > 1 {
		c.b = v[1]
	}
	return c
}

func (b *builder) bn(l Layer, cfg UNetConfig) batchNorm {
	v := b.vars[l.Name]
	return batchNorm{w: v[0], b: v[1], mean: v[2], variance: v[3], momentum: cfg.BNMomentum, eps: cfg.BNEps}
}

func (b *builder) doubleConv(d DoubleConv, cfg UNetConfig) doubleConv {
	return doubleConv{c1: b.conv(d.Conv1), bn1: b.bn(d.BN1, cfg), c2: b.conv(d.Conv2), bn2: b.bn(d.BN2, cfg)}
}

func (b *builder) upBlock(d DecoderStage, cfg UNetConfig) upBlock {
	u := upBlock{skip: d.Skip, up: b.conv(d.Up), dc: b.doubleConv(d.Block, cfg)}
	if d.Side != nil {
		side := b.conv(*d.Side)
		u.side = &side
	}
	return u
}
