package data

import (
	"bytes"
	"testing"
)

func FuzzDecodePGM(f *testing.F) {
	f.Add([]byte("P5\n2 2\n255\n\x00\x10\x20\xff"))
	f.Add([]byte("P5\n# c\n1 1\n65535\n\x12\x34"))
	f.Add([]byte("P2\n2 1\n9\n0 9\n"))
	f.Add([]byte("P5\n300 300\n255\n\x00"))
	f.Add([]byte("P5\n99999999 99999999\n255\n"))
	f.Add([]byte("P2\n1 1\n1\n2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodePGM(bytes.NewReader(b))
		if err != nil {
			return
		}
		if r.Image.W <= 0 || r.Image.H <= 0 || len(r.Image.Pix) != r.Image.W*r.Image.H {
			t.Fatalf("bad image %dx%d with %d pixels", r.Image.W, r.Image.H, len(r.Image.Pix))
		}
		for _, v := range r.Image.Pix {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("value %v outside [0,1]", v)
			}
		}
		if _, err := BinarizeMask("fuzz", r); err != nil && !bytes.Contains([]byte(err.Error()), []byte("data: ")) {
			t.Fatalf("error without prefix: %v", err)
		}
	})
}
