package metrics

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCountHandMade(t *testing.T) {
	// 2x3 image.
	// probs: 0.9 0.5 0.2      pred @0.5: 1 1 0   (0.5 >= 0.5 is positive)
	//        0.49 0.7 0.0                0 1 0
	// mask:  1 0 1
	//        1 1 0
	// pixel 0: pred1 mask1 TP; 1: pred1 mask0 FP; 2: pred0 mask1 FN
	// pixel 3: pred0 mask1 FN; 4: pred1 mask1 TP; 5: pred0 mask0 TN
	probs := []float32{0.9, 0.5, 0.2, 0.49, 0.7, 0.0}
	mask := []float32{1, 0, 1, 1, 1, 0}
	c, err := Count(probs, mask, nil, DefaultThreshold)
	require.NoError(t, err)
	assert.Equal(t, Confusion{TP: 2, FP: 1, TN: 1, FN: 2}, c)
	assert.Equal(t, int64(6), c.Total())
}

func TestCountFOV(t *testing.T) {
	// Same image as above; the FOV drops pixels 1 (an FP) and 2 (an FN).
	probs := []float32{0.9, 0.5, 0.2, 0.49, 0.7, 0.0}
	mask := []float32{1, 0, 1, 1, 1, 0}
	fov := []float32{1, 0, 0, 1, 1, 1}
	c, err := Count(probs, mask, fov, 0.5)
	require.NoError(t, err)
	assert.Equal(t, Confusion{TP: 2, FP: 0, TN: 1, FN: 1}, c)

	// An all-zero FOV counts nothing.
	c, err = Count(probs, mask, make([]float32, 6), 0.5)
	require.NoError(t, err)
	assert.Equal(t, Confusion{}, c)
}

func TestCountThresholdAndMaskValues(t *testing.T) {
	// Threshold 0: every pixel predicted positive. Mask values >= 0.5 are
	// foreground: 0.5 and 0.8 are vessel, 0.3 is not.
	probs := []float32{0, 0.1, 0.2}
	mask := []float32{0.5, 0.3, 0.8}
	c, err := Count(probs, mask, nil, 0)
	require.NoError(t, err)
	assert.Equal(t, Confusion{TP: 2, FP: 1}, c)
}

func TestCountErrors(t *testing.T) {
	_, err := Count([]float32{1, 0}, []float32{1}, nil, 0.5)
	assert.EqualError(t, err, "metrics: probs has 2 pixels but mask has 1")
	_, err = Count([]float32{1, 0}, []float32{1, 0}, []float32{1}, 0.5)
	assert.EqualError(t, err, "metrics: probs has 2 pixels but fov has 1")
	_, err = Count([]float32{1, float32NaN()}, []float32{1, 0}, nil, 0.5)
	assert.EqualError(t, err, "metrics: probs[1] is NaN")
	_, err = Count([]float32{1}, []float32{1}, nil, float32NaN())
	assert.EqualError(t, err, "metrics: threshold is NaN")
}

func TestConfusionAdd(t *testing.T) {
	a := Confusion{1, 2, 3, 4}
	b := Confusion{10, 20, 30, 40}
	assert.Equal(t, Confusion{11, 22, 33, 44}, a.Add(b))
}
