package engine

/*
int at_grad_set_enabled(int b);
*/
import "C"

// setGradEnabled switches grad mode on the calling OS thread and returns the
// previous mode. gotch's ts.GradSetEnabled reads the C int result through an
// 8-byte Go int, so its "previous state" is garbage; this calls the same C
// function directly.
func setGradEnabled(on bool) bool {
	b := 0
	if on {
		b = 1
	}
	return C.at_grad_set_enabled(C.int(b)) == 1
}

// NoGrad runs fn with gradients off and restores the previous grad mode
// afterwards, even if fn panics (gotch's ts.NoGrad turns gradients back on
// unconditionally and leaves them off after a panic). Call it on a Worker.
func NoGrad(fn func() error) error {
	prev := setGradEnabled(false)
	defer setGradEnabled(prev)
	return fn()
}

// SetGradEnabled sets the grad mode of the calling thread and returns the
// previous one. Call it on a Worker.
func SetGradEnabled(on bool) (previous bool) { return setGradEnabled(on) }

// GradEnabled reports the grad mode of the calling thread.
func GradEnabled() bool {
	prev := setGradEnabled(true)
	setGradEnabled(prev)
	return prev
}
