package aten

/*
#include <malloc.h>

// dskd_tune_malloc keeps freed tensor memory in the process instead of
// returning it to the kernel (see malloc.go). Returns how many settings
// glibc accepted.
static int dskd_tune_malloc(long long mmap_threshold, long long trim_threshold, long long top_pad, int arena_max) {
	int ok = 0;
#ifdef M_MMAP_THRESHOLD
	ok += mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
	ok += mallopt(M_TRIM_THRESHOLD, (int)trim_threshold);
	ok += mallopt(M_TOP_PAD, (int)top_pad);
	if (arena_max > 0) ok += mallopt(M_ARENA_MAX, arena_max);
#endif
	return ok;
}
*/
import "C"

import (
	"os"
	"strings"
)

// The allocator setting.
//
// libtorch's CPU allocator is plain malloc/free. glibc hands every block
// above its mmap threshold (128 KiB, raised dynamically up to 32 MiB) to
// the kernel with mmap and unmaps it on free, and trims the heap's top
// once 128 KiB are free; a U-Net step allocates and frees hundreds of
// multi-megabyte activations, so nearly every op faults in fresh zeroed
// pages. Measured on 2 cores (bench/README.md): most of the system time of
// a training step, and a large share of its wall time, went to page faults.
// PyTorch's CPU tuning guide tells users to swap the allocator or set
// MALLOC_* variables; dskd sets glibc's thresholds itself at start-up:
// blocks up to 1 GiB come from the heap, freed memory stays in the process
// for reuse (peak RSS is unchanged: the memory was needed at the peak
// anyway), and threads share the main arena (the worker thread's own arena
// could not hold blocks above 64 MiB and would mmap them again).
//
// Opt out with DSKD_MALLOC=system. dskd also leaves malloc alone when the
// user tuned it already (any MALLOC_* variable or glibc.malloc tunables).
const (
	mallocMmapThreshold = 1 << 30
	mallocTrimThreshold = 1<<31 - 1
	mallocTopPad        = 256 << 20
	mallocArenaMax      = 1
)

// MallocPolicy is the allocator setting in effect: "tuned" (dskd's), or
// "system" (glibc's defaults, or the user's own MALLOC_* settings).
func MallocPolicy() string { return mallocPolicy }

var mallocPolicy = tuneMalloc()

func tuneMalloc() string {
	if strings.EqualFold(os.Getenv("DSKD_MALLOC"), "system") || userTunedMalloc(os.Environ()) {
		return "system"
	}
	if C.dskd_tune_malloc(mallocMmapThreshold, mallocTrimThreshold, mallocTopPad, mallocArenaMax) == 0 {
		return "system" // not glibc
	}
	return "tuned"
}

// userTunedMalloc reports whether env already tunes glibc's malloc.
func userTunedMalloc(env []string) bool {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "MALLOC_") { // MALLOC_ARENA_MAX, MALLOC_TOP_PAD_, ...
			return true
		}
		if k == "GLIBC_TUNABLES" && strings.Contains(v, "glibc.malloc.") {
			return true
		}
	}
	return false
}
