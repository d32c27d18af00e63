// Package optim implements AdamW and SGD on gotch tensors, in Go, with
// state that can be saved and loaded.
//
// gotch wraps libtorch's C++ optimizers but cannot save their state (Adam's
// moment estimates, SGD's momentum buffers), so a run resumed from a
// checkpoint would restart the moments from zero and diverge from the
// uninterrupted run. These optimizers keep their state as named tensors,
// saved next to the model weights, so Resume continues the exact trajectory.
//
// The update rules are PyTorch's (torch.optim.AdamW and torch.optim.SGD with
// the default flags): for AdamW, with gradient g, step t, learning rate lr,
//
//	p ← p · (1 − lr·wd)
//	m ← β1·m + (1 − β1)·g
//	v ← β2·v + (1 − β2)·g²
//	p ← p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
//
// and for SGD (momentum μ, dampening 0, weight decay wd):
//
//	g ← g + wd·p;  b ← μ·b + g (b = g on the first step);  p ← p − lr·b
//
// Parameters are the trainable variables of a VarStore, addressed by name,
// so state saved for one model instance loads into another of the same
// architecture. All calls must run on the engine.Worker that owns the model.
//
// Layer: tensors. It imports foundation packages, internal/aten and other
// tensors packages; never the trainer, the study or a program.
package optim
