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
	"sync"

	"github.com/angioseg/dskd/internal/mallocenv"
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
// MALLOC_* variables; dskd sets glibc's thresholds itself when TuneMalloc
// is called (engine.Start, the first step of dskd's start-up): blocks up
// to 1 GiB come from the heap, freed memory stays in the process for reuse
// (peak RSS is unchanged: the memory was needed at the peak anyway), and
// threads share the main arena (the worker thread's own arena could not
// hold blocks above 64 MiB and would mmap them again). Importing the
// package changes nothing.
//
// Opt out with DSKD_MALLOC=system. dskd also leaves malloc alone when the
// user tuned it already (any MALLOC_* variable or glibc.malloc tunables).
// The values: internal/mallocenv.

// Malloc policies.
const (
	MallocTuned  = "tuned"  // dskd's thresholds are in effect
	MallocSystem = "system" // glibc's defaults, or the user's own settings
)

// MallocSetting is what TuneMalloc decided.
type MallocSetting struct {
	Policy string // MallocTuned or MallocSystem
	// Reason says why the policy is MallocSystem; empty when tuned.
	Reason string
	// Settings are the mallopt parameters applied when tuned, e.g.
	// "M_MMAP_THRESHOLD=1073741824"; nil otherwise.
	Settings []string
}

var mallocState struct {
	sync.Mutex
	done    bool
	setting MallocSetting
}

// TuneMalloc applies dskd's allocator setting to the process, unless the
// environment opts out (DSKD_MALLOC=system) or tunes malloc itself, and
// reports the decision. Only the first call in a process acts, at the
// environment of that moment; later calls return its decision. Call it
// before the first tensor, as early as possible: glibc attaches each
// thread to an arena at its first malloc, so threads that allocated
// before it keep their own arenas. engine.Start calls it.
func TuneMalloc() MallocSetting {
	mallocState.Lock()
	defer mallocState.Unlock()
	if !mallocState.done {
		mallocState.setting = tuneMalloc(os.Getenv("DSKD_MALLOC"), os.Environ())
		mallocState.done = true
	}
	return mallocState.setting
}

// mallocTuned reports whether TuneMalloc has run (for tests).
func mallocTuned() bool {
	mallocState.Lock()
	defer mallocState.Unlock()
	return mallocState.done
}

func tuneMalloc(optOut string, env []string) MallocSetting {
	switch {
	case strings.EqualFold(optOut, "system"):
		return MallocSetting{Policy: MallocSystem, Reason: "DSKD_MALLOC=system"}
	case userTunedMalloc(env):
		return MallocSetting{Policy: MallocSystem, Reason: "the environment tunes malloc (MALLOC_* or glibc.malloc tunables)"}
	}
	if C.dskd_tune_malloc(mallocenv.MmapThreshold, mallocenv.TrimThreshold, mallocenv.TopPad, mallocenv.ArenaMax) == 0 {
		return MallocSetting{Policy: MallocSystem, Reason: "not glibc"}
	}
	return MallocSetting{Policy: MallocTuned, Settings: mallocenv.Settings()}
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
