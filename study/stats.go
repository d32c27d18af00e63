package study

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/angioseg/dskd/metrics"
)

// MeanStd summarises values over runs; NaN values are left out.
type MeanStd struct {
	Mean float64 // NaN without values
	Std  float64 // sample standard deviation (n-1); NaN below two values
	N    int
}

func meanStdOf(xs []float64) MeanStd {
	mean, std, n := metrics.MeanStd(xs)
	return MeanStd{Mean: mean, Std: std, N: n}
}

// BootstrapLevel is the coverage of the paired intervals.
const BootstrapLevel = 0.95

// Comparison is an arm against its baseline on one score, over the pairs
// of runs that share fold and seed.
type Comparison struct {
	Arm, Baseline string
	Score         string // a score key of Row.Score
	Pairs         int
	// Mean is the mean of arm − baseline over the pairs; Lo and Hi bound
	// its 95 % percentile bootstrap interval (NaN with a single pair).
	Mean, Lo, Hi       float64
	Wins, Losses, Ties int // pairs where the arm is above, below, equal
	// Unit is what the bootstrap resamples: "fold" (all pairs of a fold
	// together, since they share held-out images) when the pairs span two
	// folds or more, else "pair".
	Unit      string
	Resamples int
	Seed      int64
}

// pairedDifference is one arm − baseline difference and its fold.
type pairedDifference struct {
	fold int
	d    float64
}

// compare summarises paired differences with a seeded bootstrap.
func compare(diffs []pairedDifference, resamples int, seed int64) Comparison {
	c := Comparison{Pairs: len(diffs), Resamples: resamples, Seed: seed, Mean: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	if len(diffs) == 0 {
		return c
	}
	var all []float64
	byFold := map[int][]float64{}
	var folds []int
	for _, p := range diffs {
		switch {
		case p.d > 0:
			c.Wins++
		case p.d < 0:
			c.Losses++
		default:
			c.Ties++
		}
		all = append(all, p.d)
		if _, ok := byFold[p.fold]; !ok {
			folds = append(folds, p.fold)
		}
		byFold[p.fold] = append(byFold[p.fold], p.d)
	}
	c.Mean = meanStdOf(all).Mean
	var groups [][]float64
	if len(folds) >= 2 {
		c.Unit = "fold"
		sort.Ints(folds)
		for _, f := range folds {
			groups = append(groups, byFold[f])
		}
	} else {
		c.Unit = "pair"
		for _, d := range all {
			groups = append(groups, []float64{d})
		}
	}
	if len(groups) < 2 {
		return c // one unit: resampling it says nothing about the spread
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x626f6f74)) // "boot"
	means := bootstrapMeans(groups, resamples, rng.IntN)
	c.Lo, c.Hi = percentileInterval(means, BootstrapLevel)
	return c
}

// bootstrapMeans draws resamples of len(groups) groups with replacement
// (draw(n) returns an index in [0, n)) and returns, sorted, the mean of
// all values of the drawn groups of each resample.
func bootstrapMeans(groups [][]float64, resamples int, draw func(n int) int) []float64 {
	means := make([]float64, resamples)
	for b := range means {
		var sum float64
		n := 0
		for range groups {
			g := groups[draw(len(groups))]
			for _, x := range g {
				sum += x
			}
			n += len(g)
		}
		means[b] = sum / float64(n)
	}
	sort.Float64s(means)
	return means
}

// percentileInterval returns the central interval of sorted values at
// level: with B values and k = floor((1-level)/2·B), the values of 0-based
// ranks k and B-1-k, so that k values lie below it and k above (B = 10000,
// level 0.95: ranks 250 and 9749).
func percentileInterval(sorted []float64, level float64) (lo, hi float64) {
	b := len(sorted)
	if b == 0 {
		return math.NaN(), math.NaN()
	}
	k := int(math.Floor((1-level)/2*float64(b) + 1e-9)) // 1e-9: 0.05/2 is not exact in binary
	k = min(k, (b-1)/2)
	return sorted[k], sorted[b-1-k]
}
