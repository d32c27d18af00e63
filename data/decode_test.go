package data

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodePGMP5AndP2(t *testing.T) {
	p5 := append([]byte("P5\n# comment\n3 2\n255\n"), 0, 51, 255, 102, 204, 153)
	r, err := DecodePGM(bytes.NewReader(p5))
	require.NoError(t, err)
	assert.Equal(t, 3, r.Image.W)
	assert.Equal(t, 2, r.Image.H)
	assert.Equal(t, 255, r.MaxVal)
	assert.InDeltaSlice(t, []float32{0, 0.2, 1, 0.4, 0.8, 0.6}, r.Image.Pix, 1e-6)

	p2 := []byte("P2\n2 2\n# c\n10\n0 5\n10 2\n")
	r, err = DecodePGM(bytes.NewReader(p2))
	require.NoError(t, err)
	assert.Equal(t, "pgm-p2", r.Format)
	assert.InDeltaSlice(t, []float32{0, 0.5, 1, 0.2}, r.Image.Pix, 1e-6)
}

func TestEncodePGMRoundTrip(t *testing.T) {
	img := &Image{W: 2, H: 2, Pix: []float32{0, 0.25, 0.5, 1}}
	for _, mv := range []int{255, 65535} {
		var b bytes.Buffer
		require.NoError(t, EncodePGM(&b, img, mv))
		r, err := DecodePGM(&b)
		require.NoError(t, err)
		assert.Equal(t, mv, r.MaxVal)
		assert.InDeltaSlice(t, img.Pix, r.Image.Pix, 1.0/255)
	}
	assert.ErrorContains(t, EncodePGM(&bytes.Buffer{}, img, 1000), "maxVal 1000")
}

func TestEncodePNGRoundTrip(t *testing.T) {
	img := &Image{W: 3, H: 1, Pix: []float32{0, 0.5, 1}}
	var b bytes.Buffer
	require.NoError(t, EncodePNG(&b, img))
	r, err := Decode("x.png", b.Bytes())
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float32{0, 128.0 / 255, 1}, r.Image.Pix, 1e-6)
}

func TestDecodeDetectsFormatByContentNotExtension(t *testing.T) {
	b, err := os.ReadFile(td("dca1", "7.pgm"))
	require.NoError(t, err)
	r, err := Decode("misnamed.png", b)
	require.NoError(t, err)
	assert.Equal(t, "pgm-p5", r.Format)
	assert.Equal(t, 300, r.Image.W)
}

func TestBadFilesGiveClearErrors(t *testing.T) {
	cases := []struct{ file, want string }{
		{"truncated.png", "truncated.png: decoding"},
		{"corrupt.pgm", "corrupt.pgm: decoding: pgm: header height"},
		{"header_lies.pgm", "header says 300x300"},
		{"not_image.txt", "unsupported image format"},
		{"does_not_exist.png", "does_not_exist.png"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			_, err := LoadImage(td("bad", c.file))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "data: ")
			assert.Contains(t, err.Error(), c.want)
		})
	}
	_, err := LoadImage(td("bad", "not_image.txt"))
	assert.ErrorIs(t, err, ErrUnsupportedFormat)
}

func TestRGBConvertedWithBT601Luma(t *testing.T) {
	logs := captureLogs(t)
	r, err := ReadRaw(td("bad", "rgb.png"))
	require.NoError(t, err)
	assert.True(t, r.Color)
	require.Equal(t, 8, len(r.Image.Pix))
	want := []float64{0.299 * 255, 0.587 * 255, 0.114 * 255, 255, 0, 128, 0.299*10 + 0.587*20 + 0.114*30, 0.299*200 + 0.587*100 + 0.114*50}
	for i, w := range want {
		assert.InDelta(t, w/255, r.Image.Pix[i], 0.5/255+1e-6, "pixel %d", i)
	}
	assert.Contains(t, logs.String(), "converted colour image to gray")
}

func Test16BitInputKeepsPrecision(t *testing.T) {
	for _, f := range []string{"gray16.pgm", "gray16.png"} {
		r, err := ReadRaw(td("bad", f))
		require.NoError(t, err, f)
		assert.Equal(t, 65535, r.MaxVal, f)
		assert.False(t, r.Color, f)
		require.Equal(t, 256, len(r.Image.Pix))
		for i := 0; i < 256; i++ {
			assert.InDelta(t, float32(i*257)/65535, r.Image.Pix[i], 1e-6, "%s pixel %d", f, i)
		}
	}
}
