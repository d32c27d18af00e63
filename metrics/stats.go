package metrics

import "math"

// meanStd returns the mean and the sample standard deviation (n-1 in the
// denominator) of the non-NaN values, and how many there were. Mean is
// NaN for n = 0, std is NaN for n < 2.
func meanStd(xs []float64) (mean, std float64, n int) {
	var sum float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			sum += x
			n++
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	mean = sum / float64(n)
	if n < 2 {
		return mean, math.NaN(), n
	}
	var ss float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			d := x - mean
			ss += d * d
		}
	}
	return mean, math.Sqrt(ss / float64(n-1)), n
}
