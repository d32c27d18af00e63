package metrics

import "math"

func float32NaN() float32 { return float32(math.NaN()) }

const eps = 1e-12
