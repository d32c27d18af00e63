package data

import (
	"errors"
	"fmt"
)

// ErrUnsupportedFormat is wrapped by decode errors for files that are not PNG, JPEG or PGM.
var ErrUnsupportedFormat = errors.New("unsupported image format (want PNG, JPEG or PGM P2/P5)")

// errorf builds an error carrying the package prefix "data: ".
func errorf(format string, args ...any) error {
	return fmt.Errorf("data: "+format, args...)
}
