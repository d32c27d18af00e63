package synth

import (
	"math"

	"github.com/angioseg/dskd/data"
)

// Vessel fraction band enforced by Angiogram (fraction of mask pixels).
const (
	MinVesselFraction = 0.035
	MaxVesselFraction = 0.13
)

// Angiogram returns a size×size synthetic angiogram (values in [0,1], vessels
// darker than background) and its binary vessel mask. The result depends only
// on size and seed. size must be >= 32.
func Angiogram(size int, seed int64) (img, mask *data.Image) {
	if size < 32 {
		size = 32
	}
	for attempt := uint64(0); ; attempt++ {
		img, mask, frac := angiogramAttempt(size, uint64(seed), attempt)
		if (frac >= MinVesselFraction && frac <= MaxVesselFraction) || attempt >= 50 {
			return img, mask
		}
	}
}

func angiogramAttempt(n int, seed, attempt uint64) (*data.Image, *data.Image, float64) {
	r := newRNG(seed, attempt, 0x616e67)
	scale := float64(n) / 300
	bg := background(r, n)
	fov := collimator(r, n)

	vessels := &tube{n: n}
	target := r.uniform(0.035, 0.065)
	maskF := make([]float64, n*n)
	absorbV := make([]float64, n*n)
	frac := 0.0
	for trees := 0; trees < 4 && frac < target; trees++ {
		x, y, ang := treeStart(r, float64(n))
		vessels.vesselTree(r, x, y, ang, r.uniform(3.2, 5.0)*scale, scale)
		clear(maskF)
		clear(absorbV)
		vessels.render(maskF, absorbV)
		frac = maskedFraction(maskF, fov)
	}

	other := &tube{n: n}
	other.catheter(r, scale)
	for k, nw := 0, r.IntN(3); k < nw; k++ {
		other.wire(r, scale)
	}
	for k, nb := 0, 1+r.IntN(4); k < nb; k++ {
		other.blob(r, scale)
	}
	absorbO := make([]float64, n*n)
	other.render(nil, absorbO)

	strength := r.uniform(0.28, 0.42)
	chordScale := 3.0 * scale
	out := make([]float64, n*n)
	for i, b := range bg.pix {
		a := math.Max(absorbV[i], absorbO[i])
		out[i] = b * (1 - strength*(1-math.Exp(-a/chordScale)))
	}
	out = blur3(out, n)
	noise := r.uniform(0.012, 0.028)
	img := data.NewImage(n, n)
	mask := data.NewImage(n, n)
	dark := r.uniform(0.05, 0.12)
	for i, v := range out {
		v += noise * math.Sqrt(math.Max(v, 0)/0.6) * r.normal()
		if fov != nil {
			v = fov[i]*v + (1-fov[i])*(dark+0.01*r.normal())
			if fov[i] < 0.5 {
				maskF[i] = 0
			}
		}
		img.Pix[i] = float32(clamp01(v))
		mask.Pix[i] = float32(maskF[i])
	}
	return img, mask, mask.ForegroundFraction()
}

// treeStart picks a root position near the top/left part of the field with a
// heading into the image, as coronary trees enter from the ostium.
func treeStart(r rng, n float64) (x, y, ang float64) {
	x, y, _ = borderStart(r, n)
	if r.chance(0.5) { // ostium inside the field, entering near the top
		x, y = r.uniform(0.2, 0.8)*n, r.uniform(0.05, 0.25)*n
	}
	ang = math.Atan2(n*r.uniform(0.35, 0.65)-y, n*r.uniform(0.35, 0.65)-x) + r.uniform(-0.5, 0.5)
	return x, y, ang
}

func maskedFraction(m, fov []float64) float64 {
	c := 0
	for i, v := range m {
		if v > 0 && (fov == nil || fov[i] >= 0.5) {
			c++
		}
	}
	return float64(c) / float64(len(m))
}

// blur3 applies a 3×3 binomial blur with edge clamping.
func blur3(in []float64, n int) []float64 {
	tmp := make([]float64, len(in))
	out := make([]float64, len(in))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			l, rr := max(0, x-1), min(n-1, x+1)
			tmp[y*n+x] = 0.25*in[y*n+l] + 0.5*in[y*n+x] + 0.25*in[y*n+rr]
		}
	}
	for y := 0; y < n; y++ {
		u, d := max(0, y-1), min(n-1, y+1)
		for x := 0; x < n; x++ {
			out[y*n+x] = 0.25*tmp[u*n+x] + 0.5*tmp[y*n+x] + 0.25*tmp[d*n+x]
		}
	}
	return out
}
