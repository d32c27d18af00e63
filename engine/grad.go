package engine

import "github.com/angioseg/dskd/internal/aten"

// NoGrad runs fn with gradients off and restores the previous grad mode
// afterwards, even if fn panics (gotch's ts.NoGrad turns gradients back on
// unconditionally and leaves them off after a panic). Call it on a Worker.
func NoGrad(fn func() error) error {
	prev := aten.SetGradEnabled(false)
	defer aten.SetGradEnabled(prev)
	return fn()
}

// SetGradEnabled sets the grad mode of the calling thread and returns the
// previous one. Call it on a Worker.
func SetGradEnabled(on bool) (previous bool) { return aten.SetGradEnabled(on) }

// GradEnabled reports the grad mode of the calling thread.
func GradEnabled() bool { return aten.GradEnabled() }
