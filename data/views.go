package data

import (
	"math"
	"math/rand/v2"

	"github.com/angioseg/dskd/internal/option"
)

// StrongView is the intensity part of the student's view of an unlabelled
// frame in semi-supervised training. The teacher sees the weak view (the
// AugmentConfig's own intensity steps); both views share one geometric
// transform, so their pixels correspond and the teacher's output is a
// target for the student's. The zero value is no stronger than nothing:
// use DefaultStrongView.
type StrongView struct {
	Brightness float64 `json:"brightness,omitempty"` // as AugmentConfig.Brightness
	Contrast   float64 `json:"contrast,omitempty"`   // as AugmentConfig.Contrast
	Gamma      float64 `json:"gamma,omitempty"`      // as AugmentConfig.Gamma
	Noise      float64 `json:"noise,omitempty"`      // std of Gaussian noise added last (then clipped to [0,1]); in [0, 0.5]
}

// DefaultStrongView: ±0.2 brightness, ±30 % contrast, gamma in
// [e^-0.3, e^0.3] and noise of std 0.03: three times the default weak
// intensity steps, plus noise.
func DefaultStrongView() StrongView {
	return StrongView{Brightness: 0.2, Contrast: 0.3, Gamma: 0.3, Noise: 0.03}
}

// Validate checks ranges; an error names the option.
func (v StrongView) Validate() error {
	const prefix = "data: strong view"
	if !(v.Noise >= 0 && v.Noise <= 0.5) {
		return option.Errorf(prefix, "noise", "%g: must lie in [0, 0.5]", v.Noise)
	}
	return v.intensityConfig().Validate()
}

func (v StrongView) intensityConfig() AugmentConfig {
	return AugmentConfig{Brightness: v.Brightness, Contrast: v.Contrast, Gamma: v.Gamma}
}

// AugmentViews draws one geometric transform of c and returns img under
// it twice: weak, with c's intensity steps (exactly what Augment returns
// for the same rng), and strong, with v's.
func (c AugmentConfig) AugmentViews(img *Image, v StrongView, rng *rand.Rand) (weak, strong *Image, err error) {
	weak, _, err = c.geometry(img, nil, rng)
	if err != nil {
		return nil, nil, err
	}
	strong = NewImage(weak.W, weak.H)
	copy(strong.Pix, weak.Pix)
	c.intensity(weak, rng)
	v.intensityConfig().intensity(strong, rng)
	if v.Noise > 0 {
		for i, p := range strong.Pix {
			strong.Pix[i] = float32(math.Max(0, math.Min(1, float64(p)+v.Noise*rng.NormFloat64())))
		}
	}
	return weak, strong, nil
}
