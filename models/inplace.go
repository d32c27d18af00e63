package models

import (
	"runtime"

	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// reluInPlace applies ReLU to t in place.
//
// Why not t.Relu_(): gotch v0.9.1's generated in-place methods receive a
// new torch::Tensor handle from C, store it in t and never free the old
// handle. The old handle still references the same TensorImpl, so the
// activation's storage (and, in training, its autograd node with the saved
// tensors) is never freed: measured, a base-16 U-Net training step leaked
// its whole activation set (RSS grew without bound; see bench/README.md).
// Here the C wrapper writes the extra handle into a Go variable, which we
// free at once; t keeps its own handle.
func reluInPlace(t *ts.Tensor) error {
	var extra lib.Ctensor
	lib.AtgRelu_(&extra, lib.Ctensor(t.Ctensor()))
	runtime.KeepAlive(t)
	if err := ts.TorchErr(); err != nil {
		return err
	}
	lib.AtFree(extra)
	return nil
}
