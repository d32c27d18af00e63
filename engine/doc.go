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
//		st, err := engine.Start(0) // allocator, self-check at all cores
//		if err != nil {
//			return err
//		}
//		for _, line := range st.Lines() {
//			log.Print(line)
//		}
//		engine.ManualSeed(42)
//		// build the model and train here
//		return nil
//	})
//
// # Start-up
//
// Start is the start-up of every program that computes with libtorch
// (dskd's trainer, its Predictor and the benchmark call it before
// building a model), in two explicit steps, each one line in the log:
//
//  1. The allocator (TuneAllocator): libtorch allocates tensors with
//     malloc, and glibc's defaults unmap every large freed block, so that
//     each op of a training step faults in fresh pages. dskd keeps freed
//     memory in the process (blocks up to 1 GiB from the heap, one arena;
//     docs/speed.md has the measurements), unless DSKD_MALLOC=system or
//     the user's own MALLOC_* variables or glibc.malloc tunables opt out:
//     "allocator: tuned (M_MMAP_THRESHOLD=1073741824, ...)" or
//     "allocator: system (DSKD_MALLOC=system)". It acts once per
//     process. glibc gives each thread an arena at its first malloc, so a
//     command calls TuneAllocator first thing in main, before its threads
//     multiply (cmd/dskd and bench do); nothing is tuned on import.
//  2. The conv2d self-check (SetThreadsChecked, below) at the requested
//     thread count: "conv2d self-check: 2 thread(s): ok (...)".
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
// error. Start runs it before a model is built.
//
// Layer: tensors. It imports foundation packages, internal/aten and other
// tensors packages; never the trainer, the study or a program.
package engine
