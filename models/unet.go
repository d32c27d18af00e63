package models

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/angioseg/dskd/internal/aten"
)

// The layers of an Architecture wired for the forward pass (build.go
// creates them from its Layers).

// conv is a LayerConv (stride 1, padding "same" for odd k, optional bias)
// or a LayerConvTranspose (stride = kernel size, bias).
type conv struct {
	w, b      *aten.Tensor // b may be nil
	pad       int64
	transpose bool
	stride    int64 // transpose only
}

func (c *conv) forward(s *aten.Scope, x *aten.Tensor) *aten.Tensor {
	if c.transpose {
		return s.ConvTranspose2d(x, c.w, c.b, c.stride)
	}
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

// upBlock is one decoder stage (a DecoderStage).
type upBlock struct {
	skip int  // the encoder stage whose output is concatenated
	up   conv // transposed, or a 3x3 conv after bilinear interpolation
	dc   doubleConv
	side *conv // 3x3 conv to 1 channel; nil on the last stage
}

// upsample doubles x to the skip connection's h x w.
func (u *upBlock) upsample(s *aten.Scope, x *aten.Tensor, h, w int64) *aten.Tensor {
	if u.up.transpose {
		return u.up.forward(s, x)
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
// the Output is the caller's (Free it).
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
		skip, prev := skips[u.skip], cur
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
