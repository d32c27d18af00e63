package models

import (
	"strconv"
	"strings"
)

// Architecture is the one description of the U-Net a UNetConfig gives:
// every layer that has variables, named as in the VarStore and in the
// state_dict of interop/pytorch/dskd_unet.py, and the blocks the forward
// pass wires them into. New creates the variables in Params order from
// it (that order is the order of the initial random draws) and Forward
// follows its blocks; package interop takes the names, shapes and order
// of weights files and the ONNX graph from it. Shapes below use w_k =
// Base·2^k for the width of resolution level k (H/2^k x W/2^k).
type Architecture struct {
	// Config is the configuration with its defaults filled in.
	Config UNetConfig
	// Encoder has Depth+1 stages, stage k at level k: [B, w_{k-1}, h, w]
	// (InChannels for k = 0) -> [B, w_k, h, w]. Every stage but the first
	// works on the 2x2 max-pool (stride 2) of the previous stage's output.
	Encoder []DoubleConv
	// Decoder has Depth stages, coarsest first: stage j works at level
	// Depth-1-j.
	Decoder []DecoderStage
	// Head is the 1x1 convolution [B, w_0, H, W] -> [B, 1, H, W] of the
	// last decoder stage's output: the main logits.
	Head Layer
}

// DoubleConv is (conv3x3 - BatchNorm - ReLU) x 2: [B, in, h, w] ->
// [B, out, h, w]; the convolutions have no bias (BatchNorm has).
type DoubleConv struct {
	Conv1, BN1, Conv2, BN2 Layer
}

// DecoderStage is one decoder stage at level k: Up maps the previous
// stage's [B, w_{k+1}, h/2, w/2] to [B, w_k, h, w], which is concatenated
// (first) with the skip [B, w_k, h, w] and run through Block.
type DecoderStage struct {
	// Skip is the index of the encoder stage whose output is concatenated
	// (= the level k).
	Skip int
	// Up is a LayerConv (3x3 with bias, applied after bilinear x2
	// upsampling, align_corners=false) or a LayerConvTranspose (2x2,
	// stride 2).
	Up Layer
	// Block is the DoubleConv [B, 2·w_k, h, w] -> [B, w_k, h, w].
	Block DoubleConv
	// Side is the side head, a 3x3 conv [B, w_k, h, w] -> [B, 1, h, w]
	// whose logits are upsampled bilinearly to the input size; nil on the
	// last stage, whose output goes to Architecture.Head.
	Side *Layer
}

// LayerKind says what a Layer computes and which variables it has.
type LayerKind string

// Layer kinds.
const (
	// LayerConv: stride 1, "same" padding (Kernel/2); weight
	// [Out, In, Kernel, Kernel], bias [Out] when Bias.
	LayerConv LayerKind = "conv"
	// LayerConvTranspose: stride Kernel, no padding; weight
	// [In, Out, Kernel, Kernel] (ATen's layout), bias [Out].
	LayerConvTranspose LayerKind = "conv_transpose"
	// LayerBatchNorm over In = Out channels: weight, bias, running_mean,
	// running_var, each [Out].
	LayerBatchNorm LayerKind = "batch_norm"
)

// Layer is one layer with variables.
type Layer struct {
	// Name is the VarStore prefix of its variables, e.g. "enc0.conv1".
	Name string
	Kind LayerKind
	// In and Out are the channel counts (equal for a BatchNorm).
	In, Out int64
	// Kernel is the side of the square kernel; 0 for a BatchNorm.
	Kernel int64
	// Bias: the convolution has a bias (always for LayerConvTranspose).
	Bias bool
}

// Role is the last component of a variable's name: what it is to its Layer.
type Role string

// Variable roles.
const (
	RoleWeight      Role = "weight"
	RoleBias        Role = "bias"
	RoleRunningMean Role = "running_mean" // BatchNorm buffer
	RoleRunningVar  Role = "running_var"  // BatchNorm buffer
)

// Buffer reports whether the role is a non-trainable BatchNorm running
// statistic (a PyTorch buffer; saved like a weight).
func (r Role) Buffer() bool { return r == RoleRunningMean || r == RoleRunningVar }

// Param is one variable of a Layer.
type Param struct {
	// Name is the layer's name, a dot and the role: "enc0.bn1.running_var".
	Name  string
	Shape []int64
	Role  Role
}

// Params lists the layer's variables in creation (and state_dict) order.
func (l Layer) Params() []Param {
	p := func(r Role, shape ...int64) Param {
		return Param{Name: l.Name + "." + string(r), Shape: shape, Role: r}
	}
	switch l.Kind {
	case LayerBatchNorm:
		return []Param{p(RoleWeight, l.Out), p(RoleBias, l.Out), p(RoleRunningMean, l.Out), p(RoleRunningVar, l.Out)}
	case LayerConvTranspose:
		return []Param{p(RoleWeight, l.In, l.Out, l.Kernel, l.Kernel), p(RoleBias, l.Out)}
	}
	ps := []Param{p(RoleWeight, l.Out, l.In, l.Kernel, l.Kernel)}
	if l.Bias {
		ps = append(ps, p(RoleBias, l.Out))
	}
	return ps
}

// FanIn is the fan-in PyTorch computes for the layer's weight (dim 1 of
// the weight times the kernel area); initialisation draws from it.
func (l Layer) FanIn() int64 {
	if l.Kind == LayerConvTranspose {
		return l.Out * l.Kernel * l.Kernel
	}
	return l.In * l.Kernel * l.Kernel
}

// Path splits the layer's name into its VarStore path components.
func (l Layer) Path() []string { return strings.Split(l.Name, ".") }

// Layers lists conv1, bn1, conv2, bn2.
func (d DoubleConv) Layers() []Layer { return []Layer{d.Conv1, d.BN1, d.Conv2, d.BN2} }

// Layers lists every layer in creation (and state_dict) order: each
// encoder stage's, then each decoder stage's up, block and side head,
// then the head.
func (a Architecture) Layers() []Layer {
	var ls []Layer
	for _, e := range a.Encoder {
		ls = append(ls, e.Layers()...)
	}
	for _, d := range a.Decoder {
		ls = append(append(ls, d.Up), d.Block.Layers()...)
		if d.Side != nil {
			ls = append(ls, *d.Side)
		}
	}
	return append(ls, a.Head)
}

// Params lists every variable (weights, biases and BatchNorm running
// statistics) in creation order, which is the order of a state_dict of
// interop/pytorch/dskd_unet.py and of dskd's weights files.
func (a Architecture) Params() []Param {
	var ps []Param
	for _, l := range a.Layers() {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Describe returns the Architecture of cfg (zero fields take their
// defaults), or WithDefaults' error. It touches no tensor.
func Describe(cfg UNetConfig) (Architecture, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return Architecture{}, err
	}
	a := Architecture{Config: cfg}
	width := func(k int) int64 { return int64(cfg.Base) << k }
	d := cfg.Depth
	for k := 0; k <= d; k++ {
		in := int64(cfg.InChannels)
		if k > 0 {
			in = width(k - 1)
		}
		a.Encoder = append(a.Encoder, doubleConvAt("enc"+strconv.Itoa(k), in, width(k)))
	}
	for j := 0; j < d; j++ {
		k := d - 1 - j // the level this stage produces
		p := "dec" + strconv.Itoa(j)
		st := DecoderStage{Skip: k, Block: doubleConvAt(p, 2*width(k), width(k))}
		st.Up = Layer{Name: p + ".up", Kind: LayerConv, In: width(k + 1), Out: width(k), Kernel: 3, Bias: true}
		if cfg.Upsample == UpsampleTranspose {
			st.Up.Kind, st.Up.Kernel = LayerConvTranspose, 2
		}
		if j < d-1 {
			st.Side = &Layer{Name: p + ".side", Kind: LayerConv, In: width(k), Out: 1, Kernel: 3, Bias: true}
		}
		a.Decoder = append(a.Decoder, st)
	}
	a.Head = Layer{Name: "head", Kind: LayerConv, In: width(0), Out: 1, Kernel: 1, Bias: true}
	return a, nil
}

// doubleConvAt names the DoubleConv's layers prefix.conv1 ... prefix.bn2.
func doubleConvAt(prefix string, in, out int64) DoubleConv {
	conv := func(name string, in int64) Layer {
		return Layer{Name: prefix + "." + name, Kind: LayerConv, In: in, Out: out, Kernel: 3}
	}
	bn := func(name string) Layer {
		return Layer{Name: prefix + "." + name, Kind: LayerBatchNorm, In: out, Out: out}
	}
	return DoubleConv{Conv1: conv("conv1", in), BN1: bn("bn1"), Conv2: conv("conv2", out), BN2: bn("bn2")}
}
