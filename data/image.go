package data

import "fmt"

// Image is a single-channel image stored row-major: Pix[y*W+x].
// Decoded images hold values in [0,1]; masks hold exactly 0 or 1.
type Image struct {
	W, H int
	Pix  []float32
}

// NewImage returns a zero-filled w×h image.
func NewImage(w, h int) *Image {
	return &Image{W: w, H: h, Pix: make([]float32, w*h)}
}

// At returns the pixel at (x, y); the caller keeps x, y in range.
func (im *Image) At(x, y int) float32 { return im.Pix[y*im.W+x] }

// Set stores v at (x, y); the caller keeps x, y in range.
func (im *Image) Set(x, y int, v float32) { im.Pix[y*im.W+x] = v }

// Clone returns a deep copy.
func (im *Image) Clone() *Image {
	c := &Image{W: im.W, H: im.H, Pix: make([]float32, len(im.Pix))}
	copy(c.Pix, im.Pix)
	return c
}

// Size formats the image size as "WxH" for messages.
func (im *Image) Size() string { return fmt.Sprintf("%dx%d", im.W, im.H) }

// ForegroundFraction returns the fraction of pixels >= 0.5 (for masks: the vessel fraction).
func (im *Image) ForegroundFraction() float64 {
	if len(im.Pix) == 0 {
		return 0
	}
	n := 0
	for _, v := range im.Pix {
		if v >= 0.5 {
			n++
		}
	}
	return float64(n) / float64(len(im.Pix))
}
