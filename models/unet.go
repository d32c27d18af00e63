package models

import (
	"fmt"
	"math"
	"strconv"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
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
}

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
	}
	return c, nil
}

// conv is a 2-D convolution with optional bias, padding "same" for odd k.
type conv struct {
	w, b *ts.Tensor // b may be nil
	pad  int64
}

func (c *conv) forward(x *ts.Tensor, del bool) (*ts.Tensor, error) {
	b := ts.None
	if c.b != nil {
		b = c.b
	}
	y, err := conv2d(x, c.w, b, []int64{1, 1}, []int64{c.pad, c.pad})
	if del {
		x.MustDrop()
	}
	return y, err
}

// batchNorm keeps its running statistics in the VarStore (as non-trainable,
// persistent "buffer" variables), so VarStore Save/Load/Copy carry them.
type batchNorm struct {
	w, b, mean, variance *ts.Tensor
	momentum, eps        float64
}

func (bn *batchNorm) forward(x *ts.Tensor, train, del bool) (*ts.Tensor, error) {
	y, err := batchNorm2d(x, bn.w, bn.b, bn.mean, bn.variance, train, bn.momentum, bn.eps)
	if del {
		x.MustDrop()
	}
	return y, err
}

// doubleConv is (conv3x3 - BN - ReLU) x 2; the convs have no bias (BN has).
type doubleConv struct {
	c1, c2   conv
	bn1, bn2 batchNorm
}

func (d *doubleConv) forward(x *ts.Tensor, train, del bool) (*ts.Tensor, error) {
	h, err := d.c1.forward(x, del)
	if err != nil {
		return nil, err
	}
	if h, err = d.bn1.forward(h, train, true); err != nil {
		return nil, err
	}
	if err = reluInPlace(h); err != nil {
		h.MustDrop()
		return nil, err
	}
	if h, err = d.c2.forward(h, true); err != nil {
		return nil, err
	}
	if h, err = d.bn2.forward(h, train, true); err != nil {
		return nil, err
	}
	if err = reluInPlace(h); err != nil {
		h.MustDrop()
		return nil, err
	}
	return h, nil
}

// upBlock is one decoder stage.
type upBlock struct {
	transpose bool
	up        conv       // bilinear mode: 3x3 conv after interpolation
	tw, tb    *ts.Tensor // transpose mode: weight [in, out, 2, 2], bias [out]
	dc        doubleConv
	side      *conv // 3x3 conv to 1 channel; nil on the last stage
}

// UNet is the U-Net of METHOD.md with a side head on every decoder stage but
// the last. Create it with New; all its variables live in its own VarStore.
type UNet struct {
	cfg    UNetConfig
	vs     *nn.VarStore
	device gotch.Device
	enc    []doubleConv // Depth+1
	dec    []upBlock    // Depth, coarse to fine
	head   conv         // 1x1, last decoder stage
}

var _ Model = (*UNet)(nil)

// builder creates variables with our own initialisation; it avoids gotch's
// initialisers, which toggle grad mode with ts.NoGrad (not restore-safe).
type builder struct {
	device gotch.Device
	err    error
}

func (b *builder) add(p *nn.Path, name string, t *ts.Tensor, trainable bool, opts ...nn.AddOpt) *ts.Tensor {
	if b.err != nil || t == nil {
		return nil
	}
	v, err := p.Add(name, t, trainable, opts...)
	t.MustDrop()
	if err != nil {
		b.err = fmt.Errorf("models: creating variable %q: %w", name, err)
		return nil
	}
	return v
}

func (b *builder) full(dims []int64, value float64) *ts.Tensor {
	if b.err != nil {
		return nil
	}
	var t *ts.Tensor
	var err error
	if value == 0 {
		t, err = ts.Zeros(dims, gotch.Float, b.device)
	} else {
		t, err = ts.Ones(dims, gotch.Float, b.device)
		if err == nil && value != 1 {
			err = t.Fill_(ts.FloatScalar(value))
		}
	}
	if err != nil {
		b.err = fmt.Errorf("models: allocating %v: %w", dims, err)
		return nil
	}
	return t
}

// kaiming returns N(0, 2/fanIn): Kaiming normal, mode fan_in, gain for ReLU.
func (b *builder) kaiming(dims []int64, fanIn int64) *ts.Tensor {
	if b.err != nil {
		return nil
	}
	t, err := ts.Randn(dims, gotch.Float, b.device)
	if err == nil {
		err = t.MulScalar_(ts.FloatScalar(math.Sqrt(2 / float64(fanIn))))
	}
	if err != nil {
		b.err = fmt.Errorf("models: initialising %v: %w", dims, err)
		return nil
	}
	return t
}

func (b *builder) conv(p *nn.Path, in, out, k int64, bias bool) conv {
	c := conv{pad: k / 2}
	c.w = b.add(p, "weight", b.kaiming([]int64{out, in, k, k}, in*k*k), true)
	if bias {
		c.b = b.add(p, "bias", b.full([]int64{out}, 0), true)
	}
	return c
}

func (b *builder) bn(p *nn.Path, ch int64, cfg UNetConfig) batchNorm {
	buf := nn.WithVarType("buffer")
	return batchNorm{
		w:        b.add(p, "weight", b.full([]int64{ch}, 1), true),
		b:        b.add(p, "bias", b.full([]int64{ch}, 0), true),
		mean:     b.add(p, "running_mean", b.full([]int64{ch}, 0), false, buf),
		variance: b.add(p, "running_var", b.full([]int64{ch}, 1), false, buf),
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
	vs := nn.NewVarStore(device)
	root := vs.Root()
	b := &builder{device: device}
	m := &UNet{cfg: cfg, vs: vs, device: device}
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
			u.tw = b.add(p.Sub("up"), "weight", b.kaiming([]int64{width(k + 1), width(k), 2, 2}, width(k)*4), true)
			u.tb = b.add(p.Sub("up"), "bias", b.full([]int64{width(k)}, 0), true)
		} else {
			u.up = b.conv(p.Sub("up"), width(k+1), width(k), 3, true)
		}
		u.dc = b.doubleConv(p, 2*width(k), width(k), cfg)
		if j < d-1 {
			s := b.conv(p.Sub("side"), width(k), 1, 3, true)
			u.side = &s
		}
		m.dec = append(m.dec, u)
	}
	m.head = b.conv(root.Sub("head"), width(0), 1, 1, true)
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
// not change grad mode: wrap evaluation in engine.NoGrad. x is not freed.
//
// Inputs whose sides are not multiples of 2^Depth are padded at the bottom
// and right (reflect when the padding is smaller than the side, replicate
// otherwise) and every output is cropped back to H x W.
func (m *UNet) Forward(x *ts.Tensor, train bool) (*Output, error) {
	if err := checkInput(x, m.cfg.InChannels, m.vs); err != nil {
		return nil, err
	}
	shape, _ := x.Size()
	h, w := shape[2], shape[3]
	mult := int64(1) << m.cfg.Depth
	ph, pw := padSize(h, mult)-h, padSize(w, mult)-w
	cur := x
	ownCur := false
	if ph > 0 || pw > 0 {
		var err error
		pad := []int64{0, pw, 0, ph}
		if ph < h && pw < w {
			cur, err = x.ReflectionPad2d(pad, false)
		} else {
			cur, err = x.ReplicationPad2d(pad, false)
		}
		if err != nil {
			return nil, fmt.Errorf("models: padding input %v: %w", shape, err)
		}
		ownCur = true
	}
	out, err := m.forwardPadded(cur, ownCur, train, h, w)
	if err != nil {
		return nil, fmt.Errorf("models: forward on input %v: %w", shape, err)
	}
	return out, nil
}

func dropAll(ts []*ts.Tensor) {
	for _, t := range ts {
		if t != nil {
			t.MustDrop()
		}
	}
}

// crop narrows [B, C, H', W'] to its top-left h x w (the same tensor
// when it already has that size) and frees the input when del.
func crop(t *ts.Tensor, h, w int64, del bool) (*ts.Tensor, error) {
	s, err := t.Size()
	if err != nil {
		return nil, err
	}
	if s[2] == h && s[3] == w {
		if del {
			return t, nil
		}
		return t.ShallowClone()
	}
	a, err := t.Narrow(2, 0, h, del)
	if err != nil {
		return nil, err
	}
	b, err := a.Narrow(3, 0, w, true)
	if err != nil {
		return nil, err
	}
	// Contiguous so that later reshapes and the loss code see plain memory.
	return b.Contiguous(true)
}

func (m *UNet) forwardPadded(x *ts.Tensor, delX, train bool, h, w int64) (out *Output, err error) {
	d := m.cfg.Depth
	skips := make([]*ts.Tensor, 0, d)
	var hier []*ts.Tensor
	var cur *ts.Tensor
	defer func() {
		if err != nil {
			dropAll(skips)
			dropAll(hier)
			if cur != nil {
				cur.MustDrop()
			}
		}
	}()
	ps, err := x.Size()
	if err != nil {
		return nil, err
	}
	fullH, fullW := ps[2], ps[3]

	// Encoder.
	cur, err = m.enc[0].forward(x, train, delX)
	if err != nil {
		cur = nil
		return nil, err
	}
	for k := 1; k <= d; k++ {
		skips = append(skips, cur)
		pooled, e := maxPool2x2(cur)
		if e != nil {
			cur = nil
			return nil, e
		}
		cur = nil
		if cur, err = m.enc[k].forward(pooled, train, true); err != nil {
			cur = nil
			return nil, err
		}
	}

	// Decoder, coarse to fine.
	for j := 0; j < d; j++ {
		u := &m.dec[j]
		skip := skips[len(skips)-1]
		skips = skips[:len(skips)-1]
		ss, _ := skip.Size()
		var up *ts.Tensor
		if u.transpose {
			up, err = ts.ConvTranspose2d(cur, u.tw, u.tb, []int64{2, 2}, []int64{0, 0}, []int64{0, 0}, 1, []int64{1, 1})
			cur.MustDrop()
		} else {
			var interp *ts.Tensor
			interp, err = upsampleBilinear(cur, ss[2], ss[3])
			cur.MustDrop()
			if err == nil {
				up, err = u.up.forward(interp, true)
			}
		}
		cur = nil
		if err != nil {
			skip.MustDrop()
			return nil, err
		}
		cat, e := cat2(up, skip, 1)
		up.MustDrop()
		skip.MustDrop()
		if e != nil {
			return nil, e
		}
		if cur, err = u.dc.forward(cat, train, true); err != nil {
			cur = nil
			return nil, err
		}
		var logit *ts.Tensor
		if u.side != nil {
			logit, err = u.side.forward(cur, false)
			if err == nil {
				small := logit
				logit, err = upsampleBilinear(small, fullH, fullW)
				small.MustDrop()
			}
		} else {
			logit, err = m.head.forward(cur, false)
		}
		if err == nil {
			logit, err = crop(logit, h, w, true)
		}
		if err != nil {
			return nil, err
		}
		hier = append(hier, logit)
	}
	cur.MustDrop()
	cur = nil
	return &Output{Main: hier[len(hier)-1], Hierarchy: hier}, nil
}
