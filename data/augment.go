package data

import (
	"math"
	"math/rand/v2"

	"github.com/angioseg/dskd/internal/option"
)

// AugmentConfig describes random augmentations. The zero value applies none.
// Geometric steps are applied identically to image and mask (image: bilinear,
// edges clamped; mask: nearest neighbour, edges clamped alike), in this order: small
// rotation/scale, flips, 90° rotation, crop. Intensity steps (image only)
// follow: contrast, brightness, gamma, then clipping to [0,1].
// DefaultAugment returns a typical training configuration.
type AugmentConfig struct {
	FlipH        bool    `json:"flip_h,omitempty"`         // horizontal flip with probability 0.5. Default false.
	FlipV        bool    `json:"flip_v,omitempty"`         // vertical flip with probability 0.5. Default false.
	Rot90        bool    `json:"rot90,omitempty"`          // rotate by k*90°, k uniform in 0..3 (0/180° only for non-square images). Default false.
	CropSize     int     `json:"crop_size,omitempty"`      // random square crop of this side (pixels); 0 = no crop (default). Larger than the image: error. In a dskd.Config it follows Config.CropSize.
	MaxRotateDeg float64 `json:"max_rotate_deg,omitempty"` // rotation angle uniform in [-MaxRotateDeg, +MaxRotateDeg] degrees; 0 = off (default). At most 45.
	MaxScale     float64 `json:"max_scale,omitempty"`      // zoom factor uniform in [1-MaxScale, 1+MaxScale]; 0 = off (default). In [0, 0.5].
	Brightness   float64 `json:"brightness,omitempty"`     // additive offset uniform in [-Brightness, +Brightness]; 0 = off (default).
	Contrast     float64 `json:"contrast,omitempty"`       // factor uniform in [1-Contrast, 1+Contrast] around the image mean; 0 = off (default). In [0, 1).
	Gamma        float64 `json:"gamma,omitempty"`          // exponent exp(u), u uniform in [-Gamma, +Gamma]; 0 = off (default).
}

// DefaultAugment is the training augmentation dskd uses unless told
// otherwise (the trainer's default, the examples, the benchmarks): flips,
// 90° rotations, ±0.05 brightness, ±10 % contrast and gamma in
// [e^-0.1, e^0.1], with cropSize (0: no crop). Small rotations and scaling
// (MaxRotateDeg, MaxScale) are off: whether they help on DCA1 is measured
// by the accuracy study (docs/results/).
func DefaultAugment(cropSize int) AugmentConfig {
	return AugmentConfig{FlipH: true, FlipV: true, Rot90: true, CropSize: cropSize,
		Brightness: 0.05, Contrast: 0.1, Gamma: 0.1}
}

// Validate checks ranges; an error names the offending option by its JSON
// name: "data: augment: max_rotate_deg 90: must lie in [0, 45]".
func (c AugmentConfig) Validate() error {
	const prefix = "data: augment"
	switch {
	case c.CropSize < 0:
		return option.Errorf(prefix, "crop_size", "%d: must be >= 0 (0 = no crop)", c.CropSize)
	case !(c.MaxRotateDeg >= 0 && c.MaxRotateDeg <= 45):
		return option.Errorf(prefix, "max_rotate_deg", "%g: must lie in [0, 45]", c.MaxRotateDeg)
	case !(c.MaxScale >= 0 && c.MaxScale <= 0.5):
		return option.Errorf(prefix, "max_scale", "%g: must lie in [0, 0.5]", c.MaxScale)
	case !(c.Brightness >= 0 && c.Brightness <= 1):
		return option.Errorf(prefix, "brightness", "%g: must lie in [0, 1]", c.Brightness)
	case !(c.Contrast >= 0 && c.Contrast < 1):
		return option.Errorf(prefix, "contrast", "%g: must lie in [0, 1)", c.Contrast)
	case !(c.Gamma >= 0 && c.Gamma <= 2):
		return option.Errorf(prefix, "gamma", "%g: must lie in [0, 2]", c.Gamma)
	}
	return nil
}

// Augment applies c to img and mask (mask may be nil) using rng and returns
// new images; the inputs are not modified. img and mask must have equal sizes.
func (c AugmentConfig) Augment(img, mask *Image, rng *rand.Rand) (*Image, *Image, error) {
	outImg, outMask, err := c.geometry(img, mask, rng)
	if err != nil {
		return nil, nil, err
	}
	c.intensity(outImg, rng)
	return outImg, outMask, nil
}

// geometry applies c's geometric steps to img and mask (mask may be nil).
func (c AugmentConfig) geometry(img, mask *Image, rng *rand.Rand) (*Image, *Image, error) {
	if mask != nil && (mask.W != img.W || mask.H != img.H) {
		return nil, nil, errorf("Augment: image %s and mask %s differ in size", img.Size(), mask.Size())
	}
	if c.MaxRotateDeg > 0 || c.MaxScale > 0 {
		theta := (2*rng.Float64() - 1) * c.MaxRotateDeg * math.Pi / 180
		scale := 1 + (2*rng.Float64()-1)*c.MaxScale
		img, mask = affine(img, mask, theta, scale)
	}
	var fh, fv bool
	k := 0
	if c.FlipH {
		fh = rng.IntN(2) == 1
	}
	if c.FlipV {
		fv = rng.IntN(2) == 1
	}
	if c.Rot90 {
		k = rng.IntN(4)
		if img.W != img.H {
			k &^= 1 // only 0 or 180° keep a non-square shape
		}
	}
	x0, y0, cw, ch := 0, 0, img.W, img.H
	if k%2 == 1 {
		cw, ch = img.H, img.W
	}
	if c.CropSize > 0 {
		if c.CropSize > cw || c.CropSize > ch {
			return nil, nil, errorf("AugmentConfig.CropSize %d larger than image %dx%d", c.CropSize, cw, ch)
		}
		x0, y0 = rng.IntN(cw-c.CropSize+1), rng.IntN(ch-c.CropSize+1)
		cw, ch = c.CropSize, c.CropSize
	}
	outImg := dihedralCrop(img, fh, fv, k, x0, y0, cw, ch)
	var outMask *Image
	if mask != nil {
		outMask = dihedralCrop(mask, fh, fv, k, x0, y0, cw, ch)
	}
	return outImg, outMask, nil
}

// dihedralCrop returns the (x0,y0,w,h) window of the image transformed by
// horizontal flip, vertical flip, then k counter-clockwise quarter turns.
func dihedralCrop(src *Image, fh, fv bool, k, x0, y0, w, h int) *Image {
	out := NewImage(w, h)
	W, H := src.W, src.H
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// (u,v) in the rotated frame -> (sx,sy) in the flipped source frame.
			u, v := x+x0, y+y0
			var sx, sy int
			switch k {
			case 0:
				sx, sy = u, v
			case 1: // rotated size is H x W
				sx, sy = W-1-v, u
			case 2:
				sx, sy = W-1-u, H-1-v
			case 3:
				sx, sy = v, H-1-u
			}
			if fh {
				sx = W - 1 - sx
			}
			if fv {
				sy = H - 1 - sy
			}
			out.Pix[y*w+x] = src.Pix[sy*W+sx]
		}
	}
	return out
}

// affine rotates by theta and zooms by scale about the image centre, keeping
// the size: bilinear for the image, nearest for the mask, both with edge
// clamping (areas rotated in from outside repeat the border, labelled alike).
func affine(img, mask *Image, theta, scale float64) (*Image, *Image) {
	W, H := img.W, img.H
	cx, cy := float64(W-1)/2, float64(H-1)/2
	cos, sin := math.Cos(theta)/scale, math.Sin(theta)/scale
	oi := NewImage(W, H)
	var om *Image
	if mask != nil {
		om = NewImage(W, H)
	}
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			sx := cx + cos*dx + sin*dy
			sy := cy - sin*dx + cos*dy
			oi.Pix[y*W+x] = bilinear(img, sx, sy)
			if om != nil {
				nx := max(0, min(W-1, int(math.Floor(sx+0.5))))
				ny := max(0, min(H-1, int(math.Floor(sy+0.5))))
				om.Pix[y*W+x] = mask.Pix[ny*W+nx]
			}
		}
	}
	return oi, om
}

func bilinear(img *Image, x, y float64) float32 {
	x = math.Max(0, math.Min(float64(img.W-1), x))
	y = math.Max(0, math.Min(float64(img.H-1), y))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, img.W-1), min(y0+1, img.H-1)
	tx, ty := float32(x-float64(x0)), float32(y-float64(y0))
	p := img.Pix
	a := p[y0*img.W+x0]*(1-tx) + p[y0*img.W+x1]*tx
	b := p[y1*img.W+x0]*(1-tx) + p[y1*img.W+x1]*tx
	return a*(1-ty) + b*ty
}

func (c AugmentConfig) intensity(img *Image, rng *rand.Rand) {
	if c.Contrast == 0 && c.Brightness == 0 && c.Gamma == 0 {
		return
	}
	contrast, bright, gamma := 1.0, 0.0, 1.0
	if c.Contrast > 0 {
		contrast = 1 + (2*rng.Float64()-1)*c.Contrast
	}
	if c.Brightness > 0 {
		bright = (2*rng.Float64() - 1) * c.Brightness
	}
	if c.Gamma > 0 {
		gamma = math.Exp((2*rng.Float64() - 1) * c.Gamma)
	}
	var mean float64
	for _, v := range img.Pix {
		mean += float64(v)
	}
	mean /= float64(len(img.Pix))
	for i, v := range img.Pix {
		f := (float64(v)-mean)*contrast + mean + bright
		f = math.Max(0, math.Min(1, f))
		if gamma != 1 {
			f = math.Pow(f, gamma)
		}
		img.Pix[i] = float32(f)
	}
}
