package interop

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/angioseg/dskd/internal/atomicfile"
)

// Format is a file format for Model.
type Format string

// The formats. Safetensors and PT are read and written; ONNX is written.
const (
	Safetensors Format = "safetensors" // .safetensors: weights + metadata
	PT          Format = "pt"          // .pt / .pth: a torch.save'd state dict
	ONNX        Format = "onnx"        // .onnx: the inference graph
)

// ParseFormat accepts "safetensors", "pt" (or "pth", "torch") and "onnx".
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimPrefix(s, ".")) {
	case "safetensors":
		return Safetensors, nil
	case "pt", "pth", "torch":
		return PT, nil
	case "onnx":
		return ONNX, nil
	}
	return "", fmt.Errorf("interop: format %q: want safetensors, pt or onnx", s)
}

// FormatOf returns the format a file name's extension names.
func FormatOf(path string) (Format, error) {
	ext := filepath.Ext(path)
	if ext == "" {
		return "", fmt.Errorf("interop: %s: no extension to tell the format (.safetensors, .pt, .onnx)", path)
	}
	f, err := ParseFormat(ext)
	if err != nil {
		return "", fmt.Errorf("interop: %s: extension %s: want .safetensors, .pt, .pth or .onnx", path, ext)
	}
	return f, nil
}

// Encode writes m in format f (opts apply to ONNX). The metadata is
// validated and defaults filled; Meta.Version "" is replaced by Version().
func Encode(w io.Writer, m *Model, f Format, opts ONNXOptions) error {
	copied := *m // Validate fills defaults; leave the caller's Model alone
	m = &copied
	if err := m.Validate(); err != nil {
		return err
	}
	if m.Meta.Version == "" {
		m.Meta.Version = Version()
	}
	kv, err := m.Meta.Strings()
	if err != nil {
		return err
	}
	switch f {
	case Safetensors:
		kv["format"] = "pt" // what Hugging Face's loaders expect of PyTorch weights
		return EncodeSafetensors(w, m.Arrays, kv)
	case PT:
		return EncodePT(w, m.Arrays, kv)
	case ONNX:
		return EncodeONNX(w, m, opts)
	}
	return fmt.Errorf("interop: format %q: want safetensors, pt or onnx", f)
}

// WriteFile writes m to path in format f; the file appears complete or
// not at all (package atomicfile: a full disk is an error naming the path
// and the room left).
func WriteFile(path string, m *Model, f Format, opts ONNXOptions) error {
	var buf bytes.Buffer
	if err := Encode(&buf, m, f, opts); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, buf.Bytes()); err != nil {
		return fmt.Errorf("interop: writing %w", err)
	}
	return nil
}

// Decode reads a safetensors or .pt file from b (told apart by content)
// into a validated Model. A file without dskd metadata (written by
// PyTorch) gets the config its shapes imply and the default metadata.
func Decode(b []byte) (*Model, error) {
	var arrays []Array
	var kv map[string]string
	var err error
	if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		arrays, kv, err = DecodePT(b)
	} else {
		arrays, kv, err = DecodeSafetensors(b)
	}
	if err != nil {
		return nil, err
	}
	return newModel(arrays, kv)
}

// ReadFile reads a .safetensors or .pt weights file (see Decode).
func ReadFile(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("interop: %w", err)
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w (reading %s)", err, path)
	}
	return m, nil
}
