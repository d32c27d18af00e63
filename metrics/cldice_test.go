package metrics

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func toF32(img []bool) []float32 {
	out := make([]float32, len(img))
	for i, v := range img {
		if v {
			out[i] = 1
		}
	}
	return out
}

func TestClDiceOnePixelLine(t *testing.T) {
	// Label: a 1-px horizontal line of 5 pixels (its own skeleton, 5 px).
	// Prediction: the same line plus a 1-px spur of 2 pixels going up from
	// its middle -> a T of 7 pixels; Zhang–Suen keeps it (every pixel has
	// B <= 3 and A != 1 or B = 1).
	label, h, w := grid(
		".......",
		".......",
		".......",
		".#####.",
		".......")
	pred, _, _ := grid(
		".......",
		"...#...",
		"...#...",
		".#####.",
		".......")
	// S(P) = 7 px, 5 of them in V_L -> Tprec = 5/7.
	// S(L) = 5 px, all in V_P     -> Tsens = 1.
	// clDice = 2·(5/7)·1 / (5/7 + 1) = (10/7)/(12/7) = 5/6.
	c, err := ClDiceCountBinary(pred, label, h, w)
	require.NoError(t, err)
	assert.Equal(t, ClDiceCounts{SkelPred: 7, SkelPredInLabel: 5, SkelLabel: 5, SkelLabelInPred: 5}, c)
	assert.InDelta(t, 5.0/7, c.TopologyPrecision(ZeroDivOne), eps)
	assert.Equal(t, 1.0, c.TopologySensitivity(ZeroDivOne))
	assert.InDelta(t, 5.0/6, c.ClDice(ZeroDivOne), eps)

	// Same through probabilities and a threshold.
	v, err := ClDice(toF32(pred), toF32(label), nil, h, w, 0.5, ZeroDivOne)
	require.NoError(t, err)
	assert.InDelta(t, 5.0/6, v, eps)

	// A FOV that hides the spur gives a perfect score.
	fov := make([]float32, h*w)
	for i := 3 * w; i < 4*w; i++ {
		fov[i] = 1
	}
	v, err = ClDice(toF32(pred), toF32(label), fov, h, w, 0.5, ZeroDivOne)
	require.NoError(t, err)
	assert.Equal(t, 1.0, v)
}

func TestClDiceThickVsThin(t *testing.T) {
	// Label: the 3x5 bar (skeleton = 2 px at (2,2),(2,3), see
	// TestSkeletonThickBar). Prediction: only the middle row (1-px line of
	// 5, its own skeleton). S(P)=5 px all inside the bar -> Tprec = 1.
	// S(L)=2 px both on the middle row -> Tsens = 1. clDice = 1, while
	// Dice = 2·5/(5+15) = 0.5: clDice rewards the topology.
	label, h, w := grid(".......", ".#####.", ".#####.", ".#####.", ".......")
	pred, _, _ := grid(".......", ".......", ".#####.", ".......", ".......")
	c, err := ClDiceCountBinary(pred, label, h, w)
	require.NoError(t, err)
	assert.Equal(t, ClDiceCounts{5, 5, 2, 2}, c)
	assert.Equal(t, 1.0, c.ClDice(ZeroDivOne))
	cc, _ := Count(toF32(pred), toF32(label), nil, 0.5)
	assert.Equal(t, 0.5, cc.Dice(ZeroDivOne))
}

func TestClDiceEmpty(t *testing.T) {
	empty, h, w := grid("....", "....")
	line, _, _ := grid("###.", "....")
	// Both empty: Tprec = Tsens = 0/0.
	c, err := ClDiceCountBinary(empty, empty, h, w)
	require.NoError(t, err)
	assert.Equal(t, 1.0, c.ClDice(ZeroDivOne))
	assert.Equal(t, 0.0, c.ClDice(ZeroDivZero))
	assert.True(t, math.IsNaN(c.ClDice(ZeroDivNaN)))
	// Prediction on an empty label: Tprec = 0/3 = 0, Tsens = 0/0 -> 1;
	// clDice = 0.
	c, _ = ClDiceCountBinary(line, empty, h, w)
	assert.Equal(t, ClDiceCounts{SkelPred: 3}, c)
	assert.Equal(t, 0.0, c.ClDice(ZeroDivOne))
	// Nothing predicted on a line: Tprec = 0/0 -> 1, Tsens = 0/3 = 0 -> 0.
	c, _ = ClDiceCountBinary(empty, line, h, w)
	assert.Equal(t, 0.0, c.ClDice(ZeroDivOne))
	// 2x2 blocks vanish under Zhang–Suen: both skeletons empty -> 0/0.
	block, bh, bw := grid("##", "##")
	c, _ = ClDiceCountBinary(block, block, bh, bw)
	assert.Equal(t, ClDiceCounts{}, c)
	assert.Equal(t, 1.0, c.ClDice(ZeroDivOne))
}

func TestClDicePooledAdd(t *testing.T) {
	a := ClDiceCounts{7, 5, 5, 5}
	b := ClDiceCounts{3, 0, 0, 0}
	// Pooled: Tprec = 5/10, Tsens = 5/5 -> 2·0.5·1/1.5 = 2/3.
	assert.InDelta(t, 2.0/3, a.Add(b).ClDice(ZeroDivOne), eps)
}

func TestClDiceErrors(t *testing.T) {
	_, err := ClDice([]float32{1, 1}, []float32{1}, nil, 1, 2, 0.5, ZeroDivOne)
	assert.EqualError(t, err, "metrics: probs has 2 pixels but mask has 1")
	_, err = ClDice([]float32{1, 1}, []float32{1, 0}, nil, 2, 2, 0.5, ZeroDivOne)
	assert.EqualError(t, err, "metrics: shape 2x2 = 4 pixels but probs has 2")
	_, err = ClDiceCountBinary([]bool{true}, []bool{true, false}, 1, 2)
	assert.EqualError(t, err, "metrics: shape 1x2 does not match 1 pixels")
}
