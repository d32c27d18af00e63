// Package models holds the segmentation networks of dskd: a U-Net with a
// side head on every decoder stage, emitting one logit map per depth for
// Deep Self-knowledge Distillation (METHOD.md, "Network").
//
// # Architecture (UNetConfig zero value = the defaults in brackets)
//
// Encoder of Depth+1 [4] stages of (conv3x3-BN-ReLU)x2 with widths
// Base·2^k [32..512], 2x2 max-pool between stages; decoder of Depth stages,
// each: upsample x2 (bilinear, align_corners=false, then a 3x3 conv that
// halves the channels [default]; or a 2x2 stride-2 transposed conv with a
// correctly shaped [in, out, 2, 2] weight), concatenation with the skip
// (upsampled features first), (conv3x3-BN-ReLU)x2. Convolutions followed by
// BatchNorm have no bias. Every decoder stage but the last has a side head
// (3x3 conv to 1 channel, bilinear upsampling, align_corners=false, to the
// input size); the last, full-resolution stage has the main head (1x1 conv).
// Conv weights: Kaiming normal, fan_in, ReLU gain (std sqrt(2/fan_in)),
// biases 0; BatchNorm weight 1, bias 0, momentum 0.1, eps 1e-5.
// BatchNorm running statistics are VarStore variables (non-trainable,
// saved), so SaveVarStore/LoadVarStore/CopyVarStore carry them: a
// teacher snapshot is a full copy of the student.
//
// Describe(cfg) is the one description of this network: its layers, their
// variables' names, shapes and order, and the blocks the forward pass
// wires them into. New creates the variables from it (architecture.go,
// build.go); package interop reads and writes weights files and builds the
// ONNX graph from it; interop's tests check the PyTorch definition
// (interop/pytorch/dskd_unet.py) against it.
//
// # Shapes and conventions
//
// Input: float [B, InChannels, H, W], B >= 1, any H, W >= 1, same dtype and
// device as the weights (float32 unless the VarStore was converted).
// Output: logits (never probabilities) [B, 1, H, W] at the input size.
// Output.Hierarchy is ordered coarse to fine, [y_d, ..., y_2, y_main],
// len = Depth; Output.Main is the SAME tensor as the last element (an
// alias), and Output.Free frees everything exactly once. MainProbs
// applies the sigmoid on request.
//
// Sizes that are not multiples of 2^Depth are padded at the bottom and
// right: reflect padding when the padding is smaller than the side (as
// reflect requires), replicate padding otherwise (tiny inputs, e.g. 5x5
// with Depth 4); all outputs are cropped back to H x W.
//
// In training mode (Forward(x, true)) BatchNorm uses batch statistics, so
// B·h·w at the coarsest level must exceed 1 (libtorch's rule; the error
// comes back as an error). Forward never changes grad mode: evaluate under
// engine.NoGrad.
//
// # Runtime rules
//
// All calls that touch tensors (New, Forward, Load, CopyVarStore) run on
// one engine Worker (or inside engine.Run): libtorch grad mode is per OS
// thread. The model is created directly on the device given to New. Invalid
// configurations and inputs return errors prefixed "models: "; nothing here
// calls log.Fatal on user input.
//
// Layer: tensors. It imports foundation packages, internal/aten and other
// tensors packages; never the trainer, the study or a program.
package models
