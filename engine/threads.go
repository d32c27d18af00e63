package engine

import (
	"fmt"
	"runtime"

	"github.com/angioseg/dskd/internal/aten"
)

// SetThreads sets libtorch's intra-op thread count for the process; n <= 0
// means all cores (runtime.NumCPU()). It returns the count in effect.
func SetThreads(n int) int { return aten.SetThreads(n) }

// Threads returns libtorch's intra-op thread count.
func Threads() int { return aten.Threads() }

// ManualSeed seeds libtorch's CPU and CUDA generators (weight init,
// dropout, rand*).
func ManualSeed(seed int64) { aten.ManualSeed(seed) }

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
