package data

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// maxPGMPixels bounds the header size so a lying header cannot trigger a huge allocation.
const maxPGMPixels = 1 << 28

// Raw is a decoded grayscale image before mask handling: Image values are
// pixel/MaxVal in [0,1], where MaxVal is the format's maximum value
// (PGM header maxval; 255 for 8-bit PNG/JPEG; 65535 for 16-bit PNG).
type Raw struct {
	Image  *Image
	MaxVal int
	Format string // "pgm-p5", "pgm-p2", "png", "jpeg"
	Color  bool   // true if the source had colour channels converted to luma
}

// DecodePGM decodes a binary (P5) or ASCII (P2) PGM with maxval 1..65535.
// Comments (#) in the header are allowed. Truncated pixel data, sizes that do
// not match the data, and values above maxval are errors.
func DecodePGM(r io.Reader) (*Raw, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, 2)
	if _, err := io.ReadFull(br, magic); err != nil {
		return nil, fmt.Errorf("pgm: reading magic: %w", err)
	}
	if magic[0] != 'P' || (magic[1] != '5' && magic[1] != '2') {
		return nil, fmt.Errorf("pgm: bad magic %q (want P5 or P2)", magic)
	}
	var hdr [3]int
	names := [3]string{"width", "height", "maxval"}
	for i := range hdr {
		v, err := pgmHeaderInt(br)
		if err != nil {
			return nil, fmt.Errorf("pgm: header %s: %w", names[i], err)
		}
		hdr[i] = v
	}
	w, h, maxv := hdr[0], hdr[1], hdr[2]
	if w <= 0 || h <= 0 || w*h > maxPGMPixels || w > maxPGMPixels || h > maxPGMPixels {
		return nil, fmt.Errorf("pgm: invalid size %dx%d", w, h)
	}
	if maxv < 1 || maxv > 65535 {
		return nil, fmt.Errorf("pgm: invalid maxval %d (want 1..65535)", maxv)
	}
	// The image is allocated only once its pixels are read, so a header
	// claiming a huge size cannot force a huge allocation.
	raw := &Raw{MaxVal: maxv}
	var err error
	if magic[1] == '5' {
		raw.Format = "pgm-p5"
		raw.Image, err = pgmBinary(br, w, h, maxv)
	} else {
		raw.Format = "pgm-p2"
		raw.Image, err = pgmASCII(br, w, h, maxv)
	}
	if err != nil {
		return nil, err
	}
	return raw, nil
}

// pgmValue returns raw value v of pixel i as v/maxv, refusing values above maxv.
func pgmValue(i, v, maxv int) (float32, error) {
	if v > maxv {
		return 0, fmt.Errorf("pgm: pixel %d value %d exceeds maxval %d", i, v, maxv)
	}
	return float32(v) / float32(maxv), nil
}

// pgmHeaderInt skips whitespace and comments, then reads a decimal integer
// followed by exactly one whitespace byte.
func pgmHeaderInt(br *bufio.Reader) (int, error) {
	if err := skipSpaceAndComments(br); err != nil {
		return 0, err
	}
	v, digits := 0, 0
	for {
		c, err := br.ReadByte()
		if err != nil {
			if digits > 0 && err == io.EOF {
				return v, nil
			}
			return 0, err
		}
		if c >= '0' && c <= '9' {
			if v > maxPGMPixels {
				return 0, fmt.Errorf("number too large")
			}
			v = v*10 + int(c-'0')
			digits++
			continue
		}
		if digits == 0 {
			return 0, fmt.Errorf("unexpected byte %q", c)
		}
		if !isSpace(c) {
			return 0, fmt.Errorf("unexpected byte %q after number", c)
		}
		return v, nil
	}
}

func skipSpaceAndComments(br *bufio.Reader) error {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return err
		}
		if c == '#' {
			if _, err := br.ReadBytes('\n'); err != nil {
				return err
			}
			continue
		}
		if !isSpace(c) {
			return br.UnreadByte()
		}
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func pgmBinary(br *bufio.Reader, w, h, maxv int) (*Image, error) {
	bpp := 1
	if maxv > 255 {
		bpp = 2
	}
	want := w * h * bpp
	buf := make([]byte, 0, min(want, 1<<20))
	// Read incrementally so a header claiming a huge size cannot force a huge allocation.
	chunk := make([]byte, 64<<10)
	for len(buf) < want {
		n, err := br.Read(chunk[:min(len(chunk), want-len(buf))])
		buf = append(buf, chunk[:n]...)
		if err != nil {
			if err == io.EOF {
				break
			}
			return nil, fmt.Errorf("pgm: reading pixels: %w", err)
		}
	}
	if len(buf) < want {
		return nil, fmt.Errorf("pgm: truncated pixel data: header says %dx%d (%d bytes), file has %d bytes", w, h, want, len(buf))
	}
	img := NewImage(w, h)
	for i := range img.Pix {
		v := int(buf[i])
		if bpp == 2 {
			v = int(buf[2*i])<<8 | int(buf[2*i+1])
		}
		var err error
		if img.Pix[i], err = pgmValue(i, v, maxv); err != nil {
			return nil, err
		}
	}
	return img, nil
}

func pgmASCII(br *bufio.Reader, w, h, maxv int) (*Image, error) {
	pix := make([]float32, 0, min(w*h, 1<<20))
	for len(pix) < w*h {
		v, err := pgmHeaderInt(br)
		if err != nil {
			if err == io.EOF {
				return nil, fmt.Errorf("pgm: truncated pixel data: header says %dx%d (%d values), file has %d", w, h, w*h, len(pix))
			}
			return nil, fmt.Errorf("pgm: pixel %d: %w", len(pix), err)
		}
		f, err := pgmValue(len(pix), v, maxv)
		if err != nil {
			return nil, err
		}
		pix = append(pix, f)
	}
	return &Image{W: w, H: h, Pix: pix}, nil
}

// EncodePGM writes img as binary PGM (P5). maxVal must be 255 (8-bit) or
// 65535 (16-bit big-endian); values are clamped to [0,1] and rounded.
func EncodePGM(w io.Writer, img *Image, maxVal int) error {
	if maxVal != 255 && maxVal != 65535 {
		return errorf("EncodePGM: maxVal %d not supported (want 255 or 65535)", maxVal)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "P5\n%d %d\n%d\n", img.W, img.H, maxVal)
	for _, v := range img.Pix {
		q := quantize(v, maxVal)
		if maxVal == 255 {
			b.WriteByte(byte(q))
		} else {
			b.WriteByte(byte(q >> 8))
			b.WriteByte(byte(q))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// quantize maps v in [0,1] to an integer in [0,maxVal], rounding half up.
func quantize(v float32, maxVal int) int {
	if !(v > 0) { // also catches NaN
		return 0
	}
	if v >= 1 {
		return maxVal
	}
	return int(v*float32(maxVal) + 0.5)
}
