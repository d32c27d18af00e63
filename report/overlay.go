package report

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"github.com/angioseg/dskd/data"
)

// OverlayAlpha is the opacity of the tint laid over the gray angiogram.
const OverlayAlpha = 0.55

// Overlay tint colours (see Overlay).
var (
	ColorTP   = color.RGBA{0, 255, 0, 255} // true positive: green
	ColorFP   = color.RGBA{255, 0, 0, 255} // false positive: red
	ColorFN   = color.RGBA{0, 0, 255, 255} // false negative: blue
	ColorPred = color.RGBA{255, 0, 0, 255} // prediction without a mask: red
)

// Overlay renders img in gray with the predicted vessels tinted.
//
// The gray level of a pixel is g = round(clamp(img,0,1)*255) (NaN counts as
// 0). A pixel is predicted vessel when probs[i] >= threshold (NaN never is)
// and true vessel when mask.Pix[i] >= data.MaskThreshold (0.5). Tinted
// pixels get, per channel, round((1-OverlayAlpha)*g + OverlayAlpha*c) with
// OverlayAlpha = 0.55 and c the tint colour:
//
//   - mask != nil: true positives ColorTP (green, 0,255,0), false positives
//     ColorFP (red, 255,0,0), false negatives ColorFN (blue, 0,0,255); true
//     negatives stay plain gray;
//   - mask == nil: every predicted pixel ColorPred (red, 255,0,0).
//
// The result is opaque. img, probs and mask (when given) must all describe
// the same W×H grid.
func Overlay(img *data.Image, probs []float32, mask *data.Image, threshold float32) (*image.RGBA, error) {
	if err := checkOverlayInputs(img, probs, mask, threshold); err != nil {
		return nil, prefixed("overlay", err)
	}
	return overlay(img, probs, mask, threshold), nil
}

// WriteOverlayPNG writes Overlay's result to path as a PNG, atomically,
// creating parent directories as needed.
func WriteOverlayPNG(path string, img *data.Image, probs []float32, mask *data.Image, threshold float32) error {
	if err := checkOverlayInputs(img, probs, mask, threshold); err != nil {
		return prefixed(path, err)
	}
	rgba := overlay(img, probs, mask, threshold)
	return writeAtomic(path, func(w io.Writer) error { return png.Encode(w, rgba) })
}

func checkOverlayInputs(img *data.Image, probs []float32, mask *data.Image, threshold float32) error {
	if img == nil {
		return errorf("image is nil")
	}
	if err := checkImage("image", img); err != nil {
		return err
	}
	if err := checkProbs(probs, img.W, img.H); err != nil {
		return err
	}
	if mask != nil {
		if err := checkImage("mask", mask); err != nil {
			return err
		}
		if mask.W != img.W || mask.H != img.H {
			return errorf("mask is %dx%d, image is %dx%d", mask.W, mask.H, img.W, img.H)
		}
	}
	if math.IsNaN(float64(threshold)) {
		return errorf("threshold is NaN")
	}
	return nil
}

func overlay(img *data.Image, probs []float32, mask *data.Image, threshold float32) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, img.W, img.H))
	for i, v := range img.Pix {
		g := to8(v)
		pred := probs[i] >= threshold
		c, tint := ColorPred, pred
		if mask != nil {
			truth := mask.Pix[i] >= data.MaskThreshold
			switch {
			case pred && truth:
				c = ColorTP
			case pred:
				c = ColorFP
			case truth:
				c, tint = ColorFN, true
			}
		}
		px := color.RGBA{g, g, g, 255}
		if tint {
			px = color.RGBA{blend(g, c.R), blend(g, c.G), blend(g, c.B), 255}
		}
		out.SetRGBA(i%img.W, i/img.W, px)
	}
	return out
}

func blend(g, c uint8) uint8 {
	return uint8(math.Round((1-OverlayAlpha)*float64(g) + OverlayAlpha*float64(c)))
}

// to8 maps a value in [0,1] to round(v*255), clamping out-of-range values and
// sending NaN to 0.
func to8(v float32) uint8 {
	f := float64(v)
	switch {
	case !(f > 0): // also NaN
		return 0
	case f >= 1:
		return 255
	}
	return uint8(math.Round(f * 255))
}
