package dskd

import "github.com/angioseg/dskd/internal/aten"

// setCudnn applies the run's cuDNN switches. They are process-wide, so
// every CUDA run sets all three, whatever an earlier run in the process
// left. TF32 stays libtorch's default (on) unless the run must repeat bit
// for bit.
func setCudnn(cfg Config) {
	aten.SetCudnnBenchmark(cfg.CudnnBenchmark == On && !cfg.Deterministic)
	aten.SetCudnnDeterministic(cfg.Deterministic)
	aten.SetTF32(!cfg.Deterministic)
}
