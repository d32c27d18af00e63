package report

import (
	"image"
	"image/color"
	"math"
	"path/filepath"
	"testing"

	"github.com/angioseg/dskd/data"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// 2×2 case, threshold 0.5:
//
//	pixel  img  gray  prob  mask  class
//	(0,0)  0.0     0  0.9   1     TP
//	(1,0)  1.0   255  0.6   0     FP
//	(0,1)  0.2    51  0.1   1     FN
//	(1,1)  0.4   102  0.3   0     TN
func overlayCase() (*data.Image, []float32, *data.Image) {
	img := &data.Image{W: 2, H: 2, Pix: []float32{0, 1, 0.2, 0.4}}
	probs := []float32{0.9, 0.6, 0.1, 0.3}
	mask := &data.Image{W: 2, H: 2, Pix: []float32{1, 0, 1, 0}}
	return img, probs, mask
}

func TestOverlayWithMask(t *testing.T) {
	img, probs, mask := overlayCase()
	got, err := Overlay(img, probs, mask, 0.5)
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, 2, 2), got.Bounds())
	// Tinted channel = round(0.45*gray + 0.55*c).
	assert.Equal(t, color.RGBA{0, 140, 0, 255}, got.RGBAAt(0, 0), "TP: gray 0 + green: G=round(0.55*255)=140")
	assert.Equal(t, color.RGBA{255, 115, 115, 255}, got.RGBAAt(1, 0), "FP: gray 255 + red: G,B=round(0.45*255)=115")
	assert.Equal(t, color.RGBA{23, 23, 163, 255}, got.RGBAAt(0, 1), "FN: gray 51 + blue: R,G=round(22.95)=23, B=round(22.95+140.25)=163")
	assert.Equal(t, color.RGBA{102, 102, 102, 255}, got.RGBAAt(1, 1), "TN: plain gray round(0.4*255)=102")
}

func TestOverlayWithoutMask(t *testing.T) {
	img, probs, _ := overlayCase()
	got, err := Overlay(img, probs, nil, 0.5)
	require.NoError(t, err)
	assert.Equal(t, color.RGBA{140, 0, 0, 255}, got.RGBAAt(0, 0))
	assert.Equal(t, color.RGBA{255, 115, 115, 255}, got.RGBAAt(1, 0))
	assert.Equal(t, color.RGBA{51, 51, 51, 255}, got.RGBAAt(0, 1))
	assert.Equal(t, color.RGBA{102, 102, 102, 255}, got.RGBAAt(1, 1))
}

func TestOverlayNaNAndClamping(t *testing.T) {
	img := &data.Image{W: 3, H: 1, Pix: []float32{float32(math.NaN()), 2, -1}}
	probs := []float32{float32(math.NaN()), 0.2, 0.2}
	got, err := Overlay(img, probs, nil, 0.5)
	require.NoError(t, err)
	assert.Equal(t, color.RGBA{0, 0, 0, 255}, got.RGBAAt(0, 0))
	assert.Equal(t, color.RGBA{255, 255, 255, 255}, got.RGBAAt(1, 0))
	assert.Equal(t, color.RGBA{0, 0, 0, 255}, got.RGBAAt(2, 0))
}

func TestOverlayErrors(t *testing.T) {
	img, probs, mask := overlayCase()
	_, err := Overlay(img, probs[:3], mask, 0.5)
	assert.EqualError(t, err, "report: overlay: size mismatch: probs has 3 values, want 4 (2x2)")
	assert.ErrorIs(t, err, ErrSize)

	_, err = Overlay(img, probs, &data.Image{W: 1, H: 4, Pix: make([]float32, 4)}, 0.5)
	assert.EqualError(t, err, "report: overlay: mask is 1x4, image is 2x2")

	_, err = Overlay(&data.Image{W: 2, H: 2, Pix: make([]float32, 3)}, probs, nil, 0.5)
	assert.EqualError(t, err, "report: overlay: size mismatch: image has 3 pixels, want 4 (2x2)")

	_, err = Overlay(&data.Image{W: 0, H: 2}, nil, nil, 0.5)
	assert.EqualError(t, err, "report: overlay: image: size mismatch: invalid size 0x2")

	_, err = Overlay(nil, probs, nil, 0.5)
	assert.EqualError(t, err, "report: overlay: image is nil")

	_, err = Overlay(img, probs, nil, float32(math.NaN()))
	assert.EqualError(t, err, "report: overlay: threshold is NaN")
}

func TestWriteOverlayPNG(t *testing.T) {
	img, probs, mask := overlayCase()
	path := filepath.Join(t.TempDir(), "a", "overlay.png")
	require.NoError(t, WriteOverlayPNG(path, img, probs, mask, 0.5))
	got := decodePNG(t, path)
	want, err := Overlay(img, probs, mask, 0.5)
	require.NoError(t, err)
	for y := 0; y < 2; y++ {
		for x := 0; x < 2; x++ {
			assert.Equal(t, color.RGBAModel.Convert(want.At(x, y)), color.RGBAModel.Convert(got.At(x, y)))
		}
	}

	bad := filepath.Join(t.TempDir(), "bad.png")
	err = WriteOverlayPNG(bad, img, probs[:1], mask, 0.5)
	assert.EqualError(t, err, "report: "+bad+": size mismatch: probs has 1 values, want 4 (2x2)")
}
