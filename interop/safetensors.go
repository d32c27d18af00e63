package interop

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// The safetensors format (https://github.com/huggingface/safetensors): an
// 8-byte little-endian header length, a JSON header mapping each tensor name
// to its dtype, shape and [begin, end) byte offsets into the data that
// follows (plus an optional "__metadata__" string map), then the raw
// little-endian data. The header is padded with spaces to a multiple of 8.

// maxHeader bounds the JSON header (the reference implementation allows
// 100 MB).
const maxHeader = 100 << 20

// EncodeSafetensors writes arrays as float32 ("F32") tensors, in the given
// order, with metadata as "__metadata__" (omitted when empty).
func EncodeSafetensors(w io.Writer, arrays []Array, metadata map[string]string) error {
	var hdr bytes.Buffer
	hdr.WriteByte('{')
	first := true
	comma := func() {
		if !first {
			hdr.WriteByte(',')
		}
		first = false
	}
	if len(metadata) > 0 {
		b, err := json.Marshal(metadata) // keys sorted
		if err != nil {
			return fmt.Errorf("interop: safetensors metadata: %w", err)
		}
		comma()
		hdr.WriteString(`"__metadata__":`)
		hdr.Write(b)
	}
	seen := map[string]bool{"__metadata__": true}
	var offset int64
	for _, a := range arrays {
		if err := a.Validate(); err != nil {
			return err
		}
		if seen[a.Name] {
			return fmt.Errorf("interop: safetensors: array name %q used twice (or reserved)", a.Name)
		}
		seen[a.Name] = true
		name, _ := json.Marshal(a.Name)
		shape := a.Shape
		if shape == nil {
			shape = []int64{}
		}
		entry, _ := json.Marshal(struct {
			Dtype   string   `json:"dtype"`
			Shape   []int64  `json:"shape"`
			Offsets [2]int64 `json:"data_offsets"`
		}{"F32", shape, [2]int64{offset, offset + 4*int64(len(a.Data))}})
		comma()
		hdr.Write(name)
		hdr.WriteByte(':')
		hdr.Write(entry)
		offset += 4 * int64(len(a.Data))
	}
	hdr.WriteByte('}')
	for hdr.Len()%8 != 0 {
		hdr.WriteByte(' ')
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(hdr.Len())); err != nil {
		return fmt.Errorf("interop: safetensors: %w", err)
	}
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return fmt.Errorf("interop: safetensors: %w", err)
	}
	var buf []byte
	for _, a := range arrays {
		buf = float32LE(buf[:0], a.Data)
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("interop: safetensors: %w", err)
		}
	}
	return nil
}

type safetensorsEntry struct {
	Dtype   string  `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
	name    string
}

// DecodeSafetensors reads a whole safetensors file. Float tensors (F32, F64,
// F16, BF16) and integer ones (I64, I32) are converted to float32; arrays
// come back in the order of their data.
func DecodeSafetensors(b []byte) ([]Array, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, errors.New("interop: safetensors: shorter than its 8-byte header length")
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeader || n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("interop: safetensors: header length %d does not fit a %d-byte file", n, len(b))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, nil, fmt.Errorf("interop: safetensors header: %w", err)
	}
	data := b[8+n:]
	var meta map[string]string
	var entries []safetensorsEntry
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("interop: safetensors __metadata__: %w", err)
			}
			continue
		}
		var e safetensorsEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, nil, fmt.Errorf("interop: safetensors tensor %q: %w", name, err)
		}
		e.name = name
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool {
		if len(entries[i].Offsets) == 2 && len(entries[j].Offsets) == 2 && entries[i].Offsets[0] != entries[j].Offsets[0] {
			return entries[i].Offsets[0] < entries[j].Offsets[0]
		}
		return entries[i].name < entries[j].name
	})
	arrays := make([]Array, 0, len(entries))
	for _, e := range entries {
		a, err := e.decode(data)
		if err != nil {
			return nil, nil, fmt.Errorf("interop: safetensors tensor %q: %w", e.name, err)
		}
		arrays = append(arrays, a)
	}
	return arrays, meta, nil
}

func (e safetensorsEntry) decode(data []byte) (Array, error) {
	var dt dtype
	switch e.Dtype {
	case "F32":
		dt = dtF32
	case "F64":
		dt = dtF64
	case "F16":
		dt = dtF16
	case "BF16":
		dt = dtBF16
	case "I64":
		dt = dtI64
	case "I32":
		dt = dtI32
	default:
		return Array{}, fmt.Errorf("dtype %q: want F32, F64, F16, BF16, I64 or I32", e.Dtype)
	}
	count, err := numel(e.Shape)
	if err != nil {
		return Array{}, err
	}
	if len(e.Offsets) != 2 || e.Offsets[0] < 0 || e.Offsets[1] < e.Offsets[0] || e.Offsets[1] > int64(len(data)) {
		return Array{}, fmt.Errorf("data_offsets %v outside the %d data bytes", e.Offsets, len(data))
	}
	if e.Offsets[1]-e.Offsets[0] != count*int64(dt.size) {
		return Array{}, fmt.Errorf("data_offsets %v hold %d bytes, shape %v of %s needs %d", e.Offsets, e.Offsets[1]-e.Offsets[0], e.Shape, e.Dtype, count*int64(dt.size))
	}
	v, err := decodeLE(data[e.Offsets[0]:e.Offsets[1]], dt, count)
	if err != nil {
		return Array{}, err
	}
	return Array{Name: e.name, Shape: e.Shape, Data: v}, nil
}
