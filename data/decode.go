package data

import (
	"bytes"
	"fmt"
	"os"

	"github.com/rs/zerolog"
)

// Decode decodes PNG, JPEG or PGM (P5/P2) bytes, detected by content (magic
// bytes), never by file extension. name is used only in error messages.
func Decode(name string, b []byte) (*Raw, error) {
	var raw *Raw
	var err error
	switch sniff(b) {
	case "png":
		raw, err = decodeStd(b, "png")
	case "jpeg":
		raw, err = decodeStd(b, "jpeg")
	case "pgm":
		raw, err = DecodePGM(bytes.NewReader(b))
	default:
		return nil, fmt.Errorf("data: %s: %w", name, ErrUnsupportedFormat)
	}
	if err != nil {
		return nil, errorf("%s: decoding: %v", name, err)
	}
	if raw.Color {
		log().Debug().Str("file", name).Msg("data: converted colour image to gray (BT.601 luma)")
	}
	return raw, nil
}

func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case bytes.HasPrefix(b, []byte("P5")), bytes.HasPrefix(b, []byte("P2")):
		return "pgm"
	}
	return ""
}

// ReadRaw reads and decodes one image file.
func ReadRaw(path string) (*Raw, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errorf("reading image: %v", err)
	}
	return Decode(path, b)
}

// LoadImage reads an image file as gray float32 in [0,1] (pixel / format max).
func LoadImage(path string) (*Image, error) {
	raw, err := ReadRaw(path)
	if err != nil {
		return nil, err
	}
	return raw.Image, nil
}

// LoadMask reads a mask file and binarises it with BinarizeMask.
func LoadMask(path string) (*Image, error) { return loadMask(path, log()) }

func loadMask(path string, l *zerolog.Logger) (*Image, error) {
	raw, err := ReadRaw(path)
	if err != nil {
		return nil, err
	}
	return binarizeMask(path, raw, l)
}
