package dskd

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// toTensor turns a flat NCHW float32 slice into a tensor on device.
func toTensor(v []float32, shape []int64, device gotch.Device) (*ts.Tensor, error) {
	n := int64(1)
	for _, s := range shape {
		n *= s
	}
	if int64(len(v)) != n {
		return nil, fmt.Errorf("dskd: %d values for shape %v", len(v), shape)
	}
	flat, err := ts.OfSlice(v)
	if err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	shaped, err := flat.View(shape, true)
	if err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	if device == gotch.CPU {
		return shaped, nil
	}
	return shaped.To(device, true)
}

// toFloat32s copies a float tensor to a Go slice.
func toFloat32s(t *ts.Tensor) ([]float32, error) {
	cpu, err := t.To(gotch.CPU, false)
	if err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	defer cpu.MustDrop()
	flat, err := cpu.Contiguous(false)
	if err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	defer flat.MustDrop()
	v, ok := flat.Vals().([]float32)
	if !ok {
		return nil, fmt.Errorf("dskd: tensor of kind %v, want float32", flat.DType())
	}
	return v, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
