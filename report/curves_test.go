package report

import (
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img
}

func distinctColours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

func TestWriteCurves(t *testing.T) {
	cases := map[string][]EpochRecord{
		"two epochs": twoEpochs(),
		"one epoch":  twoEpochs()[:1],
		"diverged": {
			{Epoch: 1, TrainLoss: math.Inf(1), ValDice: math.NaN()},
			{Epoch: 2, TrainLoss: math.NaN(), ValDice: math.NaN()},
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out", "curves.png")
			require.NoError(t, WriteCurves(path, h))
			img := decodePNG(t, path)
			assert.Equal(t, image.Rect(0, 0, CurvesWidth, CurvesHeight), img.Bounds())
			assert.GreaterOrEqual(t, distinctColours(img), 2)
		})
	}
}

func TestWriteCurvesHasColouredLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "curves.png")
	require.NoError(t, WriteCurves(path, twoEpochs()))
	img := decodePNG(t, path)
	coloured := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r != g || g != bl {
				coloured++
			}
		}
	}
	assert.Greater(t, coloured, 100, "part and Dice lines should be drawn in colour")
}

func TestWriteCurvesEmptyHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "curves.png")
	err := WriteCurves(path, nil)
	assert.EqualError(t, err, "report: "+path+": empty history")
	_, statErr := os.Stat(path)
	assert.True(t, os.IsNotExist(statErr))
}
