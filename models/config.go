package models

import (
	"fmt"

	"github.com/angioseg/dskd/internal/option"
	"github.com/sugarme/gotch"
)

// Upsample is how a decoder stage doubles the resolution.
type Upsample string

// Upsampling modes of UNetConfig.Upsample.
const (
	// UpsampleBilinear doubles the resolution with bilinear interpolation
	// (align_corners=false) followed by a 3x3 convolution (with bias) that
	// halves the channel count. The default.
	UpsampleBilinear Upsample = "bilinear"
	// UpsampleTranspose uses a 2x2 transposed convolution with stride 2 (the
	// original U-Net "up-conv"); its weight is created with ATen's
	// [in, out, k, k] layout (gotch's nn.NewConvTranspose2D gets this wrong).
	UpsampleTranspose Upsample = "transpose"
)

// UNetConfig configures a UNet. The zero value gives METHOD.md's defaults.
type UNetConfig struct {
	// Depth is the number of 2x2 max-pool steps (the encoder has Depth+1
	// stages, the decoder Depth stages) and also the number of hierarchical
	// outputs. 0 means 4. Valid: 1..MaxDepth.
	Depth int `json:"depth,omitempty"`
	// Base is the channel width of the first encoder stage; stage k has
	// Base·2^k channels. 0 means 32.
	Base int `json:"base,omitempty"`
	// InChannels is the number of input image channels. 0 means 1.
	InChannels int `json:"in_channels,omitempty"`
	// Upsample is UpsampleBilinear (default, also for "") or UpsampleTranspose.
	Upsample Upsample `json:"upsample,omitempty"`
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
	Init Init `json:"init,omitempty"`
	// MemoryFormat is the layout of weights and activations:
	// MemoryAuto (default, also for ""): channels-last on the CPU, where
	// oneDNN's convolutions are fastest in it, contiguous on CUDA;
	// MemoryChannelsLast or MemoryContiguous force one. Results agree to
	// float rounding; checkpoints load across formats.
	MemoryFormat MemoryFormat `json:"memory_format,omitempty"`
}

// MaxDepth is the largest valid UNetConfig.Depth.
const MaxDepth = 8

// Init is how the convolutions' weights are drawn.
type Init string

// Initialisations of UNetConfig.Init.
const (
	InitKaiming Init = "kaiming"
	InitPyTorch Init = "pytorch"
)

// MemoryFormat is the layout of weights and activations.
type MemoryFormat string

// Memory formats of UNetConfig.MemoryFormat.
const (
	MemoryAuto         MemoryFormat = "auto"
	MemoryChannelsLast MemoryFormat = "channels-last"
	MemoryContiguous   MemoryFormat = "contiguous"
)

// WithDefaults returns the config with every zero field replaced by its
// default, or an error naming the first invalid field.
func (c UNetConfig) WithDefaults() (UNetConfig, error) {
	option.Default(&c.Depth, 4)
	option.Default(&c.Base, 32)
	option.Default(&c.InChannels, 1)
	option.Default(&c.Upsample, UpsampleBilinear)
	option.Default(&c.BNMomentum, 0.1)
	option.Default(&c.BNEps, 1e-5)
	option.Default(&c.MemoryFormat, MemoryAuto)
	option.Default(&c.Init, InitKaiming)
	switch {
	case c.Depth < 1 || c.Depth > MaxDepth:
		return c, fmt.Errorf("models: UNetConfig.Depth %d: want 1..%d", c.Depth, MaxDepth)
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
