package data

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func gradientImage(w, h int) *Image {
	img := NewImage(w, h)
	for i := range img.Pix {
		img.Pix[i] = float32(i%w) / float32(w)
	}
	return img
}

// The weak view is exactly Augment's output; the strong one shares its
// geometry (same pixel order) with other intensities.
func TestAugmentViewsShareGeometry(t *testing.T) {
	src := gradientImage(16, 12)
	cfg := DefaultAugment(8)
	weak, strong, err := cfg.AugmentViews(src, DefaultStrongView(), rand.New(rand.NewPCG(3, 4)))
	require.NoError(t, err)
	want, _, err := cfg.Augment(src, nil, rand.New(rand.NewPCG(3, 4)))
	require.NoError(t, err)
	assert.Equal(t, want.Pix, weak.Pix, "the weak view is Augment's")
	assert.NotEqual(t, weak.Pix, strong.Pix)

	// Without intensity steps on either side the two views are equal: the
	// geometry is one draw.
	plain := AugmentConfig{FlipH: true, FlipV: true, Rot90: true, CropSize: 8}
	w2, s2, err := plain.AugmentViews(src, StrongView{}, rand.New(rand.NewPCG(9, 9)))
	require.NoError(t, err)
	assert.Equal(t, w2.Pix, s2.Pix)
	for _, p := range strong.Pix {
		require.True(t, p >= 0 && p <= 1, "clipped to [0,1]")
	}
	assert.ErrorContains(t, StrongView{Noise: 0.9}.Validate(), "data: strong view: noise 0.9: must lie in [0, 0.5]")
}

func TestIteratorMakesTwoViewsOfUnlabelledFrames(t *testing.T) {
	s := genericSamples(t)
	for i := range s {
		s[i].MaskPath = ""
	}
	sv := DefaultStrongView()
	b := collect(t, s, IteratorConfig{BatchSize: 2, Seed: 1, Augment: DefaultAugment(32), Strong: &sv}, 0)
	require.NotEmpty(t, b)
	assert.Nil(t, b[0].Masks)
	assert.Len(t, b[0].Strong, len(b[0].Images))
	assert.NotEqual(t, b[0].Strong, b[0].Images)
	one := collect(t, s, IteratorConfig{BatchSize: 2, Seed: 1, Augment: DefaultAugment(32)}, 0)
	assert.Equal(t, one[0].Images, b[0].Images, "the weak views are the one-view batches")
	assert.Nil(t, one[0].Strong)

	_, err := NewIterator(genericSamples(t), IteratorConfig{Strong: &sv}, 0)
	assert.ErrorContains(t, err, "Strong views are for unlabelled samples")
}

func TestHideLabelsKeepsSomeAndMovesTheRest(t *testing.T) {
	s := genericSamples(t)
	split := Split{Train: s[:5], Test: s[5:]}
	h, err := split.HideLabels(2, 7)
	require.NoError(t, err)
	assert.Len(t, h.Train, 2)
	assert.Len(t, h.Unlabelled, 3)
	assert.Equal(t, split.Test, h.Test)
	seen := map[string]bool{}
	for _, x := range h.Train {
		assert.True(t, x.Labelled())
		seen[x.Name] = true
	}
	for _, x := range h.Unlabelled {
		assert.False(t, x.Labelled(), "its mask is set aside")
		assert.False(t, seen[x.Name])
		seen[x.Name] = true
	}
	assert.Len(t, seen, 5, "every training sample is in exactly one part")
	again, err := split.HideLabels(2, 7)
	require.NoError(t, err)
	assert.Equal(t, h, again, "seeded")
	other, err := split.HideLabels(2, 8)
	require.NoError(t, err)
	assert.NotEqual(t, h.Train, other.Train)
	_, err = split.HideLabels(6, 7)
	assert.ErrorContains(t, err, "HideLabels: keep 6 of 5 training samples")
}

func TestUnlabelMovesTheNamedTrainingSamples(t *testing.T) {
	s := genericSamples(t)
	split := Split{Train: s[:5], Test: s[5:]}
	u, err := split.Unlabel(s[1].Name, s[3].Name)
	require.NoError(t, err)
	assert.Equal(t, []string{s[0].Name, s[2].Name, s[4].Name}, names(u.Train))
	assert.Equal(t, []string{s[1].Name, s[3].Name}, names(u.Unlabelled))
	for _, x := range u.Unlabelled {
		assert.False(t, x.Labelled(), "its mask is set aside")
	}
	assert.Equal(t, split.Test, u.Test)
	assert.Len(t, split.Unlabelled, 0, "the receiver is unchanged")

	_, err = split.Unlabel(s[1].Name, "nope")
	assert.EqualError(t, err, `data: Unlabel: "nope" is not a training sample`)
	_, err = split.Unlabel(s[5].Name)
	assert.ErrorContains(t, err, "is not a training sample", "a test sample cannot be unlabelled")
	_, err = split.Unlabel(names(s[:5])...)
	assert.EqualError(t, err, "data: Unlabel: all 5 training samples would be unlabelled")
}

func TestOpenImagesListsAFolderOfFrames(t *testing.T) {
	f, err := OpenImages(td("xcad", "train"))
	require.NoError(t, err)
	assert.Equal(t, []string{"seq_A/frame_000.png", "seq_A/frame_001.png"}, names(f))
	for _, x := range f {
		assert.False(t, x.Labelled())
		assert.FileExists(t, x.ImagePath)
	}
	empty := t.TempDir()
	_, err = OpenImages(empty)
	assert.EqualError(t, err, "data: unlabelled frames "+empty+": no image files")
	_, err = OpenImages(filepath.Join(empty, "missing"))
	assert.ErrorContains(t, err, "missing: not a folder")
}
