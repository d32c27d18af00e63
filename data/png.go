package data

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
)

// decodeStd decodes PNG or JPEG through the standard library and converts to
// gray. Colour pixels become ITU-R BT.601 luma 0.299R + 0.587G + 0.114B
// (alpha is ignored: colour values are un-premultiplied first).
func decodeStd(data []byte, format string) (*Raw, error) {
	var m image.Image
	var err error
	if format == "png" {
		m, err = png.Decode(bytes.NewReader(data))
	} else {
		m, err = jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, err
	}
	b := m.Bounds()
	img := NewImage(b.Dx(), b.Dy())
	raw := &Raw{Image: img, MaxVal: 255, Format: format}
	switch t := m.(type) {
	case *image.Gray:
		for y := 0; y < img.H; y++ {
			for x := 0; x < img.W; x++ {
				img.Pix[y*img.W+x] = float32(t.GrayAt(b.Min.X+x, b.Min.Y+y).Y) / 255
			}
		}
		return raw, nil
	case *image.Gray16:
		raw.MaxVal = 65535
		for y := 0; y < img.H; y++ {
			for x := 0; x < img.W; x++ {
				img.Pix[y*img.W+x] = float32(t.Gray16At(b.Min.X+x, b.Min.Y+y).Y) / 65535
			}
		}
		return raw, nil
	}
	raw.Color = true
	switch m.ColorModel() {
	case color.RGBA64Model, color.NRGBA64Model:
		raw.MaxVal = 65535
	}
	for y := 0; y < img.H; y++ {
		for x := 0; x < img.W; x++ {
			c := color.NRGBA64Model.Convert(m.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
			l := 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
			v := float32(l / 65535)
			if raw.MaxVal == 255 {
				// Snap to the 8-bit grid so 0/1 and binary-mask detection stays exact.
				v = float32(quantize(v, 255)) / 255
			}
			img.Pix[y*img.W+x] = v
		}
	}
	return raw, nil
}

// EncodePNG writes img as an 8-bit grayscale PNG (values clamped to [0,1], rounded).
func EncodePNG(w io.Writer, img *Image) error {
	g := image.NewGray(image.Rect(0, 0, img.W, img.H))
	for i, v := range img.Pix {
		g.Pix[i] = byte(quantize(v, 255))
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	return enc.Encode(w, g)
}
