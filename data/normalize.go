package data

import "math"

// Normalization is a per-image intensity normalisation applied after
// augmentation. Masks are never normalised.
type Normalization int

const (
	NormNone   Normalization = iota // keep values in [0,1] (default)
	NormZScore                      // (v-mean)/std per image; std floored at 1e-6
	NormMinMax                      // (v-min)/(max-min) per image; a constant image becomes all 0
)

func (n Normalization) String() string {
	switch n {
	case NormNone:
		return "none"
	case NormZScore:
		return "zscore"
	case NormMinMax:
		return "minmax"
	}
	return "Normalization(" + itoa(int(n)) + ")"
}

// Apply normalises img in place.
func (n Normalization) Apply(img *Image) {
	switch n {
	case NormZScore:
		var sum, sq float64
		for _, v := range img.Pix {
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
		cnt := float64(len(img.Pix))
		mean := sum / cnt
		std := math.Sqrt(math.Max(sq/cnt-mean*mean, 0))
		std = math.Max(std, 1e-6)
		for i, v := range img.Pix {
			img.Pix[i] = float32((float64(v) - mean) / std)
		}
	case NormMinMax:
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range img.Pix {
			lo, hi = min(lo, v), max(hi, v)
		}
		for i, v := range img.Pix {
			if hi > lo {
				img.Pix[i] = (v - lo) / (hi - lo)
			} else {
				img.Pix[i] = 0
			}
		}
	}
}

func (n Normalization) valid() bool { return n >= NormNone && n <= NormMinMax }
