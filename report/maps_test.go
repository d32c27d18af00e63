package report

import (
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// grayLevels decodes path and returns its 8-bit gray levels row-major.
func grayLevels(t *testing.T, path string) (image.Rectangle, []uint8) {
	t.Helper()
	img := decodePNG(t, path)
	b := img.Bounds()
	var out []uint8
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out = append(out, color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y)
		}
	}
	return b, out
}

func TestWriteProbabilityPNG(t *testing.T) {
	nan := float32(math.NaN())
	probs := []float32{0, 0.5, 1, 0.2, 1.5, -0.1, nan, 0.002}
	// round(p*255) after clamping; 0.5*255 = 127.5 rounds to 128, 0.002*255 = 0.51 to 1.
	want := []uint8{0, 128, 255, 51, 255, 0, 0, 1}
	path := filepath.Join(t.TempDir(), "maps", "prob.png")
	require.NoError(t, WriteProbabilityPNG(path, probs, 4, 2))
	b, got := grayLevels(t, path)
	assert.Equal(t, image.Rect(0, 0, 4, 2), b)
	assert.Equal(t, want, got)
	for i, p := range probs[:4] { // in-range values come back within half a level
		assert.InDelta(t, p, float64(got[i])/255, 0.5/255+1e-9)
	}
}

func TestWriteMaskPNG(t *testing.T) {
	probs := []float32{0, 0.5, 1, 0.2, 0.49, 0.51, float32(math.NaN()), 0.7}
	path := filepath.Join(t.TempDir(), "mask.png")
	require.NoError(t, WriteMaskPNG(path, probs, 2, 4, 0.5))
	b, got := grayLevels(t, path)
	assert.Equal(t, image.Rect(0, 0, 2, 4), b)
	assert.Equal(t, []uint8{0, 255, 255, 0, 0, 255, 0, 255}, got)
}

func TestMapErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "prob.png")
	err := WriteProbabilityPNG(p, make([]float32, 5), 2, 2)
	assert.EqualError(t, err, "report: "+p+": size mismatch: probs has 5 values, want 4 (2x2)")
	assert.ErrorIs(t, err, ErrSize)

	m := filepath.Join(dir, "mask.png")
	err = WriteMaskPNG(m, make([]float32, 4), 4, 0, 0.5)
	assert.EqualError(t, err, "report: "+m+": size mismatch: invalid size 4x0")
	err = WriteMaskPNG(m, make([]float32, 4), 2, 2, float32(math.NaN()))
	assert.EqualError(t, err, "report: "+m+": threshold is NaN")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "failed writes leave no files")
}
