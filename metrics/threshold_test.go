package metrics

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSelectThresholdKnownBest(t *testing.T) {
	// probs .9 .7 .6 .4 .2, mask 1 1 0 1 0.
	// t=.3:  pred 1 1 1 1 0 -> TP3 FP1 FN0 -> Dice 6/7 (best)
	// t=.5:  pred 1 1 1 0 0 -> TP2 FP1 FN1 -> 4/6
	// t=.65: pred 1 1 0 0 0 -> TP2 FP0 FN1 -> 4/5
	// t=.8:  pred 1 0 0 0 0 -> TP1 FN2     -> 2/3
	probs := [][]float32{{.9, .7, .6, .4, .2}}
	masks := [][]float32{{1, 1, 0, 1, 0}}
	cands := []float32{.8, .5, .3, .65} // order does not matter
	th, score, err := SelectThresholdOnValidation(probs, masks, ThresholdSearch{Candidates: cands})
	require.NoError(t, err)
	assert.Equal(t, float32(.3), th)
	assert.InDelta(t, 6.0/7, score, eps)

	// Precision is 1 at both .65 and .8 -> the tie goes to the lower, .65.
	th, score, err = SelectThresholdOnValidation(probs, masks, ThresholdSearch{Metric: MetricPrecision, Candidates: cands})
	require.NoError(t, err)
	assert.Equal(t, float32(.65), th)
	assert.Equal(t, 1.0, score)

	// FOV hiding pixel 2 (the .6 background): at .5 TP2 FN1 FP0 -> 4/5,
	// at .3 TP3 FP0 -> Dice 1 (best).
	th, score, err = SelectThresholdOnValidation(probs, masks, ThresholdSearch{
		Candidates: cands, FOVs: [][]float32{{1, 1, 0, 1, 1}}})
	require.NoError(t, err)
	assert.Equal(t, float32(.3), th)
	assert.Equal(t, 1.0, score)
}

func TestSelectThresholdPooledVsPerImage(t *testing.T) {
	// img1 probs .6 x4, all vessel; img2 and img3 probs .6 .1, no vessel.
	// t=.5: img1 TP4 -> 1; img2/3 FP1 TN1 -> Dice 0. Mean 1/3.
	//       pooled TP4 FP2 -> 8/10 = .8
	// t=.7: img1 FN4 -> 0; img2/3 TN2 -> 0/0 -> 1. Mean 2/3.
	//       pooled FN4 -> 0
	probs := [][]float32{{.6, .6, .6, .6}, {.6, .1}, {.6, .1}}
	masks := [][]float32{{1, 1, 1, 1}, {0, 0}, {0, 0}}
	cands := []float32{.5, .7}
	th, score, err := SelectThresholdOnValidation(probs, masks, ThresholdSearch{Candidates: cands})
	require.NoError(t, err)
	assert.Equal(t, float32(.5), th)
	assert.InDelta(t, 0.8, score, eps)
	th, score, err = SelectThresholdOnValidation(probs, masks, ThresholdSearch{Candidates: cands, PerImageMean: true})
	require.NoError(t, err)
	assert.Equal(t, float32(.7), th)
	assert.InDelta(t, 2.0/3, score, eps)
	// With ZeroDivNaN the empty images are skipped at .7: mean over img1
	// only = 0, so .5 (mean 1/3) wins.
	th, score, err = SelectThresholdOnValidation(probs, masks, ThresholdSearch{Candidates: cands, PerImageMean: true, ZeroDivision: ZeroDivNaN})
	require.NoError(t, err)
	assert.Equal(t, float32(.5), th)
	assert.InDelta(t, 1.0/3, score, eps)
}

func TestSelectThresholdMatchesCount(t *testing.T) {
	// The score returned equals Count at that threshold, and no default
	// candidate does better (brute force).
	r := rand.New(rand.NewSource(11))
	var probs, masks [][]float32
	var P, M []float32
	for k := 0; k < 4; k++ {
		p, m, _ := randomImage(r, 50)
		for i := range p {
			p[i] = r.Float32()
		}
		probs, masks = append(probs, p), append(masks, m)
		P, M = append(P, p...), append(M, m...)
	}
	th, score, err := SelectThresholdOnValidation(probs, masks, ThresholdSearch{Metric: MetricIoU})
	require.NoError(t, err)
	c, _ := Count(P, M, nil, th)
	assert.InDelta(t, c.IoU(ZeroDivOne), score, eps)
	for _, cand := range DefaultCandidates() {
		c, _ := Count(P, M, nil, cand)
		assert.LessOrEqual(t, c.IoU(ZeroDivOne), score+eps)
	}
}

func TestSelectThresholdErrors(t *testing.T) {
	one := [][]float32{{1}}
	_, _, err := SelectThresholdOnValidation(one, nil, ThresholdSearch{})
	assert.EqualError(t, err, "metrics: 1 probability maps but 0 masks")
	_, _, err = SelectThresholdOnValidation(nil, nil, ThresholdSearch{})
	assert.EqualError(t, err, "metrics: no validation images")
	_, _, err = SelectThresholdOnValidation(one, [][]float32{{1, 0}}, ThresholdSearch{})
	assert.EqualError(t, err, "metrics: probs has 1 pixels but mask has 2 (image 0)")
	_, _, err = SelectThresholdOnValidation(one, one, ThresholdSearch{FOVs: [][]float32{}})
	assert.EqualError(t, err, "metrics: 1 probability maps but 0 fovs")
	_, _, err = SelectThresholdOnValidation(one, one, ThresholdSearch{Metric: MetricAUC})
	assert.EqualError(t, err, `metrics: "auc" is not a confusion-count metric`)
	_, _, err = SelectThresholdOnValidation(one, one, ThresholdSearch{Candidates: []float32{float32NaN()}})
	assert.EqualError(t, err, "metrics: threshold is NaN")
	_, _, err = SelectThresholdOnValidation([][]float32{{float32NaN()}}, one, ThresholdSearch{})
	assert.EqualError(t, err, "metrics: probs[0] is NaN (image 0)")
	// Empty mask, nothing predicted at any candidate, NaN policy: no score.
	_, _, err = SelectThresholdOnValidation([][]float32{{0}}, [][]float32{{0}}, ThresholdSearch{ZeroDivision: ZeroDivNaN, PerImageMean: true})
	assert.EqualError(t, err, "metrics: no candidate threshold gave a defined dice")
}
