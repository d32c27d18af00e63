package data

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenDCA1ConventionalSplit(t *testing.T) {
	d, err := OpenDCA1(td("dca1"))
	require.NoError(t, err)
	assert.Equal(t, []string{"7", "101", "120"}, names(d.Samples))
	s, err := d.ConventionalSplit()
	require.NoError(t, err)
	assert.Equal(t, []string{"7"}, names(s.Train))
	assert.Equal(t, []string{"101", "120"}, names(s.Test))
	assert.Equal(t, filepath.Join(td("dca1"), "101_gt.pgm"), s.Test[0].MaskPath)
	img, mask, err := LoadSample(s.Train[0])
	require.NoError(t, err)
	assert.Equal(t, "300x300", img.Size())
	f := mask.ForegroundFraction()
	assert.True(t, f > 0.03 && f < 0.15, "vessel fraction %v", f)
}

func TestDCA1SplitByIDs(t *testing.T) {
	d, err := OpenDCA1(td("dca1"))
	require.NoError(t, err)
	s, err := d.SplitByIDs([]int{120, 7}, []int{101})
	require.NoError(t, err)
	assert.Equal(t, []string{"120", "7"}, names(s.Train))
	assert.Equal(t, []string{"101"}, names(s.Test))
	_, err = d.SplitByIDs([]int{7, 8}, nil)
	assert.ErrorContains(t, err, "data: DCA1 split: train id 8: no pair 8.pgm/8_gt.pgm")
	_, err = d.SplitByIDs([]int{7}, []int{7})
	assert.ErrorContains(t, err, "id 7 listed in both train and test")
}

// TrainSamples and ConventionalSplit share one rule for the training ids:
// 1..100, bounds included, in id order.
func TestDCA1TrainSamples(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"0", "1", "100", "101", "134", "135", "0042"} {
		copyFile(t, td("dca1", "7.pgm"), filepath.Join(dir, id+".pgm"))
		copyFile(t, td("dca1", "7_gt.pgm"), filepath.Join(dir, id+"_gt.pgm"))
	}
	d, err := OpenDCA1(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "42", "100"}, names(d.TrainSamples()))
	s, err := d.ConventionalSplit()
	require.NoError(t, err)
	assert.Equal(t, names(d.TrainSamples()), names(s.Train))
	assert.Equal(t, []string{"101", "134"}, names(s.Test))

	d, err = OpenDCA1(td("dca1"))
	require.NoError(t, err)
	assert.Equal(t, []string{"7"}, names(d.TrainSamples()))
}

func TestOpenDCA1ReportsMissingPairsByName(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"1.pgm", "1_gt.pgm", "2.pgm", "3_gt.pgm", "README.txt", "notes.pgm"} {
		copyFile(t, td("dca1", "7.pgm"), filepath.Join(dir, f))
	}
	logs := captureLogs(t)
	_, err := OpenDCA1(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 incomplete pairs")
	assert.Contains(t, err.Error(), "2.pgm has no mask 2_gt.pgm")
	assert.Contains(t, err.Error(), "3_gt.pgm has no image 3.pgm")
	assert.Contains(t, logs.String(), "README.txt")
	assert.Contains(t, logs.String(), "notes.pgm")
}

func TestOpenDCA1EmptyFolder(t *testing.T) {
	_, err := OpenDCA1(t.TempDir())
	assert.ErrorContains(t, err, "no N.pgm/N_gt.pgm pairs found")
	_, err = OpenDCA1(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorContains(t, err, "data: listing")
}

func TestDCA1ConventionalSplitNeedsBothSides(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, td("dca1", "7.pgm"), filepath.Join(dir, "7.pgm"))
	copyFile(t, td("dca1", "7_gt.pgm"), filepath.Join(dir, "7_gt.pgm"))
	d, err := OpenDCA1(dir)
	require.NoError(t, err)
	_, err = d.ConventionalSplit()
	assert.ErrorContains(t, err, "1 train (ids 1..100) and 0 test")
}

func TestOpenXCAD(t *testing.T) {
	x, err := OpenXCAD(td("xcad"))
	require.NoError(t, err)
	assert.Equal(t, []string{"000", "001", "002"}, names(x.Labelled))
	assert.Equal(t, []string{"seq_A/frame_000.png", "seq_A/frame_001.png"}, names(x.Unlabelled))
	for _, u := range x.Unlabelled {
		assert.False(t, u.Labelled())
	}
	img, mask, err := LoadSample(x.Labelled[1])
	require.NoError(t, err)
	assert.Equal(t, "512x512", img.Size())
	assert.Equal(t, "512x512", mask.Size())

	fixed, err := x.FixedSplit()
	require.NoError(t, err)
	assert.Equal(t, []string{"000", "001"}, names(fixed.Train)) // round(3*100/126) = 2
	assert.Equal(t, []string{"002"}, names(fixed.Test))

	f0, err := x.KFold(3, 0, 1)
	require.NoError(t, err)
	assert.Len(t, f0.Test, 1)
	assert.Len(t, f0.Train, 2)
}

func TestXCADFixedSplitIs100To26(t *testing.T) {
	x := &XCAD{Labelled: fakeSamples(126)}
	s, err := x.FixedSplit()
	require.NoError(t, err)
	assert.Len(t, s.Train, 100)
	assert.Len(t, s.Test, 26)
	assert.Equal(t, "s099", s.Train[99].Name)
	assert.Equal(t, "s100", s.Test[0].Name)
}

func TestOpenFolderGeneric(t *testing.T) {
	s, err := OpenFolder(td("generic"))
	require.NoError(t, err)
	assert.Len(t, s, 6)
	assert.Equal(t, "000", s[0].Name)
}

func TestOpenFolderMatchesStemsAcrossExtensions(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, td("generic", "images", "000.png"), filepath.Join(dir, "images", "a.PNG"))
	copyFile(t, td("dca1", "7_gt.pgm"), filepath.Join(dir, "masks", "a.pgm"))
	copyFile(t, td("bad", "not_image.txt"), filepath.Join(dir, "images", "notes.txt"))
	s, err := OpenFolder(dir)
	require.NoError(t, err)
	require.Len(t, s, 1)
	assert.Equal(t, filepath.Join(dir, "masks", "a.pgm"), s[0].MaskPath)
	// sizes differ (64x64 vs 300x300): reported when loading
	_, _, err = LoadSample(s[0])
	assert.ErrorContains(t, err, "is 64x64 but mask")
}

func TestOpenFolderBadLayouts(t *testing.T) {
	_, err := OpenFolder(td("bad", "missing_mask"))
	assert.ErrorContains(t, err, "image b.png has no mask b.*")

	s, err := OpenFolder(td("bad", "size_mismatch"))
	require.NoError(t, err)
	_, _, err = LoadSample(s[0])
	assert.ErrorContains(t, err, "data: sample a: image")
	assert.ErrorContains(t, err, "is 32x32 but mask")
	assert.ErrorContains(t, err, "is 16x16")

	empty := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(empty, "images"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(empty, "masks"), 0o755))
	_, err = OpenFolder(empty)
	assert.ErrorContains(t, err, "no images found")

	_, err = OpenFolder(t.TempDir())
	assert.ErrorContains(t, err, "images")

	amb := t.TempDir()
	copyFile(t, td("generic", "images", "000.png"), filepath.Join(amb, "images", "a.png"))
	copyFile(t, td("generic", "images", "000.png"), filepath.Join(amb, "images", "a.pgm"))
	copyFile(t, td("generic", "masks", "000.png"), filepath.Join(amb, "masks", "a.png"))
	_, err = OpenFolder(amb)
	assert.ErrorContains(t, err, "ambiguous a.pgm and a.png")
}

func fakeSamples(n int) []Sample {
	out := make([]Sample, n)
	for i := range out {
		name := "s" + pad3(i)
		out[i] = Sample{Name: name, ImagePath: name + ".png", MaskPath: name + "_m.png"}
	}
	return out
}

func pad3(i int) string {
	s := itoa(i)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	require.NoError(t, os.WriteFile(dst, b, 0o644))
}
