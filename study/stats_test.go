package study

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeanStdOfHandComputed(t *testing.T) {
	m := meanStdOf([]float64{0.7, 0.8, 0.9, math.NaN()})
	assert.Equal(t, 3, m.N, "NaN is left out")
	assert.InDelta(t, 0.8, m.Mean, 1e-15)
	assert.InDelta(t, 0.1, m.Std, 1e-15, "sample std: sqrt((0.01+0+0.01)/2)")

	m = meanStdOf([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	assert.Equal(t, 5.0, m.Mean)
	assert.InDelta(t, math.Sqrt(32.0/7), m.Std, 1e-15)

	one := meanStdOf([]float64{0.5})
	assert.Equal(t, 0.5, one.Mean)
	assert.True(t, math.IsNaN(one.Std), "no std from one value")
	none := meanStdOf(nil)
	assert.True(t, math.IsNaN(none.Mean))
	assert.Equal(t, 0, none.N)
}

func TestPercentileIntervalRanks(t *testing.T) {
	sorted := make([]float64, 10000)
	for i := range sorted {
		sorted[i] = float64(i)
	}
	lo, hi := percentileInterval(sorted, 0.95)
	assert.Equal(t, 250.0, lo, "250 values below")
	assert.Equal(t, 9749.0, hi, "250 values above")

	lo, hi = percentileInterval([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
		21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40}, 0.95)
	assert.Equal(t, 2.0, lo, "floor(0.025*40) = 1 value below")
	assert.Equal(t, 39.0, hi)
	lo, hi = percentileInterval([]float64{3}, 0.95)
	assert.Equal(t, [2]float64{3, 3}, [2]float64{lo, hi})
}

// The statistic of one resample: the mean of every value of the drawn
// groups (a group is a fold's pairs, drawn whole).
func TestBootstrapMeansOfScriptedDraws(t *testing.T) {
	groups := [][]float64{{0, 0, 0}, {3}}
	script := []int{0, 1, 1, 1, 0, 0, 1, 0}
	k := 0
	draw := func(n int) int {
		require.Equal(t, 2, n)
		k++
		return script[k-1]
	}
	got := bootstrapMeans(groups, 4, draw)
	// draws (0,1): 3/4; (1,1): 6/2; (0,0): 0/6; (1,0): 3/4 — sorted.
	assert.Equal(t, []float64{0, 0.75, 0.75, 3}, got)
}

// With differences {0, 0, 3} resampled as single pairs, the resampled mean
// is k (the number of 3s drawn, Binomial(3, 1/3)): P(0) = 8/27,
// P(3) = 1/27 = 0.037. Both ends hold more than 2.5 % of the mass, so the
// 95 % interval is [0, 3] for any seed; the point estimate is 1.
func TestCompareHandComputedInterval(t *testing.T) {
	diffs := []pairedDifference{{fold: 0, d: 0}, {fold: 0, d: 0}, {fold: 0, d: 3}}
	c := compare(diffs, 10000, 1)
	assert.Equal(t, "pair", c.Unit, "one fold: pairs are resampled")
	assert.Equal(t, 1.0, c.Mean)
	assert.Equal(t, 0.0, c.Lo)
	assert.Equal(t, 3.0, c.Hi)
	assert.Equal(t, [3]int{1, 0, 2}, [3]int{c.Wins, c.Losses, c.Ties})
	assert.Equal(t, 3, c.Pairs)

	// Three folds of two pairs each, fold means 0, 0 and 3: the fold-level
	// bootstrap has the same distribution.
	diffs = []pairedDifference{{0, 0.5}, {0, -0.5}, {1, 0}, {1, 0}, {2, 3}, {2, 3}}
	c = compare(diffs, 10000, 7)
	assert.Equal(t, "fold", c.Unit)
	assert.Equal(t, 1.0, c.Mean)
	assert.Equal(t, [2]float64{0, 3}, [2]float64{c.Lo, c.Hi})
	assert.Equal(t, [3]int{3, 1, 2}, [3]int{c.Wins, c.Losses, c.Ties})

	// A constant difference has a zero-width interval at that value.
	c = compare([]pairedDifference{{0, 0.02}, {1, 0.02}, {2, 0.02}}, 1000, 3)
	assert.InDelta(t, 0.02, c.Lo, 1e-15)
	assert.InDelta(t, 0.02, c.Hi, 1e-15)

	single := compare([]pairedDifference{{2, 0.03}}, 1000, 1)
	assert.Equal(t, 0.03, single.Mean)
	assert.True(t, math.IsNaN(single.Lo) && math.IsNaN(single.Hi), "no interval from one pair")

	none := compare(nil, 1000, 1)
	assert.Equal(t, 0, none.Pairs)
	assert.True(t, math.IsNaN(none.Mean) && math.IsNaN(none.Lo))
}

// Same seed, same interval; another seed moves it (the bootstrap is
// seeded, not a fixed table).
func TestCompareIsSeeded(t *testing.T) {
	diffs := []pairedDifference{{0, 0.011}, {1, -0.004}, {2, 0.027}, {3, 0.009}, {4, -0.013}, {0, 0.02}, {1, 0.001}}
	a, b := compare(diffs, 2000, 5), compare(diffs, 2000, 5)
	assert.Equal(t, a, b)
	c := compare(diffs, 2000, 6)
	assert.NotEqual(t, [2]float64{a.Lo, a.Hi}, [2]float64{c.Lo, c.Hi})
	assert.Less(t, a.Lo, a.Mean)
	assert.Greater(t, a.Hi, a.Mean)
}
