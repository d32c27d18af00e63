package metrics

import (
	"fmt"
	"math"
)

// DefaultThreshold is the probability threshold used when none is given:
// a pixel is predicted vessel when p >= DefaultThreshold.
const DefaultThreshold float32 = 0.5

// maskOn reports whether a mask or field-of-view value counts as "on".
// Masks are []float32 holding 0/1; any value >= 0.5 is foreground (so
// masks resized with interpolation still behave), anything else,
// including NaN, is background.
func maskOn(v float32) bool { return v >= 0.5 }

// Confusion holds pixel counts of a binary segmentation.
// Positive means vessel (foreground).
type Confusion struct {
	TP int64 `json:"tp"`
	FP int64 `json:"fp"`
	TN int64 `json:"tn"`
	FN int64 `json:"fn"`
}

// Add returns the element-wise sum of two confusion counts.
func (c Confusion) Add(o Confusion) Confusion {
	return Confusion{TP: c.TP + o.TP, FP: c.FP + o.FP, TN: c.TN + o.TN, FN: c.FN + o.FN}
}

// Total is the number of counted pixels (TP+FP+TN+FN).
func (c Confusion) Total() int64 { return c.TP + c.FP + c.TN + c.FN }

// checkInputs validates the lengths of a probability map, a mask and an
// optional field of view (nil means "whole image") against each other.
func checkInputs(probs, mask, fov []float32) error {
	if len(probs) != len(mask) {
		return fmt.Errorf("metrics: probs has %d pixels but mask has %d", len(probs), len(mask))
	}
	if fov != nil && len(fov) != len(probs) {
		return fmt.Errorf("metrics: probs has %d pixels but fov has %d", len(probs), len(fov))
	}
	return nil
}

// checkShape validates that h x w matches n pixels.
func checkShape(n, h, w int) error {
	if h < 0 || w < 0 {
		return fmt.Errorf("metrics: negative shape %dx%d", h, w)
	}
	if h*w != n {
		return fmt.Errorf("metrics: shape %dx%d = %d pixels but probs has %d", h, w, h*w, n)
	}
	return nil
}

func checkThreshold(t float32) error {
	if math.IsNaN(float64(t)) {
		return fmt.Errorf("metrics: threshold is NaN")
	}
	return nil
}

// Count returns the confusion counts of probs against mask at threshold.
//
// A pixel is predicted positive when probs[i] >= threshold; it is a
// ground-truth positive when mask[i] >= 0.5 (masks hold 0/1). fov may be
// nil (every pixel counts); otherwise pixels with fov[i] < 0.5 are
// ignored. All slices are the same row-major H x W image; Count does not
// need the shape. A NaN probability is an error.
func Count(probs, mask, fov []float32, threshold float32) (Confusion, error) {
	var c Confusion
	if err := checkInputs(probs, mask, fov); err != nil {
		return c, err
	}
	if err := checkThreshold(threshold); err != nil {
		return c, err
	}
	for i, p := range probs {
		if fov != nil && !maskOn(fov[i]) {
			continue
		}
		if p != p {
			return Confusion{}, fmt.Errorf("metrics: probs[%d] is NaN", i)
		}
		pred := p >= threshold
		if maskOn(mask[i]) {
			if pred {
				c.TP++
			} else {
				c.FN++
			}
		} else if pred {
			c.FP++
		} else {
			c.TN++
		}
	}
	return c, nil
}
