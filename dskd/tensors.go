package dskd

import (
	"math"

	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/internal/aten"
)

// input turns a flat NCHW float32 slice into a tensor on device, owned by s.
func input(s *aten.Scope, v []float32, shape []int64, device gotch.Device) *aten.Tensor {
	x := s.FromFloat32s(v, shape...)
	if device != gotch.CPU {
		x = s.ToDevice(x, device)
	}
	return x
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
