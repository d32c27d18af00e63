package metrics

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScoresHandMade(t *testing.T) {
	// TP=2 FP=1 TN=1 FN=2 (the 2x3 image of TestCountHandMade).
	// Dice = 2*2/(4+1+2) = 4/7; IoU = 2/(2+1+2) = 2/5;
	// Acc = 3/6; Sens = 2/4; Spec = 1/2; Prec = 2/3.
	c := Confusion{TP: 2, FP: 1, TN: 1, FN: 2}
	s := c.Scores(ZeroDivOne)
	assert.InDelta(t, 4.0/7, s.Dice, eps)
	assert.InDelta(t, 0.4, s.IoU, eps)
	assert.InDelta(t, 0.5, s.Accuracy, eps)
	assert.InDelta(t, 0.5, s.Sensitivity, eps)
	assert.InDelta(t, 0.5, s.Specificity, eps)
	assert.InDelta(t, 2.0/3, s.Precision, eps)
	// Dice and IoU are linked: IoU = Dice/(2-Dice) = (4/7)/(10/7) = 0.4.
	assert.InDelta(t, s.Dice/(2-s.Dice), s.IoU, eps)
}

func TestScoresEmptyMaskEmptyPrediction(t *testing.T) {
	// 4 background pixels, nothing predicted: TN=4.
	// Dice, IoU, Sens, Prec are 0/0; Acc = Spec = 4/4 = 1.
	c, err := Count([]float32{0.1, 0.2, 0.3, 0.4}, []float32{0, 0, 0, 0}, nil, 0.5)
	assert.NoError(t, err)
	assert.Equal(t, Confusion{TN: 4}, c)
	assert.Equal(t, Scores{1, 1, 1, 1, 1, 1}, c.Scores(ZeroDivOne))
	assert.Equal(t, Scores{0, 0, 1, 0, 1, 0}, c.Scores(ZeroDivZero))
	s := c.Scores(ZeroDivNaN)
	assert.True(t, math.IsNaN(s.Dice))
	assert.True(t, math.IsNaN(s.IoU))
	assert.True(t, math.IsNaN(s.Sensitivity))
	assert.True(t, math.IsNaN(s.Precision))
	assert.Equal(t, 1.0, s.Accuracy)
	assert.Equal(t, 1.0, s.Specificity)
}

func TestScoresEmptyMaskWithPrediction(t *testing.T) {
	// No vessel, one false positive among 4: FP=1 TN=3.
	// Dice = 0/(0+1+0) = 0; IoU = 0; Acc = 3/4; Sens = 0/0 -> 1 (nothing to
	// miss); Spec = 3/4; Prec = 0/1 = 0.
	c := Confusion{FP: 1, TN: 3}
	assert.Equal(t, Scores{0, 0, 0.75, 1, 0.75, 0}, c.Scores(ZeroDivOne))
}

func TestScoresAllForeground(t *testing.T) {
	// Every pixel is vessel (4 pixels), 3 predicted: TP=3 FN=1.
	// Dice = 6/7; IoU = 3/4; Acc = 3/4; Sens = 3/4; Spec = 0/0 -> policy;
	// Prec = 3/3 = 1.
	c, err := Count([]float32{0.9, 0.8, 0.7, 0.1}, []float32{1, 1, 1, 1}, nil, 0.5)
	assert.NoError(t, err)
	assert.Equal(t, Confusion{TP: 3, FN: 1}, c)
	s := c.Scores(ZeroDivOne)
	assert.InDelta(t, 6.0/7, s.Dice, eps)
	assert.Equal(t, Scores{s.Dice, 0.75, 0.75, 0.75, 1, 1}, s)
	assert.Equal(t, 0.0, c.Specificity(ZeroDivZero))
	assert.True(t, math.IsNaN(c.Specificity(ZeroDivNaN)))
}

func TestScoresSinglePixelVessel(t *testing.T) {
	// 3x3 image, one vessel pixel in the centre.
	// Hit: TP=1 TN=8 -> everything 1.
	mask := []float32{0, 0, 0, 0, 1, 0, 0, 0, 0}
	hit := []float32{0, 0, 0, 0, 0.6, 0, 0, 0, 0}
	c, _ := Count(hit, mask, nil, 0.5)
	assert.Equal(t, Confusion{TP: 1, TN: 8}, c)
	assert.Equal(t, Scores{1, 1, 1, 1, 1, 1}, c.Scores(ZeroDivZero))
	// Off by one pixel: FP=1 FN=1 TN=7. Dice = 0/2 = 0; IoU = 0;
	// Acc = 7/9; Sens = 0/1 = 0; Spec = 7/8; Prec = 0/1 = 0.
	miss := []float32{0, 0, 0, 0.6, 0, 0, 0, 0, 0}
	c, _ = Count(miss, mask, nil, 0.5)
	assert.Equal(t, Confusion{FP: 1, TN: 7, FN: 1}, c)
	s := c.Scores(ZeroDivOne)
	assert.Equal(t, 0.0, s.Dice)
	assert.Equal(t, 0.0, s.IoU)
	assert.InDelta(t, 7.0/9, s.Accuracy, eps)
	assert.Equal(t, 0.0, s.Sensitivity)
	assert.InDelta(t, 7.0/8, s.Specificity, eps)
	assert.Equal(t, 0.0, s.Precision)
	// Missed entirely (nothing predicted): Prec = 0/0 -> 1 under ZeroDivOne,
	// but Dice = 0/(0+0+1) = 0 and Sens = 0.
	c, _ = Count(make([]float32, 9), mask, nil, 0.5)
	s = c.Scores(ZeroDivOne)
	assert.Equal(t, Scores{0, 0, 8.0 / 9, 0, 1, 1}, s)
}

func TestScoresEmptyImage(t *testing.T) {
	// Nothing counted (e.g. FOV empty): every ratio is 0/0.
	assert.Equal(t, Scores{1, 1, 1, 1, 1, 1}, Confusion{}.Scores(ZeroDivOne))
	assert.Equal(t, Scores{}, Confusion{}.Scores(ZeroDivZero))
}

func TestZeroDivisionString(t *testing.T) {
	assert.Equal(t, "one", ZeroDivOne.String())
	assert.Equal(t, "zero", ZeroDivZero.String())
	assert.Equal(t, "nan", ZeroDivNaN.String())
	assert.Equal(t, "ZeroDivision(7)", ZeroDivision(7).String())
}
