package metrics

import (
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bruteAUC counts all positive/negative pairs: win 1, tie 1/2.
func bruteAUC(probs, mask, fov []float32) float64 {
	var wins float64
	var np, nn int
	for i := range probs {
		if fov != nil && !maskOn(fov[i]) || !maskOn(mask[i]) {
			continue
		}
		np++
		for j := range probs {
			if fov != nil && !maskOn(fov[j]) || maskOn(mask[j]) {
				continue
			}
			switch {
			case probs[i] > probs[j]:
				wins++
			case probs[i] == probs[j]:
				wins += 0.5
			}
		}
	}
	for j := range probs {
		if (fov == nil || maskOn(fov[j])) && !maskOn(mask[j]) {
			nn++
		}
	}
	if np == 0 || nn == 0 {
		return math.NaN()
	}
	return wins / float64(np) / float64(nn)
}

func TestAUCHandMade(t *testing.T) {
	// positives {0.9, 0.4}, negatives {0.4, 0.1, 0.3}.
	// 0.9 beats all 3 -> 3; 0.4 ties 0.4 (1/2), beats 0.1 and 0.3 -> 2.5.
	// AUC = 5.5 / (2*3) = 11/12.
	probs := []float32{0.9, 0.4, 0.4, 0.1, 0.3}
	mask := []float32{1, 1, 0, 0, 0}
	a, err := AUC(probs, mask, nil)
	require.NoError(t, err)
	assert.InDelta(t, 11.0/12, a, eps)

	// Perfect separation -> 1, perfectly inverted -> 0, all equal -> 1/2.
	a, _ = AUC([]float32{0.8, 0.7, 0.2}, []float32{1, 1, 0}, nil)
	assert.Equal(t, 1.0, a)
	a, _ = AUC([]float32{0.1, 0.7, 0.9}, []float32{1, 0, 0}, nil)
	assert.Equal(t, 0.0, a)
	a, _ = AUC([]float32{0.5, 0.5, 0.5, 0.5}, []float32{1, 0, 1, 0}, nil)
	assert.Equal(t, 0.5, a)

	// FOV drops the negative 0.4: AUC = (2 + 2)/(2*2) = 1.
	a, _ = AUC(probs, mask, []float32{1, 1, 0, 1, 1})
	assert.Equal(t, 1.0, a)

	// -0 and +0 tie: positive -0 vs negative +0 -> 1/2.
	a, _ = AUC([]float32{float32(math.Copysign(0, -1)), 0}, []float32{1, 0}, nil)
	assert.Equal(t, 0.5, a)
}

func TestAUCOneClassIsNaN(t *testing.T) {
	a, err := AUC([]float32{0.1, 0.9}, []float32{0, 0}, nil)
	require.NoError(t, err)
	assert.True(t, math.IsNaN(a), "no vessel pixel")
	a, _ = AUC([]float32{0.1, 0.9}, []float32{1, 1}, nil)
	assert.True(t, math.IsNaN(a), "all vessel")
	a, _ = AUC(nil, nil, nil)
	assert.True(t, math.IsNaN(a), "empty")
}

func TestAUCErrors(t *testing.T) {
	_, err := AUC([]float32{1}, []float32{1, 0}, nil)
	assert.EqualError(t, err, "metrics: probs has 1 pixels but mask has 2")
	_, err = AUC([]float32{float32NaN()}, []float32{1}, nil)
	assert.EqualError(t, err, "metrics: probs[0] is NaN")
	// NaN outside the FOV is ignored.
	_, err = AUC([]float32{float32NaN(), 1}, []float32{1, 0}, []float32{0, 1})
	assert.NoError(t, err)
}

func TestAUCMatchesBruteForce(t *testing.T) {
	for seed := int64(0); seed < 300; seed++ {
		r := rand.New(rand.NewSource(seed))
		n := 1 + r.Intn(60)
		levels := 1 + r.Intn(8) // few levels -> many ties
		probs := make([]float32, n)
		mask := make([]float32, n)
		var fov []float32
		if seed%3 == 0 {
			fov = make([]float32, n)
		}
		for i := range probs {
			if seed%2 == 0 {
				probs[i] = float32(r.Intn(levels)) / float32(levels)
			} else {
				probs[i] = r.Float32()*2 - 0.5 // also negatives and > 1
			}
			if r.Float64() < 0.4 {
				mask[i] = 1
			}
			if fov != nil && r.Float64() < 0.8 {
				fov[i] = 1
			}
		}
		got, err := AUC(probs, mask, fov)
		require.NoError(t, err)
		want := bruteAUC(probs, mask, fov)
		if math.IsNaN(want) {
			assert.True(t, math.IsNaN(got), "seed %d", seed)
			continue
		}
		assert.InDelta(t, want, got, 1e-12, "seed %d", seed)
	}
}

func TestSortFloat32(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	xs := make([]float32, 1000)
	for i := range xs {
		xs[i] = float32(r.NormFloat64() * 1e3)
	}
	xs[0], xs[1] = float32(math.Inf(1)), float32(math.Inf(-1))
	want := append([]float32(nil), xs...)
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	sortFloat32(xs)
	assert.Equal(t, want, xs)
}

func TestROCHistogram(t *testing.T) {
	// 4 bins over [0,1]. positives 0.9 (bin 3), 0.3 (bin 1);
	// negatives 0.1 (bin 0), 0.35 (bin 1), 0.6 (bin 2).
	// Exact: 0.9 beats 3; 0.3 beats 0.1 only -> 4/6.
	// Histogram: 0.9 -> 3; 0.3 beats bin 0 (1) and ties bin 1 (1/2) -> 4.5/6.
	// Bound: one same-bin pair -> 0.5*1/6 = 1/12, and |4.5/6-4/6| = 1/12.
	h, err := NewROCHistogram(4)
	require.NoError(t, err)
	require.NoError(t, h.Add([]float32{0.9, 0.3, 0.1, 0.35, 0.6}, []float32{1, 1, 0, 0, 0}, nil))
	a, bound := h.AUC()
	assert.InDelta(t, 0.75, a, eps)
	assert.InDelta(t, 1.0/12, bound, eps)

	// Out of range values clamp: +Inf -> last bin, -1 -> first bin.
	h, _ = NewROCHistogram(4)
	require.NoError(t, h.Add([]float32{float32(math.Inf(1)), -1}, []float32{1, 0}, nil))
	a, bound = h.AUC()
	assert.Equal(t, 1.0, a)
	assert.Equal(t, 0.0, bound)

	_, err = NewROCHistogram(0)
	assert.EqualError(t, err, "metrics: histogram needs at least 1 bin, got 0")
	h, _ = NewROCHistogram(2)
	a, _ = h.AUC()
	assert.True(t, math.IsNaN(a))
	assert.EqualError(t, h.Add([]float32{float32NaN()}, []float32{1}, nil), "metrics: probs[0] is NaN")
}

func TestROCHistogramWithinBound(t *testing.T) {
	for seed := int64(0); seed < 50; seed++ {
		r := rand.New(rand.NewSource(seed))
		n := 200
		probs := make([]float32, n)
		mask := make([]float32, n)
		for i := range probs {
			if r.Float64() < 0.3 {
				mask[i] = 1
				probs[i] = float32(math.Min(1, r.Float64()+0.2))
			} else {
				probs[i] = float32(r.Float64() * 0.9)
			}
		}
		h, _ := NewROCHistogram(16)
		require.NoError(t, h.Add(probs, mask, nil))
		est, bound := h.AUC()
		exact, _ := AUC(probs, mask, nil)
		assert.LessOrEqual(t, math.Abs(est-exact), bound+1e-12, "seed %d", seed)
	}
}
