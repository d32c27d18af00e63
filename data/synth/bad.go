package synth

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"path/filepath"

	"github.com/angioseg/dskd/data"
)

// BadRGB holds the pixels of bad/rgb.png (4x2, row-major), for checking the
// BT.601 luma conversion.
var BadRGB = []color.RGBA{
	{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255},
	{0, 0, 0, 255}, {128, 128, 128, 255}, {10, 20, 30, 255}, {200, 100, 50, 255},
}

// BadAntialiasedValues are the 8-bit values of the first row of
// bad/mask_antialiased.png (other rows are 0).
var BadAntialiasedValues = []uint8{0, 64, 127, 128, 200, 255, 0, 0}

// WriteBadFixtures writes broken or unusual files under dir:
//
//	truncated.png        valid 32x32 PNG cut in half
//	corrupt.pgm          P5 header with a non-numeric height
//	header_lies.pgm      header says 300x300, holds 32x32 pixels
//	rgb.png              4x2 RGB PNG with the colours in BadRGB
//	gray16.pgm           16-bit P5, 16x16, pixel i = i*257 (i = 0..255)
//	gray16.png           16-bit PNG, same values as gray16.pgm
//	mask_zero.png        32x32 all-zero mask
//	mask_01.png          32x32 mask with values 0/1 (1 in the 8x8 square at 8..15)
//	mask_antialiased.png 8x2 mask, first row BadAntialiasedValues
//	mask16_low.pgm       16-bit 8x8 mask using 0/255 (below the 0.5 threshold)
//	not_image.txt        text file
//	size_mismatch/       images/a.png 32x32, masks/a.png 16x16
//	missing_mask/        images/a.png, images/b.png, masks/a.png
//	truncated_pair/      images/a.png ok, images/b.png truncated, both masks ok
func WriteBadFixtures(dir string) error {
	p := func(name string) string { return filepath.Join(dir, filepath.FromSlash(name)) }
	img32 := gradient(32, 32)
	mask32 := data.NewImage(32, 32)
	for y := 8; y < 16; y++ {
		for x := 8; x < 16; x++ {
			mask32.Set(x, y, 1)
		}
	}
	full := encodePNG(img32)
	files := map[string][]byte{
		"truncated.png":   full[:len(full)/2],
		"corrupt.pgm":     append([]byte("P5\n32 x32\n255\n"), make([]byte, 32*32)...),
		"header_lies.pgm": append([]byte("P5\n300 300\n255\n"), make([]byte, 32*32)...),
		"not_image.txt":   []byte("this is not an image\n"),
	}
	// rgb.png
	rgb := image.NewRGBA(image.Rect(0, 0, 4, 2))
	for i, c := range BadRGB {
		rgb.SetRGBA(i%4, i/4, c)
	}
	files["rgb.png"] = encodeStd(rgb)
	// 16-bit
	g16 := image.NewGray16(image.Rect(0, 0, 16, 16))
	var pgm16 bytes.Buffer
	pgm16.WriteString("P5\n16 16\n65535\n")
	for i := 0; i < 256; i++ {
		v := uint16(i * 257)
		g16.SetGray16(i%16, i/16, color.Gray16{Y: v})
		pgm16.Write([]byte{byte(v >> 8), byte(v)})
	}
	files["gray16.pgm"] = pgm16.Bytes()
	files["gray16.png"] = encodeStd(g16)
	// masks
	files["mask_zero.png"] = encodePNG(data.NewImage(32, 32))
	m01 := image.NewGray(image.Rect(0, 0, 32, 32))
	for i, v := range mask32.Pix {
		m01.Pix[i] = uint8(v)
	}
	files["mask_01.png"] = encodeStd(m01)
	aa := image.NewGray(image.Rect(0, 0, 8, 2))
	copy(aa.Pix, BadAntialiasedValues)
	files["mask_antialiased.png"] = encodeStd(aa)
	var low bytes.Buffer
	low.WriteString("P5\n8 8\n65535\n")
	for i := 0; i < 64; i++ {
		v := 0
		if i%3 == 0 {
			v = 255
		}
		low.Write([]byte{byte(v >> 8), byte(v)})
	}
	files["mask16_low.pgm"] = low.Bytes()
	// folder fixtures
	files["size_mismatch/images/a.png"] = full
	files["size_mismatch/masks/a.png"] = encodePNG(data.NewImage(16, 16))
	files["missing_mask/images/a.png"] = full
	files["missing_mask/images/b.png"] = full
	files["missing_mask/masks/a.png"] = encodePNG(mask32)
	files["truncated_pair/images/a.png"] = full
	files["truncated_pair/images/b.png"] = full[:len(full)/2]
	files["truncated_pair/masks/a.png"] = encodePNG(mask32)
	files["truncated_pair/masks/b.png"] = encodePNG(mask32)
	for name, b := range files {
		if err := writeFile(p(name), b); err != nil {
			return err
		}
	}
	return nil
}

func gradient(w, h int) *data.Image {
	img := data.NewImage(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, float32(x+y)/float32(w+h-2))
		}
	}
	return img
}

func encodePNG(img *data.Image) []byte {
	var b bytes.Buffer
	_ = data.EncodePNG(&b, img) // writing to a bytes.Buffer cannot fail
	return b.Bytes()
}

func encodeStd(m image.Image) []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, m) // writing to a bytes.Buffer cannot fail
	return b.Bytes()
}
