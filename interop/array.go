package interop

import (
	"errors"
	"fmt"
	"math"
)

// Array is one named tensor as plain Go data: float32 values in row-major
// (C) order, len(Data) = the product of Shape (1 for a scalar, Shape nil).
type Array struct {
	Name  string
	Shape []int64
	Data  []float32
}

// maxElements bounds the element count of one array read from a file, so a
// corrupt header cannot ask for an absurd allocation (2^34 floats = 64 GiB).
const maxElements = 1 << 34

// numel returns the element count of shape, or an error for a negative or
// overflowing dimension.
func numel(shape []int64) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d > 0 && n > maxElements/d {
			return 0, fmt.Errorf("shape %v has more than 2^34 elements", shape)
		}
		n *= d
	}
	return n, nil
}

// Validate checks the name and that Data holds exactly the elements Shape
// asks for.
func (a Array) Validate() error {
	if a.Name == "" {
		return errors.New("interop: array with an empty name")
	}
	n, err := numel(a.Shape)
	if err != nil {
		return fmt.Errorf("interop: array %q: %w", a.Name, err)
	}
	if int64(len(a.Data)) != n {
		return fmt.Errorf("interop: array %q: %d values for shape %v (want %d)", a.Name, len(a.Data), a.Shape, n)
	}
	return nil
}

// Equal reports whether a and b have the same name, shape and bit-identical
// values (NaNs with the same payload compare equal).
func (a Array) Equal(b Array) bool {
	if a.Name != b.Name || !sameShape(a.Shape, b.Shape) || len(a.Data) != len(b.Data) {
		return false
	}
	for i, v := range a.Data {
		if math.Float32bits(v) != math.Float32bits(b.Data[i]) {
			return false
		}
	}
	return true
}

func sameShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
