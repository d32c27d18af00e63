// Package interop moves dskd models in and out of the formats people
// deploy with: safetensors, PyTorch's .pt (a torch.save'd state dict) and
// ONNX, written and read in pure Go (no libtorch, no Python).
//
// A Model is plain data: Metadata (the models.UNetConfig, the input
// normalisation, the threshold, the dskd version) and one Array per
// variable, named as in the VarStore (enc0.conv1.weight,
// enc0.bn1.running_mean, dec0.up.weight, dec0.side.bias, head.weight, ...).
// Names, shapes and order come from models.Describe, the one description
// of the network, and so does the ONNX graph. interop/pytorch/dskd_unet.py
// defines the same network in PyTorch with the same state_dict (a test
// checks it against models.Describe), so load_state_dict(..., strict=True)
// takes dskd weights and dskd takes the weights of that definition.
//
//	m, _ := interop.FromUNet(net)                 // on the net's engine Worker
//	m.Meta.Normalize, m.Meta.Threshold = "zscore", 0.5
//	_ = interop.WriteFile("model.onnx", m, interop.ONNX, interop.ONNXOptions{})
//	back, _ := interop.ReadFile("model.safetensors") // or a PyTorch .pt
//	net2, _ := interop.NewUNet(back, gotch.CPU)        // on a Worker
//
// # Formats
//
// Safetensors: float32 tensors in models.Describe's Params order, the metadata as string
// pairs (dskd_config holds the UNetConfig as JSON) plus "format": "pt".
//
// .pt: a zip that torch.load reads (PyTorch >= 1.6, weights_only=True
// too): data.pkl pickles an OrderedDict of float32 CPU tensors, each storage
// in data/N aligned to 64 bytes; the metadata is an extra dskd.json entry
// that torch.load ignores. Reading accepts any torch.save'd state dict of
// this network (float or integer storages, views, PyTorch 1.6 to 2.x);
// torch.nn.BatchNorm2d's num_batches_tracked entries are dropped. A file
// without dskd metadata gets the config its shapes imply (InferConfig).
//
// ONNX (opset 17, IR 8): see EncodeONNX. The protobuf is written by a small
// encoder on google.golang.org/protobuf/encoding/protowire (onnxproto.go)
// rather than generated ONNX bindings: the Go packages that carry ONNX's
// protos (github.com/owulveryck/onnx-go, last release v0.5.0) are built on
// the deprecated gogo/protobuf, and an inference graph needs only a dozen
// messages.
//
// # Tensors
//
// bridge.go alone touches libtorch: FromUNet, LoadArrays and NewUNet,
// which run on the engine Worker that owns the model. Errors are prefixed
// "interop: " and name the file, array, shape or option at fault.
//
// Layer: tensors. It imports foundation packages, internal/aten and other
// tensors packages; never the trainer, the study or a program.
package interop
