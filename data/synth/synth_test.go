package synth

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAngiogramVesselFractionInBand(t *testing.T) {
	for _, size := range []int{DCA1Size, XCADSize} {
		for seed := int64(0); seed < 12; seed++ {
			_, mask := Angiogram(size, seed)
			f := mask.ForegroundFraction()
			assert.GreaterOrEqual(t, f, 0.03, "size %d seed %d", size, seed)
			assert.LessOrEqual(t, f, 0.15, "size %d seed %d", size, seed)
		}
	}
}

func TestAngiogramDeterministicBySeed(t *testing.T) {
	a, am := Angiogram(300, 7)
	b, bm := Angiogram(300, 7)
	c, cm := Angiogram(300, 8)
	assert.Equal(t, a.Pix, b.Pix)
	assert.Equal(t, am.Pix, bm.Pix)
	assert.NotEqual(t, a.Pix, c.Pix)
	assert.NotEqual(t, am.Pix, cm.Pix)
}

func TestAngiogramVesselsDarkerThanBackgroundButOverlapping(t *testing.T) {
	img, mask := Angiogram(300, 3)
	var fg, bg float64
	var nf, nb int
	bgDarkerThanVesselMean := 0
	for i, v := range img.Pix {
		if mask.Pix[i] == 1 {
			fg += float64(v)
			nf++
		} else {
			bg += float64(v)
			nb++
		}
	}
	fg /= float64(nf)
	bg /= float64(nb)
	for i, v := range img.Pix {
		if mask.Pix[i] == 0 && float64(v) < fg {
			bgDarkerThanVesselMean++
		}
	}
	assert.Less(t, fg, bg-0.03, "vessels must be darker on average")
	// Not solvable by a global threshold: a sizeable share of background is darker than the mean vessel.
	assert.Greater(t, float64(bgDarkerThanVesselMean)/float64(nb), 0.02)
}

func TestLayoutsSameSeedSameBytes(t *testing.T) {
	d1, d2, d3 := t.TempDir(), t.TempDir(), t.TempDir()
	require.NoError(t, WriteXCAD(d1, 2, 1, 64, 5))
	require.NoError(t, WriteXCAD(d2, 2, 1, 64, 5))
	require.NoError(t, WriteXCAD(d3, 2, 1, 64, 6))
	a := readTree(t, d1)
	assert.Equal(t, a, readTree(t, d2))
	assert.NotEqual(t, a, readTree(t, d3))
	assert.Contains(t, a, "test/images/000.png")
	assert.Contains(t, a, "test/masks/001.png")
	assert.Contains(t, a, "train/seq_A/frame_000.png")
}

// TestShippedTestdataMatchesGenerator guards against drift between testdata/
// and the generator. Regenerate with: go generate ./data/synth
func TestShippedTestdataMatchesGenerator(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("byte-exact generation is guaranteed on amd64 only (FMA fusion elsewhere)")
	}
	fresh := t.TempDir()
	require.NoError(t, WriteTestdata(fresh))
	want := readGenerated(t, fresh)
	got := readGenerated(t, filepath.Join("..", "..", "testdata"))
	require.Equal(t, len(want), len(got), "file count differs; run go generate ./data/synth")
	for name, b := range want {
		g, ok := got[name]
		if assert.True(t, ok, "missing %s; run go generate ./data/synth", name) {
			assert.True(t, bytes.Equal(b, g), "%s differs from generator output; run go generate ./data/synth", name)
		}
	}
}

func TestShippedTestdataUnder2MB(t *testing.T) {
	total := 0
	for _, b := range readGenerated(t, filepath.Join("..", "..", "testdata")) {
		total += len(b)
	}
	assert.Less(t, total, 1600<<10)
}

// readGenerated reads the subtrees written by WriteTestdata; other folders of
// testdata/ belong to other packages.
func readGenerated(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, sub := range TestdataDirs {
		for name, b := range readTree(t, filepath.Join(root, sub)) {
			out[sub+"/"+name] = b
		}
	}
	return out
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = b
		return nil
	}))
	return out
}
