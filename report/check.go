package report

import (
	"errors"
	"fmt"

	"github.com/angioseg/dskd/data"
)

// maxPixels bounds image sizes so that a corrupt W or H cannot make the
// product overflow or ask for absurd allocations.
const maxPixels = 1 << 28

// errorf builds an unprefixed validation error; callers add "report: <file>: ".
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// prefixed returns err as "report: <what>: <err>", keeping it unwrappable.
func prefixed(what string, err error) error { return fmt.Errorf("report: %s: %w", what, err) }

// ErrSize reports inconsistent sizes or lengths in the inputs.
var ErrSize = errors.New("size mismatch")

func checkDims(w, h int) error {
	if w <= 0 || h <= 0 || int64(w)*int64(h) > maxPixels {
		return fmt.Errorf("%w: invalid size %dx%d", ErrSize, w, h)
	}
	return nil
}

func checkImage(name string, im *data.Image) error {
	if err := checkDims(im.W, im.H); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(im.Pix) != im.W*im.H {
		return fmt.Errorf("%w: %s has %d pixels, want %d (%dx%d)", ErrSize, name, len(im.Pix), im.W*im.H, im.W, im.H)
	}
	return nil
}

func checkProbs(probs []float32, w, h int) error {
	if err := checkDims(w, h); err != nil {
		return err
	}
	if len(probs) != w*h {
		return fmt.Errorf("%w: probs has %d values, want %d (%dx%d)", ErrSize, len(probs), w*h, w, h)
	}
	return nil
}
