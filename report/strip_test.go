package report

import (
	"image/color"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/plotutil"
)

func TestWriteStripPlot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "strip.png")
	groups := []string{"unet", "dskd", "psdl"}
	values := [][]float64{{0.70, 0.72, math.NaN()}, {0.75, 0.75, 0.76}, {0.5}}
	require.NoError(t, WriteStripPlot(path, "Dice per run", "Dice", groups, values))
	img := decodePNG(t, path)
	assert.Equal(t, 3*StripGroupWidth, img.Bounds().Dx())
	assert.Equal(t, StripHeight, img.Bounds().Dy())

	// Each group's points are drawn in its colour, in its third of the
	// plot (left to right).
	w := img.Bounds().Dx()
	for g := range groups {
		want := color.RGBAModel.Convert(plotutil.Color(g)).(color.RGBA)
		inside, outside := 0, 0
		for y := 0; y < img.Bounds().Dy(); y++ {
			for x := 0; x < w; x++ {
				if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) != want {
					continue
				}
				// the plot area starts right of the y axis: allow a margin
				if x >= g*w/3-30 && x < (g+1)*w/3+10 {
					inside++
				} else {
					outside++
				}
			}
		}
		assert.Greater(t, inside, 10, "group %s", groups[g])
		assert.Zero(t, outside, "group %s", groups[g])
	}

	assert.ErrorIs(t, WriteStripPlot(path, "", "", groups, values[:2]), ErrSize)
	assert.ErrorIs(t, WriteStripPlot(path, "", "", nil, nil), ErrSize)
	assert.ErrorContains(t, WriteStripPlot(path, "", "", []string{"a"}, [][]float64{{math.NaN()}}), "no finite value")
}
