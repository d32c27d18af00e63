package engine

import (
	"fmt"
	"strings"

	"github.com/angioseg/dskd/internal/aten"
)

// Allocator is the process's malloc setting, as TuneAllocator decided it.
type Allocator struct {
	// Policy is "tuned" (dskd's glibc thresholds) or "system" (glibc's
	// defaults, or the user's own MALLOC_* settings).
	Policy string `json:"policy"`
	// Reason says why the policy is "system"; empty when tuned.
	Reason string `json:"reason,omitempty"`
	// Settings are the mallopt parameters applied when tuned.
	Settings []string `json:"settings,omitempty"`
}

// String is the allocator's log line, e.g.
//
//	allocator: tuned (M_MMAP_THRESHOLD=1073741824, M_TRIM_THRESHOLD=2147483647, M_TOP_PAD=268435456, M_ARENA_MAX=1)
//	allocator: system (DSKD_MALLOC=system)
func (a Allocator) String() string {
	why := a.Reason
	if len(a.Settings) > 0 {
		why = strings.Join(a.Settings, ", ")
	}
	if why == "" {
		return "allocator: " + a.Policy
	}
	return fmt.Sprintf("allocator: %s (%s)", a.Policy, why)
}

// TuneAllocator is the first step of Start: it applies dskd's glibc
// malloc setting to the process (freed tensor memory stays in the process
// instead of being unmapped and faulted in again; see docs/speed.md)
// unless DSKD_MALLOC=system or the environment's own MALLOC_* settings opt
// out, and reports the decision. Only the first call in a process acts;
// later ones report it. It may be called from any goroutine; a program
// calls it first thing in main, so that every thread it starts shares one
// arena (Start, later, finds it done).
func TuneAllocator() Allocator {
	m := aten.TuneMalloc()
	return Allocator{Policy: m.Policy, Reason: m.Reason, Settings: m.Settings}
}

// Startup is what Start did, one log line each (Lines).
type Startup struct {
	Allocator Allocator    `json:"allocator"`
	Threads   ThreadChoice `json:"threads"`
}

// Lines are Start's log lines: the allocator, then the self-check (see
// Allocator.String and ThreadChoice.String). Threads.Warning, when set, is
// logged apart as a warning.
func (s Startup) Lines() []string {
	return []string{s.Allocator.String(), s.Threads.String()}
}

// Start is dskd's libtorch start-up, two explicit steps run before the
// first tensor of a model: TuneAllocator (the malloc setting, once per
// process) and SetThreadsChecked(threads) (the conv2d self-check at that
// many intra-op threads, 0 = all cores, falling back to fewer threads if
// libtorch computes wrong convolutions with that many). dskd's trainer,
// its Predictor and the benchmark call it; calling it again is cheap
// (both steps keep their results for the life of the process). The error
// is SetThreadsChecked's: a libtorch wrong even on one thread. Call it on
// a Worker.
func Start(threads int) (Startup, error) {
	st := Startup{Allocator: TuneAllocator()}
	var err error
	st.Threads, err = SetThreadsChecked(threads)
	return st, err
}
