package models

import (
	"fmt"
	"math"
	"strconv"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/angioseg/dskd/internal/aten"
)

// Upsampling modes of UNetConfig.Upsample.
const (
	// UpsampleBilinear doubles the resolution with bilinear interpolation
	// (align_corners=false) followed by a 3x3 convolution (with bias) that
	// halves the channel count. The default.
	UpsampleBilinear = "bilinear"
	// UpsampleTranspose uses a 2x2 transposed convolution with stride 2 (the
	// original U-Net "up-conv"); its weight is created with ATen's
	// [in, out, k, k] layout (gotch's nn.NewConvTranspose2D gets this wrong).
	UpsampleTranspose = "transpose"
)

// UNetConfig configures a UNet. The zero value gives METHOD.md's defaults.
type UNetConfig struct {
	// Depth is the number of 2x2 max-pool steps (the encoder has Depth+1
	// stages, the decoder Depth stages) and also the number of hierarchical
	// outputs. 0 means 4. Valid: 1..8.
	Depth int `json:"depth,omitempty"`
	// Base is the channel width of the first encoder stage; stage k has
	// Base·2^k channels. 0 means 32.
	Base int `json:"base,omitempty"`
	// InChannels is the number of input image channels. 0 means 1.
	InChannels int `json:"in_channels,omitempty"`
	// Upsample is UpsampleBilinear (default, also for "") or UpsampleTranspose.
	Upsample string `json:"upsample,omitempty"`
	// BNMomentum is the BatchNorm running-statistics momentum (PyTorch
	// convention). 0 means 0.1.
	BNMomentum float64 `json:"bn_momentum,omitempty"`
	// BNEps is the BatchNorm epsilon. 0 means 1e-5.
	BNEps float64 `json:"bn_eps,omitempty"`
	// Init is the initialisation of the convolutions: InitKaiming (default,
	// also for ""): weights from N(0, 2/fan_in), biases 0; or InitPyTorch:
	// PyTorch's nn.Conv2d defaults, weights and biases from
	// U(-1/√fan_in, 1/√fan_in) (weights √6 ≈ 2.45 times smaller), as a
	// PyTorch reimplementation of the network starts.
	Init string `json:"init,omitempty"`
	// MemoryFormat is the layout of weights and activations:
	// MemoryAuto (default, also for ""): channels-last on the CPU, where
	// oneDNN's convolutions are fastest in it, contiguous on CUDA;
	// MemoryChannelsLast or MemoryContiguous force one. Results agree to
	// float rounding; checkpoints load across formats.
	MemoryFormat string `json:"memory_format,omitempty"`
}

// Initialisations of UNetConfig.Init.
const (
	InitKaiming = "kaiming"
	InitPyTorch = "pytorch"
)

// Memory formats of UNetConfig.MemoryFormat.
const (
	MemoryAuto         = "auto"
	MemoryChannelsLast = "channels-last"
	MemoryContiguous   = "contiguous"
)

// WithDefaults returns the config with every zero field replaced by its
// default, or an error naming the first invalid field.
func (c UNetConfig) WithDefaults() (UNetConfig, error) {
	if c.Depth == 0 {
		c.Depth = 4
	}
	if c.Base == 0 {
		c.Base = 32
	}
	if c.InChannels == 0 {
		c.InChannels = 1
	}
	if c.Upsample == "" {
		c.Upsample = UpsampleBilinear
	}
	if c.BNMomentum == 0 {
		c.BNMomentum = 0.1
	}
	if c.BNEps == 0 {
		c.BNEps = 1e-5
	}
	if c.MemoryFormat == "" {
		c.MemoryFormat = MemoryAuto
	}
	if c.Init == "" {
		c.Init = InitKaiming
	}
	switch {
	case c.Depth < 1 || c.Depth > 8:
		return c, fmt.Errorf("models: UNetConfig.Depth %d: want 1..8", c.Depth)
	case c.Base < 1 || c.Base > 4096:
		return c, fmt.Errorf("models: UNetConfig.Base %d: want 1..4096", c.Base)
	case c.InChannels < 1:
		return c, fmt.Errorf("models: UNetConfig.InChannels %d: want >= 1", c.InChannels)
	case c.Upsample != UpsampleBilinear && c.Upsample != UpsampleTranspose:
		return c, fmt.Errorf("models: UNetConfig.Upsample %q: want %q or %q", c.Upsample, UpsampleBilinear, UpsampleTranspose)
	case !(c.BNMomentum > 0 && c.BNMomentum <= 1):
		return c, fmt.Errorf("models: UNetConfig.BNMomentum %g: want (0, 1]", c.BNMomentum)
	case !(c.BNEps > 0):
		return c, fmt.Errorf("models: UNetConfig.BNEps %g: want > 0", c.BNEps)
	case c.Init != InitKaiming && c.Init != InitPyTorch:
		return c, fmt.Errorf("models: UNetConfig.Init %q: want %q or %q", c.Init, InitKaiming, InitPyTorch)
	case c.MemoryFormat != MemoryAuto && c.MemoryFormat != MemoryChannelsLast && c.MemoryFormat != MemoryContiguous:
		return c, fmt.Errorf("models: UNetConfig.MemoryFormat %q: want %q, %q or %q", c.MemoryFormat, MemoryAuto, MemoryChannelsLast, MemoryContiguous)
	}
	return c, nil
}

// channelsLast resolves MemoryFormat for a device.
func (c UNetConfig) channelsLast(device gotch.Device) bool {
	switch c.MemoryFormat {
	case MemoryChannelsLast:
		return true
	case MemoryContiguous:
		return false
	}
	return !device.IsCuda()
}

// conv is a 2-D convolution with optional bias, padding "same" for odd k.
type conv struct {
	w, b *aten.Tensor // b may be nil
	pad  int64
}

func (c *conv) forward(s *aten.Scope, x *aten.Tensor) *aten.Tensor {
	return s.Conv2d(x, c.w, c.b, 1, c.pad)
}

// batchNorm keeps its running statistics in the VarStore (as non-trainable,
// persistent "buffer" variables), so VarStore Save/Load/Copy carry them.
type batchNorm struct {
	w, b, mean, variance *aten.Tensor
	momentum, eps        float64
}

func (bn *batchNorm) forward(s *aten.Scope, x *aten.Tensor, mode Mode) *aten.Tensor {
	switch mode {
	case Eval:
		return s.BatchNorm(x, bn.w, bn.b, bn.mean, bn.variance, false, bn.momentum, bn.eps)
	case BatchStats: // momentum 0: the running statistics stay as they are
		return s.BatchNorm(x, bn.w, bn.b, bn.mean, bn.variance, true, 0, bn.eps)
	}
	return s.BatchNorm(x, bn.w, bn.b, bn.mean, bn.variance, true, bn.momentum, bn.eps)
}

// Mode selects how BatchNorm normalises in a forward pass.
type Mode int

const (
	// Train: batch statistics, and the running statistics are updated.
	Train Mode = iota
	// Eval: the running statistics.
	Eval
	// BatchStats: batch statistics, running statistics left unchanged (a
	// teacher that normalises like the student it teaches, without
	// drifting its own statistics).
	BatchStats
)

func modeOf(train bool) Mode {
	if train {
		return Train
	}
	return Eval
}

// doubleConv is (conv3x3 - BN - ReLU) x 2; the convs have no bias (BN has).
type doubleConv struct {
	c1, c2   conv
	bn1, bn2 batchNorm
}

func (d *doubleConv) forward(s *aten.Scope, x *aten.Tensor, mode Mode) *aten.Tensor {
	return s.Run(func(c *aten.Scope) *aten.Tensor {
		h := c.ReluInPlace(d.bn1.forward(c, d.c1.forward(c, x), mode))
		return c.ReluInPlace(d.bn2.forward(c, d.c2.forward(c, h), mode))
	})
}

// upBlock is one decoder stage.
type upBlock struct {
	transpose bool
	up        conv         // bilinear mode: 3x3 conv after interpolation
	tw, tb    *aten.Tensor // transpose mode: weight [in, out, 2, 2], bias [out]
	dc        doubleConv
	side      *conv // 3x3 conv to 1 channel; nil on the last stage
}

// upsample doubles x to the skip connection's h x w.
func (u *upBlock) upsample(s *aten.Scope, x *aten.Tensor, h, w int64) *aten.Tensor {
	if u.transpose {
		return s.ConvTranspose2d(x, u.tw, u.tb, 2)
	}
	return u.up.forward(s, s.UpsampleBilinear(x, h, w))
}

// UNet is the U-Net of METHOD.md with a side head on every decoder stage but
// the last. Create it with New; all its variables live in its own VarStore.
type UNet struct {
	cfg          UNetConfig
	vs           *nn.VarStore
	device       gotch.Device
	channelsLast bool
	enc          []doubleConv // Depth+1
	dec          []upBlock    // Depth, coarse to fine
	head         conv         // 1x1, last decoder stage
}

var _ Model = (*UNet)(nil)

// builder creates variables with our own initialisation; it avoids gotch's
// initialisers, which toggle grad mode with ts.NoGrad (not restore-safe).
type builder struct {
	s            *aten.Scope
	device       gotch.Device
	channelsLast bool
	pytorchInit  bool
	err          error
}

// add stores t in the VarStore under p/name and returns the variable.
func (b *builder) add(p *nn.Path, name string, t *aten.Tensor, trainable bool) *aten.Tensor {
	if b.err != nil {
		return nil
	}
	if err := b.s.Err(); err != nil {
		b.err = fmt.Errorf("models: creating variable %q: %w", name, err)
		return nil
	}
	if b.channelsLast && t.Dim() == 4 {
		t = b.s.ChannelsLast(t)
	}
	v, err := aten.AddVar(p, name, t, trainable)
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
func (b *builder) bias(n, fanIn int64) *aten.Tensor {
	if b.pytorchInit {
		return b.uniform([]int64{n}, 1/math.Sqrt(float64(fanIn)))
	}
	return b.full([]int64{n}, 0)
}

func (b *builder) conv(p *nn.Path, in, out, k int64, bias bool) conv {
	c := conv{pad: k / 2}
	c.w = b.add(p, "weight", b.weight([]int64{out, in, k, k}, in*k*k), true)
	if bias {
		c.b = b.add(p, "bias", b.bias(out, in*k*k), true)
	}
	return c
}

func (b *builder) bn(p *nn.Path, ch int64, cfg UNetConfig) batchNorm {
	return batchNorm{
		w:        b.add(p, "weight", b.full([]int64{ch}, 1), true),
		b:        b.add(p, "bias", b.full([]int64{ch}, 0), true),
		mean:     b.add(p, "running_mean", b.full([]int64{ch}, 0), false),
		variance: b.add(p, "running_var", b.full([]int64{ch}, 1), false),
		momentum: cfg.BNMomentum,
		eps:      cfg.BNEps,
	}
}

func (b *builder) doubleConv(p *nn.Path, in, out int64, cfg UNetConfig) doubleConv {
	return doubleConv{
		c1:  b.conv(p.Sub("conv1"), in, out, 3, false),
		bn1: b.bn(p.Sub("bn1"), out, cfg),
		c2:  b.conv(p.Sub("conv2"), out, out, 3, false),
		bn2: b.bn(p.Sub("bn2"), out, cfg),
	}
}

// New builds a UNet with its own VarStore on device. Weights are drawn from
// libtorch's generator (seed it with engine.ManualSeed for reproducibility).
// Call it on an engine Worker, like all tensor work.
func New(cfg UNetConfig, device gotch.Device) (*UNet, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	s := aten.NewScope()
	defer s.Close()
	vs := nn.NewVarStore(device)
	root := vs.Root()
	b := &builder{s: s, device: device, channelsLast: cfg.channelsLast(device), pytorchInit: cfg.Init == InitPyTorch}
	m := &UNet{cfg: cfg, vs: vs, device: device, channelsLast: b.channelsLast}
	width := func(k int) int64 { return int64(cfg.Base) << k }
	d := cfg.Depth
	for k := 0; k <= d; k++ {
		in := int64(cfg.InChannels)
		if k > 0 {
			in = width(k - 1)
		}
		m.enc = append(m.enc, b.doubleConv(root.Sub("enc"+strconv.Itoa(k)), in, width(k), cfg))
	}
	for j := 0; j < d; j++ {
		k := d - 1 - j // resolution level this stage produces
		p := root.Sub("dec" + strconv.Itoa(j))
		u := upBlock{transpose: cfg.Upsample == UpsampleTranspose}
		if u.transpose {
			// ATen's conv_transpose2d weight is [in, out/groups, kH, kW]; fan_in
			// for Kaiming is computed by PyTorch from dim 1 · k · k.
			u.tw = b.add(p.Sub("up"), "weight", b.weight([]int64{width(k + 1), width(k), 2, 2}, width(k)*4), true)
			u.tb = b.add(p.Sub("up"), "bias", b.bias(width(k), width(k)*4), true)
		} else {
			u.up = b.conv(p.Sub("up"), width(k+1), width(k), 3, true)
		}
		u.dc = b.doubleConv(p, 2*width(k), width(k), cfg)
		if j < d-1 {
			sc := b.conv(p.Sub("side"), width(k), 1, 3, true)
			u.side = &sc
		}
		m.dec = append(m.dec, u)
	}
	m.head = b.conv(root.Sub("head"), width(0), 1, 1, true)
	if b.err == nil {
		b.err = s.Err()
	}
	if b.err != nil {
		vs.Destroy()
		return nil, b.err
	}
	return m, nil
}

// Name returns "unet".
func (m *UNet) Name() string { return "unet" }

// Config returns the configuration with defaults filled in.
func (m *UNet) Config() UNetConfig { return m.cfg }

// Depth returns the number of hierarchical outputs (= UNetConfig.Depth).
func (m *UNet) Depth() int { return m.cfg.Depth }

// VarStore returns the store holding all weights and BatchNorm statistics.
func (m *UNet) VarStore() *nn.VarStore { return m.vs }

// Device returns the device the model was created on.
func (m *UNet) Device() gotch.Device { return m.device }

// ChannelsLast reports whether weights and activations are channels-last.
func (m *UNet) ChannelsLast() bool { return m.channelsLast }

// NumParameters counts the trainable scalars (BN running stats excluded).
func (m *UNet) NumParameters() int64 { return numParameters(m.vs) }

// Save writes the weights and BN statistics (a torch archive). See SaveVarStore.
func (m *UNet) Save(path string) error { return SaveVarStore(m.vs, path) }

// Load reads weights written by Save into this model. See LoadVarStore.
func (m *UNet) Load(path string) error { return LoadVarStore(m.vs, path) }

// padSize returns the smallest multiple of m that is >= n.
func padSize(n, m int64) int64 { return (n + m - 1) / m * m }

// Forward runs the network on x, a float [B, InChannels, H, W] batch (any
// H, W >= 1, B >= 1; dtype and device those of the model's weights). In
// training mode BatchNorm uses batch statistics and updates its running
// statistics; in eval mode it uses the running statistics. Forward does
// not change grad mode: wrap evaluation in engine.NoGrad. x is not freed;
// the Output is the caller's (Drop it).
//
// Inputs whose sides are not multiples of 2^Depth are padded at the bottom
// and right (reflect when the padding is smaller than the side, replicate
// otherwise) and every output is cropped back to H x W.
func (m *UNet) Forward(x *aten.Tensor, train bool) (*Output, error) {
	return m.ForwardMode(x, modeOf(train))
}

// ForwardMode is Forward with the BatchNorm behaviour given by mode
// (Forward's train is Train, its !train is Eval).
func (m *UNet) ForwardMode(x *aten.Tensor, mode Mode) (*Output, error) {
	if err := checkInput(x, m.cfg.InChannels, m.vs); err != nil {
		return nil, err
	}
	if mode < Train || mode > BatchStats {
		return nil, fmt.Errorf("models: forward mode %d", mode)
	}
	s := aten.NewScope()
	defer s.Close()
	hier := m.forward(s, x, mode)
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("models: forward on input %v: %w", x.Shape(), err)
	}
	return newOutput(s, hier), nil
}

// forward computes the hierarchical logits, coarse to fine, in s.
func (m *UNet) forward(s *aten.Scope, x *aten.Tensor, mode Mode) []*aten.Tensor {
	shape := x.Shape()
	h, w := shape[2], shape[3]
	mult := int64(1) << m.cfg.Depth
	if ph, pw := padSize(h, mult)-h, padSize(w, mult)-w; ph > 0 || pw > 0 {
		pad := [4]int64{0, pw, 0, ph}
		if ph < h && pw < w {
			x = s.ReflectionPad2d(x, pad)
		} else {
			x = s.ReplicationPad2d(x, pad)
		}
	}
	if m.channelsLast {
		x = s.ChannelsLast(x)
	}
	fullH, fullW := padSize(h, mult), padSize(w, mult)

	d := m.cfg.Depth
	skips := make([]*aten.Tensor, d)
	cur := m.enc[0].forward(s, x, mode)
	for k := 1; k <= d; k++ {
		skips[k-1] = cur
		prev := cur
		cur = s.Run(func(c *aten.Scope) *aten.Tensor { return m.enc[k].forward(c, c.MaxPool2d(prev, 2), mode) })
	}
	hier := make([]*aten.Tensor, 0, d)
	for j := 0; j < d; j++ {
		u := &m.dec[j]
		skip, prev := skips[d-1-j], cur
		cur = s.Run(func(c *aten.Scope) *aten.Tensor {
			ss := skip.Shape()
			return u.dc.forward(c, c.Cat(1, u.upsample(c, prev, ss[2], ss[3]), skip), mode)
		})
		// Without autograd this releases the memory now; in training the
		// graph keeps what backward needs.
		s.Free(prev, skip)
		hier = append(hier, s.Run(func(c *aten.Scope) *aten.Tensor {
			if u.side == nil {
				return crop(c, m.head.forward(c, cur), h, w)
			}
			return crop(c, c.UpsampleBilinear(u.side.forward(c, cur), fullH, fullW), h, w)
		}))
	}
	s.Free(cur)
	return hier
}

// crop narrows [B, C, H', W'] to its top-left h x w, contiguous (the loss
// code and the readers expect plain memory).
func crop(s *aten.Scope, t *aten.Tensor, h, w int64) *aten.Tensor {
	if sh := t.Shape(); len(sh) == 4 && sh[2] == h && sh[3] == w {
		return s.Contiguous(t)
	}
	return s.Contiguous(s.Narrow(s.Narrow(t, 2, 0, h), 3, 0, w))
}
