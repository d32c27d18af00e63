package aten

// These live in gotch's libtch (torch_api.cpp), linked into every binary
// that uses gotch; gotch has no Go API for them, or one that misreads the
// result (ts.GradSetEnabled reads a C int through a Go int).

/*
#include <stdint.h>
void at_set_num_threads(int n_threads);
int at_get_num_threads();
void at_manual_seed(int64_t seed);
int at_grad_set_enabled(int b);
*/
import "C"

import (
	"runtime"

	lib "github.com/sugarme/gotch/libtch"
)

// SetThreads sets libtorch's intra-op thread count for the process; n <= 0
// means all cores. It returns the count in effect.
func SetThreads(n int) int {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	C.at_set_num_threads(C.int(n))
	return Threads()
}

// Threads returns libtorch's intra-op thread count.
func Threads() int { return int(C.at_get_num_threads()) }

// ManualSeed seeds libtorch's CPU and CUDA generators.
func ManualSeed(seed int64) { C.at_manual_seed(C.int64_t(seed)) }

// SetGradEnabled sets the grad mode of the calling OS thread and returns
// the previous one.
func SetGradEnabled(on bool) bool {
	b := 0
	if on {
		b = 1
	}
	return C.at_grad_set_enabled(C.int(b)) == 1
}

// GradEnabled reports the grad mode of the calling OS thread.
func GradEnabled() bool {
	prev := SetGradEnabled(true)
	SetGradEnabled(prev)
	return prev
}

// CUDAAvailable reports whether the linked libtorch has CUDA and sees a GPU.
func CUDAAvailable() bool { return lib.AtcCudaIsAvailable() }

// CUDADeviceCount is the number of visible GPUs (0 without CUDA).
func CUDADeviceCount() int {
	if !CUDAAvailable() {
		return 0
	}
	return int(lib.AtcCudaDeviceCount())
}

// SetCudnnBenchmark switches cuDNN's autotuner (no effect without CUDA).
func SetCudnnBenchmark(on bool) {
	if !CUDAAvailable() {
		return
	}
	lib.AtcSetBenchmarkCudnn(int(boolInt(on)))
}

// SetCudnnDeterministic makes cuDNN use deterministic algorithms only
// (torch.backends.cudnn.deterministic); a process-wide flag that only
// changes CUDA runs.
func SetCudnnDeterministic(on bool) { lib.DskdCudnnSetDeterministic(on) }

// CudnnDeterministic reports the flag SetCudnnDeterministic sets.
func CudnnDeterministic() bool { return lib.DskdCudnnDeterministic() }

// SetTF32 allows cuDNN convolutions to run float32 in TensorFloat-32 on
// Ampere or newer GPUs (torch.backends.cudnn.allow_tf32, libtorch's default
// true): faster, with a 10-bit mantissa inside the convolution.
func SetTF32(on bool) { lib.DskdCudnnSetAllowTF32(on) }

// TF32 reports the flag SetTF32 sets.
func TF32() bool { return lib.DskdCudnnAllowTF32() }

// Synchronize waits for the work queued on CUDA device idx (timing).
func Synchronize(idx int) {
	if CUDAAvailable() {
		lib.AtcSynchronize(int64(idx))
	}
}
