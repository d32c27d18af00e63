package engine

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/sugarme/gotch"
)

// SelfCheckName names the numerical self-check in warnings and errors (and
// in docs/install.md, which explains it).
const SelfCheckName = "conv2d self-check"

// The tolerances of the self-check, as relative errors against the Go
// float64 reference. float32 rounding gives about 1e-6 on this problem; the
// fault it was written for (Debian 13's libtorch 2.6 with 2 threads, as
// reported) gave 0.3 on a conv weight gradient.
const (
	float32Tolerance = 1e-4
	float64Tolerance = 1e-10
)

// SelfCheck is the outcome of the self-check at one thread count.
type SelfCheck struct {
	Threads int `json:"threads"`
	// Float32Error and Float64Error are the largest relative errors, over
	// the network's output and gradients, of libtorch's float32 and float64
	// results against the float64 reference computed in Go.
	Float32Error float64 `json:"float32_error"`
	Float64Error float64 `json:"float64_error"`
	// Worst names the output or gradient with the largest error.
	Worst string `json:"worst"`
	Pass  bool   `json:"pass"`
	// Seconds is how long libtorch took for both dtypes.
	Seconds float64 `json:"seconds"`
}

func (c SelfCheck) String() string {
	verdict := "ok"
	if !c.Pass {
		verdict = "WRONG"
	}
	return fmt.Sprintf("%d thread(s): %s (largest relative error float32 %.1e, float64 %.1e, in the %s; %.0f ms)", c.Threads, verdict, c.Float32Error, c.Float64Error, c.Worst, 1000*c.Seconds)
}

// ThreadChoice is what SetThreadsChecked decided.
type ThreadChoice struct {
	Requested int         `json:"requested"` // the count asked for (0 resolved to all cores)
	Threads   int         `json:"threads"`   // the count in effect
	Checks    []SelfCheck `json:"checks"`    // the checks behind the decision, largest count first
	// Warning is set when fewer threads than requested are used; log it.
	Warning string `json:"warning,omitempty"`
}

// String is the self-check's log line, every count tried, largest first:
//
//	conv2d self-check: 2 thread(s): ok (largest relative error float32 2.1e-07, float64 3.0e-16, in the output; 4 ms)
func (c ThreadChoice) String() string {
	if len(c.Checks) == 0 {
		return SelfCheckName + ": not run"
	}
	parts := make([]string, len(c.Checks))
	for i, ch := range c.Checks {
		parts[i] = ch.String()
	}
	return SelfCheckName + ": " + strings.Join(parts, "; ")
}

// checkRun computes the self-check network on libtorch in one dtype at the
// current thread count; a variable so the policy is testable without a
// faulty libtorch.
var checkRun = convNetOnLibtorch

var selfChecks struct {
	sync.Mutex
	ref  [][]float64
	c    *convCase
	done map[int]SelfCheck // by thread count; libtorch does not change within a process
}

// CheckThreads runs the self-check with n intra-op threads (n >= 1) and
// leaves n in effect. Results are kept for the life of the process. Call
// it on a Worker.
func CheckThreads(n int) (SelfCheck, error) {
	selfChecks.Lock()
	defer selfChecks.Unlock()
	if c, ok := selfChecks.done[n]; ok {
		SetThreads(n)
		return c, nil
	}
	if selfChecks.c == nil {
		selfChecks.c = newConvCase()
		selfChecks.ref = convNetReference(selfChecks.c)
	}
	SetThreads(n)
	res := SelfCheck{Threads: n}
	start := time.Now()
	for _, dt := range []gotch.DType{gotch.Float, gotch.Double} {
		outs, err := checkRun(selfChecks.c, dt)
		if err != nil {
			return SelfCheck{}, fmt.Errorf("engine: %s with %d thread(s): %w", SelfCheckName, n, err)
		}
		for i, want := range selfChecks.ref {
			e := relativeError(outs[i], want)
			if dt == gotch.Float {
				if e > res.Float32Error || e != e { // NaN counts as the worst
					res.Float32Error, res.Worst = e, checkOutputs[i]
				}
			} else if e > res.Float64Error || e != e {
				res.Float64Error = e
			}
		}
	}
	res.Seconds = time.Since(start).Seconds()
	res.Pass = res.Float32Error <= float32Tolerance && res.Float64Error <= float64Tolerance
	if selfChecks.done == nil {
		selfChecks.done = map[int]SelfCheck{}
	}
	selfChecks.done[n] = res
	return res, nil
}

// SetThreadsChecked sets libtorch's intra-op thread count to n (0 = all
// cores) if libtorch computes a small convolutional network and its
// gradients correctly with that many threads (the conv2d self-check,
// milliseconds). If not, it tries n/2, n/4, ... down to 1 and keeps the
// largest count that passes, with a Warning for the caller to log. If even
// one thread gives wrong results it returns an error: such a libtorch cannot
// train. Call it on a Worker.
func SetThreadsChecked(n int) (ThreadChoice, error) {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	choice := ThreadChoice{Requested: n}
	for t := n; ; t /= 2 {
		c, err := CheckThreads(t)
		if err != nil {
			return choice, err
		}
		choice.Checks = append(choice.Checks, c)
		if c.Pass {
			choice.Threads = t
			break
		}
		if t == 1 {
			return choice, fmt.Errorf("engine: %s failed even with 1 thread: %s; this libtorch computes wrong convolutions and cannot train (see docs/install.md for the versions verified)", SelfCheckName, c)
		}
	}
	if choice.Threads != n {
		first := choice.Checks[0]
		choice.Warning = fmt.Sprintf("engine: %s: this libtorch computes wrong convolution results with %d threads (largest relative error %.1e in the %s, against a float64 reference); using %d thread(s) instead (see docs/install.md, \"The conv2d self-check\")",
			SelfCheckName, n, first.Float32Error, first.Worst, choice.Threads)
	}
	return choice, nil
}
