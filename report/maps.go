package report

import (
	"image"
	"image/png"
	"io"
	"math"
)

// WriteProbabilityPNG writes a w×h probability map as an 8-bit gray PNG with
// level round(p*255); values are clamped to [0,1] and NaN is written as 0.
// The file is written atomically, creating parent directories as needed.
func WriteProbabilityPNG(path string, probs []float32, w, h int) error {
	if err := checkProbs(probs, w, h); err != nil {
		return prefixed(path, err)
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i, p := range probs {
		g.Pix[(i/w)*g.Stride+i%w] = to8(p)
	}
	return writeAtomic(path, func(wr io.Writer) error { return png.Encode(wr, g) })
}

// WriteMaskPNG writes the binary prediction probs >= threshold as an 8-bit
// gray PNG: 255 for vessel, 0 for background (NaN probabilities are
// background). The file is written atomically, creating parent directories
// as needed.
func WriteMaskPNG(path string, probs []float32, w, h int, threshold float32) error {
	if err := checkProbs(probs, w, h); err != nil {
		return prefixed(path, err)
	}
	if math.IsNaN(float64(threshold)) {
		return prefixed(path, errorf("threshold is NaN"))
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i, p := range probs {
		if p >= threshold {
			g.Pix[(i/w)*g.Stride+i%w] = 255
		}
	}
	return writeAtomic(path, func(wr io.Writer) error { return png.Encode(wr, g) })
}
