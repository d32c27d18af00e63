package data

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// coordImage encodes each pixel's source index in its value; its mask is the
// parity of x+y, so after a geometric transform the mask at every output pixel
// must equal the parity of the source coordinate decoded from the image.
func coordImage(w, h int) (*Image, *Image) {
	img, mask := NewImage(w, h), NewImage(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, float32(y*w+x)/float32(w*h))
			mask.Set(x, y, float32((x+y)%2))
		}
	}
	return img, mask
}

func TestAugmentMaskFollowsImageExactly(t *testing.T) {
	cfg := AugmentConfig{FlipH: true, FlipV: true, Rot90: true, CropSize: 24}
	for _, size := range [][2]int{{40, 40}, {48, 32}} {
		img, mask := coordImage(size[0], size[1])
		kinds := map[float32]bool{}
		for seed := uint64(0); seed < 40; seed++ {
			ai, am, err := cfg.Augment(img, mask, newRand(seed))
			require.NoError(t, err)
			require.Equal(t, 24, ai.W)
			require.Equal(t, 24, am.H)
			seen := map[int]bool{}
			for i, v := range ai.Pix {
				src := int(math.Round(float64(v) * float64(img.W*img.H)))
				sx, sy := src%img.W, src/img.W
				require.Equal(t, float32((sx+sy)%2), am.Pix[i], "seed %d pixel %d", seed, i)
				require.False(t, seen[src], "source pixel used twice")
				seen[src] = true
			}
			kinds[ai.Pix[0]] = true
		}
		assert.Greater(t, len(kinds), 10, "augmentations should vary with the seed")
	}
}

func TestAugmentRotationScalePairsBilinearAndNearest(t *testing.T) {
	// Blocky mask; image = 0.25 + 0.5*mask. Where all bilinear neighbours
	// agree, the image is exactly 0.25 or 0.75 and must agree with the mask.
	w := 64
	img, mask := NewImage(w, w), NewImage(w, w)
	for y := 0; y < w; y++ {
		for x := 0; x < w; x++ {
			m := float32(((x / 8) + (y / 8)) % 2)
			mask.Set(x, y, m)
			img.Set(x, y, 0.25+0.5*m)
		}
	}
	cfg := AugmentConfig{MaxRotateDeg: 30, MaxScale: 0.3}
	for seed := uint64(0); seed < 10; seed++ {
		ai, am, err := cfg.Augment(img, mask, newRand(seed))
		require.NoError(t, err)
		exact, agree := 0, 0
		for i, v := range ai.Pix {
			if v == 0.25 || v == 0.75 {
				exact++
				if (v == 0.75) == (am.Pix[i] == 1) {
					agree++
				}
			}
			require.True(t, am.Pix[i] == 0 || am.Pix[i] == 1, "mask stays binary")
		}
		assert.Greater(t, exact, w*w/2)
		assert.Equal(t, exact, agree, "seed %d", seed)
	}
}

func TestAugmentZeroConfigIsIdentity(t *testing.T) {
	img, mask := coordImage(16, 8)
	ai, am, err := AugmentConfig{}.Augment(img, mask, newRand(1))
	require.NoError(t, err)
	assert.Equal(t, img.Pix, ai.Pix)
	assert.Equal(t, mask.Pix, am.Pix)
}

func TestAugmentIntensityTouchesImageOnly(t *testing.T) {
	img, mask := coordImage(16, 16)
	cfg := AugmentConfig{Brightness: 0.2, Contrast: 0.3, Gamma: 0.5}
	ai, am, err := cfg.Augment(img, mask, newRand(3))
	require.NoError(t, err)
	assert.Equal(t, mask.Pix, am.Pix)
	assert.NotEqual(t, img.Pix, ai.Pix)
	for _, v := range ai.Pix {
		require.True(t, v >= 0 && v <= 1)
	}
}

func TestAugmentErrors(t *testing.T) {
	img, mask := coordImage(16, 16)
	_, _, err := AugmentConfig{CropSize: 17}.Augment(img, mask, newRand(1))
	assert.ErrorContains(t, err, "data: AugmentConfig.CropSize 17 larger than image 16x16")
	_, _, err = AugmentConfig{}.Augment(img, NewImage(8, 8), newRand(1))
	assert.ErrorContains(t, err, "differ in size")
	assert.EqualError(t, AugmentConfig{MaxRotateDeg: 90}.Validate(), "data: augment: max_rotate_deg 90: must lie in [0, 45]")
	assert.EqualError(t, AugmentConfig{Contrast: math.NaN()}.Validate(), "data: augment: contrast NaN: must lie in [0, 1)")
	assert.NoError(t, DefaultAugment(256).Validate())
}

func TestNormalization(t *testing.T) {
	img := &Image{W: 4, H: 1, Pix: []float32{0.2, 0.4, 0.6, 0.8}}
	z := img.Clone()
	NormZScore.Apply(z)
	var mean, sq float64
	for _, v := range z.Pix {
		mean += float64(v)
		sq += float64(v * v)
	}
	assert.InDelta(t, 0, mean/4, 1e-6)
	assert.InDelta(t, 1, sq/4, 1e-5)
	m := img.Clone()
	NormMinMax.Apply(m)
	assert.InDeltaSlice(t, []float32{0, 1.0 / 3, 2.0 / 3, 1}, m.Pix, 1e-6)
	c := &Image{W: 2, H: 1, Pix: []float32{0.5, 0.5}}
	NormMinMax.Apply(c)
	assert.Equal(t, []float32{0, 0}, c.Pix)
	n := img.Clone()
	NormNone.Apply(n)
	assert.Equal(t, img.Pix, n.Pix)
}
