package engine

// These live in gotch's libtch (torch_api.cpp), linked into every binary
// that uses gotch; gotch has no Go API for them.

/*
#include <stdint.h>
void at_set_num_threads(int n_threads);
int at_get_num_threads();
void at_manual_seed(int64_t seed);
*/
import "C"

import (
	"fmt"
	"runtime"
)

// SetThreads sets libtorch's intra-op thread count for the process; n <= 0
// means all cores (runtime.NumCPU()). It returns the count in effect.
func SetThreads(n int) int {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	C.at_set_num_threads(C.int(n))
	return Threads()
}

// Threads returns libtorch's intra-op thread count.
func Threads() int { return int(C.at_get_num_threads()) }

// ManualSeed seeds libtorch's CPU and CUDA generators (weight init,
// dropout, rand*).
func ManualSeed(seed int64) { C.at_manual_seed(C.int64_t(seed)) }

// ThreadsFromConfig validates a user-supplied thread count.
func ThreadsFromConfig(n int) (int, error) {
	if n < 0 {
		return 0, fmt.Errorf("engine: threads %d: must be >= 0 (0 = all cores)", n)
	}
	if n == 0 {
		return runtime.NumCPU(), nil
	}
	return n, nil
}
