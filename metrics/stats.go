package metrics

import (
	"math"
	"sort"
)

// MeanStd returns the mean and the sample standard deviation (n-1 in the
// denominator) of the non-NaN values, and how many there were. Mean is
// NaN for n = 0, std is NaN for n < 2. Per-image summaries use it, and
// so do studies over runs.
func MeanStd(xs []float64) (mean, std float64, n int) {
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

// Median returns the middle value of v, or the mean of the two middle
// values when there is an even number of them; 0 for an empty v. v is not
// changed. NaN values are not left out (they sort first); the timings
// and sizes the benchmarks summarise have none.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
