package metrics

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// threeImages: 1x4 images worked by hand (threshold 0.5, ZeroDivOne).
//
//	A probs .9 .8 .1 .2 mask 1 1 0 0 -> TP2 TN2: all scores 1, AUC 1
//	B probs .9 .3 .6 .2 mask 1 1 0 0 -> TP1 FN1 FP1 TN1: Dice 2/4=.5,
//	  IoU 1/3, Acc=Sens=Spec=Prec=.5; AUC: .9 beats 2, .3 beats .2 -> 3/4
//	C probs .1 .2 .3 .4 mask 0 0 0 0 -> TN4: all 0/0 ratios -> 1, AUC NaN
func threeImages(t *testing.T, opts ...Option) Result {
	a, err := NewAccumulator(opts...)
	require.NoError(t, err)
	require.NoError(t, a.Add("A", []float32{.9, .8, .1, .2}, []float32{1, 1, 0, 0}, 1, 4))
	require.NoError(t, a.Add("B", []float32{.9, .3, .6, .2}, []float32{1, 1, 0, 0}, 1, 4))
	require.NoError(t, a.Add("C", []float32{.1, .2, .3, .4}, []float32{0, 0, 0, 0}, 1, 4))
	assert.Equal(t, 3, a.Len())
	return a.Result()
}

func TestAccumulatorThreeImagesByHand(t *testing.T) {
	r := threeImages(t)
	require.Len(t, r.Images, 3)
	assert.Equal(t, Confusion{TP: 1, FP: 1, TN: 1, FN: 1}, r.Images[1].Counts)
	assert.InDelta(t, 0.75, r.Images[1].AUC, eps)
	assert.True(t, math.IsNaN(r.Images[2].AUC))

	get := func(m Metric) Summary { s, ok := r.Get(m); require.True(t, ok); return s }

	// Dice per image 1, .5, 1: mean 5/6; deviations 1/6, -1/3, 1/6;
	// squares sum 6/36 = 1/6; sample var = (1/6)/2 = 1/12; std = sqrt(1/12).
	d := get(MetricDice)
	assert.InDelta(t, 5.0/6, d.Mean, eps)
	assert.InDelta(t, math.Sqrt(1.0/12), d.Std, eps)
	assert.Equal(t, 3, d.N)
	// IoU 1, 1/3, 1: mean 7/9; deviations 2/9, -4/9, 2/9 -> 24/81;
	// var 12/81; std = sqrt(12)/9.
	iou := get(MetricIoU)
	assert.InDelta(t, 7.0/9, iou.Mean, eps)
	assert.InDelta(t, math.Sqrt(12)/9, iou.Std, eps)
	// AUC: C is NaN and skipped: mean of 1 and .75 = .875,
	// std = sqrt(2·.125²/1) = sqrt(2)/8, n = 2.
	auc := get(MetricAUC)
	assert.InDelta(t, 0.875, auc.Mean, eps)
	assert.InDelta(t, math.Sqrt2/8, auc.Std, eps)
	assert.Equal(t, 2, auc.N)

	// Pooled counts TP3 FP1 TN7 FN1: Dice 6/8, IoU 3/5, Acc 10/12,
	// Sens 3/4, Spec 7/8, Prec 3/4.
	assert.Equal(t, Confusion{TP: 3, FP: 1, TN: 7, FN: 1}, r.Pooled)
	assert.InDelta(t, 0.75, d.Pooled, eps)
	assert.InDelta(t, 0.6, iou.Pooled, eps)
	assert.InDelta(t, 10.0/12, get(MetricAccuracy).Pooled, eps)
	assert.InDelta(t, 0.75, get(MetricSensitivity).Pooled, eps)
	assert.InDelta(t, 7.0/8, get(MetricSpecificity).Pooled, eps)
	assert.InDelta(t, 0.75, get(MetricPrecision).Pooled, eps)
	// Pooled AUC: pos {.9,.8,.9,.3}, 8 negatives {.1,.2,.6,.2,.1,.2,.3,.4}.
	// .9, .8, .9 beat all 8 -> 24; .3 beats 5 and ties 1 -> 5.5.
	// AUC = 29.5/32.
	assert.InDelta(t, 29.5/32, auc.Pooled, eps)

	// clDice (1-px rows): A pred = label = 2-px segment -> 1.
	// B pred {0,2} (two isolated pixels, B=0), label {0,1}: Tprec = 1/2
	// (pixel 2 outside label), Tsens = 1/2 -> clDice 1/2. C empty -> 1.
	// Mean 5/6. Pooled: |S(P)|=4, 3 in label; |S(L)|=4, 3 in pred -> 3/4.
	cl := get(MetricClDice)
	assert.InDelta(t, 0.5, r.Images[1].ClDice, eps)
	assert.InDelta(t, 5.0/6, cl.Mean, eps)
	assert.InDelta(t, 0.75, cl.Pooled, eps)
	assert.Equal(t, ClDiceCounts{4, 3, 4, 3}, r.PooledClDice)
}

func TestAccumulatorZeroDivNaNSkipsEmptyImage(t *testing.T) {
	// With ZeroDivNaN, image C's Dice is NaN and is skipped:
	// mean of 1 and .5 = .75, n = 2; std = sqrt(2·.25²) = sqrt(.125).
	r := threeImages(t, WithZeroDivision(ZeroDivNaN))
	d, _ := r.Get(MetricDice)
	assert.InDelta(t, 0.75, d.Mean, eps)
	assert.InDelta(t, math.Sqrt(0.125), d.Std, eps)
	assert.Equal(t, 2, d.N)
	assert.InDelta(t, 0.75, d.Pooled, eps) // pooled counts are unchanged
}

func randomImage(r *rand.Rand, n int) (probs, mask, fov []float32) {
	probs, mask, fov = make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range probs {
		probs[i] = float32(r.Intn(20)) / 19 // ties
		if r.Float64() < 0.3 {
			mask[i] = 1
		}
		if r.Float64() < 0.9 {
			fov[i] = 1
		}
	}
	return
}

func TestAccumulatorPooledEqualsConcatenation(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	a, err := NewAccumulator(WithThreshold(0.4))
	require.NoError(t, err)
	var P, M, F []float32
	for k := 0; k < 5; k++ {
		h, w := 3+r.Intn(6), 3+r.Intn(6)
		p, m, f := randomImage(r, h*w)
		require.NoError(t, a.AddFOV("img", p, m, f, h, w))
		P, M, F = append(P, p...), append(M, m...), append(F, f...)
	}
	res := a.Result()
	c, err := Count(P, M, F, 0.4)
	require.NoError(t, err)
	assert.Equal(t, c, res.Pooled)
	want := c.Scores(ZeroDivOne)
	for m, v := range map[Metric]float64{MetricDice: want.Dice, MetricIoU: want.IoU,
		MetricAccuracy: want.Accuracy, MetricSensitivity: want.Sensitivity,
		MetricSpecificity: want.Specificity, MetricPrecision: want.Precision} {
		s, _ := res.Get(m)
		assert.InDelta(t, v, s.Pooled, eps, string(m))
	}
	wantAUC, _ := AUC(P, M, F)
	s, _ := res.Get(MetricAUC)
	assert.InDelta(t, wantAUC, s.Pooled, eps)
	assert.InDelta(t, bruteAUC(P, M, F), s.Pooled, 1e-12)
	assert.Equal(t, "exact", res.AUCMethod)

	// Result can be called again, and more images can be added after.
	assert.Equal(t, res.Summary, a.Result().Summary)
}

func TestAccumulatorHistogramAUC(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	exact, _ := NewAccumulator()
	hist, err := NewAccumulator(WithAUCHistogram(DefaultHistogramBins), WithClDice(false))
	require.NoError(t, err)
	for k := 0; k < 4; k++ {
		p, m, _ := randomImage(r, 64)
		require.NoError(t, exact.Add("x", p, m, 8, 8))
		require.NoError(t, hist.Add("x", p, m, 8, 8))
	}
	re, rh := exact.Result(), hist.Result()
	se, _ := re.Get(MetricAUC)
	sh, _ := rh.Get(MetricAUC)
	assert.Equal(t, "histogram-65536", rh.AUCMethod)
	// Scores are k/19: distinct values never share one of 65536 bins,
	// so the histogram is exact here and the bound covers only true ties.
	assert.LessOrEqual(t, math.Abs(se.Pooled-sh.Pooled), rh.AUCErrorBound+1e-12)
	assert.InDelta(t, se.Pooled, sh.Pooled, 1e-12)
	cl, _ := rh.Get(MetricClDice)
	assert.True(t, math.IsNaN(cl.Pooled))
	assert.Equal(t, 0, cl.N)
}

func TestAccumulatorFOV(t *testing.T) {
	// 1x4 image; the FOV hides pixel 2 (an FP, p=.7 on background) and
	// pixel 3 (an FN). Inside: TP1 TN1 -> Dice 1, AUC 1.
	a, _ := NewAccumulator()
	require.NoError(t, a.AddFOV("fov", []float32{.9, .1, .7, .2}, []float32{1, 0, 0, 1}, []float32{1, 1, 0, 0}, 1, 4))
	r := a.Result()
	assert.Equal(t, Confusion{TP: 1, TN: 1}, r.Pooled)
	assert.Equal(t, 1.0, r.Images[0].Scores.Dice)
	assert.Equal(t, 1.0, r.Images[0].AUC)
	assert.Equal(t, 1.0, r.Images[0].ClDice)
}

func TestAccumulatorErrors(t *testing.T) {
	a, _ := NewAccumulator()
	err := a.Add("bad", []float32{1, 0}, []float32{1}, 1, 2)
	assert.EqualError(t, err, `metrics: probs has 2 pixels but mask has 1 (image "bad")`)
	err = a.Add("shape", []float32{1, 0}, []float32{1, 0}, 2, 2)
	assert.EqualError(t, err, `metrics: shape 2x2 = 4 pixels but probs has 2 (image "shape")`)
	err = a.AddFOV("fov", []float32{1, 0}, []float32{1, 0}, []float32{1}, 1, 2)
	assert.EqualError(t, err, `metrics: probs has 2 pixels but fov has 1 (image "fov")`)
	err = a.Add("nan", []float32{1, float32NaN()}, []float32{1, 0}, 1, 2)
	assert.EqualError(t, err, `metrics: probs[1] is NaN (image "nan")`)
	assert.Equal(t, 0, a.Len(), "failed adds record nothing")
	r := a.Result()
	d, _ := r.Get(MetricDice)
	assert.True(t, math.IsNaN(d.Mean))
	assert.Equal(t, 0, d.N)

	_, err = NewAccumulator(WithThreshold(float32NaN()))
	assert.EqualError(t, err, "metrics: threshold is NaN")
	_, err = NewAccumulator(WithZeroDivision(9))
	assert.EqualError(t, err, "metrics: unknown zero-division policy 9")
	_, err = NewAccumulator(WithAUCHistogram(0))
	assert.Error(t, err)
}

func TestMeanStd(t *testing.T) {
	// 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum 32,
	// sample var 32/7.
	m, s, n := MeanStd([]float64{2, 4, 4, 4, 5, 5, 7, 9, math.NaN()})
	assert.Equal(t, 5.0, m)
	assert.InDelta(t, math.Sqrt(32.0/7), s, eps)
	assert.Equal(t, 8, n)
	m, s, n = MeanStd([]float64{3})
	assert.Equal(t, 3.0, m)
	assert.True(t, math.IsNaN(s))
	assert.Equal(t, 1, n)
	m, s, n = MeanStd([]float64{math.NaN()})
	assert.True(t, math.IsNaN(m))
	assert.True(t, math.IsNaN(s))
	assert.Equal(t, 0, n)
	// The deviations are summed in input order, each squared once: the
	// exact float64 result, not just a close one.
	xs := []float64{0.1, 0.7, 0.2, 0.9}
	m, s, _ = MeanStd(xs)
	var sum, ss float64
	for _, x := range xs {
		sum += x
	}
	for _, x := range xs {
		d := x - sum/4
		ss += d * d
	}
	assert.Equal(t, sum/4, m)
	assert.Equal(t, math.Sqrt(ss/3), s)
}

func TestMedian(t *testing.T) {
	assert.Equal(t, 0.0, Median(nil))
	assert.Equal(t, 3.0, Median([]float64{3}))
	v := []float64{5, 1, 4}
	assert.Equal(t, 4.0, Median(v))
	assert.Equal(t, []float64{5, 1, 4}, v, "the input is not sorted in place")
	assert.Equal(t, 2.5, Median([]float64{4, 1, 3, 2}), "even count: the mean of the middle two")
	lo, hi := 0.1, 0.2
	assert.Equal(t, (lo+hi)/2, Median([]float64{0.9, hi, lo, 0.3}[1:3]), "float64 arithmetic, lower + upper")
}
