// Package engine holds the libtorch runtime basics the rest of dskd builds
// on: the intra-op thread count, seeding libtorch's random generators,
// choosing a device, grad-mode scoping, and the Worker on which all tensor
// work of a model runs.
//
// # Why a Worker
//
// libtorch keeps grad mode (and, on CUDA, the current device and stream) per
// OS thread, and gotch toggles grad mode in separate cgo calls. A goroutine
// that the Go scheduler moves between OS threads can therefore run a forward
// pass with gradients off: measured, 1 run in 4 to 8 crashed in Backward
// ("does not require grad") or silently lost gradients. A Worker is one
// goroutine locked to its OS thread; everything that touches tensors of one
// model (building it, training, evaluating, predicting) is submitted to the
// same Worker with Do. Pure-Go work (decoding, augmentation) runs elsewhere.
//
//	w := engine.NewWorker()
//	defer w.Close()
//	err := w.Do(func() error {
//		engine.SetThreads(0) // all cores
//		engine.ManualSeed(42)
//		// build the model and train here
//		return nil
//	})
//
// # Threads
//
// Debian's libtorch starts with one intra-op thread and ignores
// OMP_NUM_THREADS when driven from gotch; a U-Net step is about twice as slow
// as with two. SetThreads(0) uses all cores (runtime.NumCPU).
//
// # Self-check
//
// A libtorch can compute wrong results with several threads (a trial
// reported Debian 13's libtorch 2.6 giving wrong conv2d weight gradients
// with two). SetThreadsChecked runs a small conv network forward and
// backward in float32 and float64 and compares it with a float64 reference
// computed in Go; if the requested thread count fails it falls back to
// fewer threads with a warning, and if one thread fails it returns an
// error. dskd's trainer calls it before building the model.
//
// Layer: tensors. It imports foundation packages, internal/aten and other
// tensors packages; never the trainer, the study or a program.
package engine
