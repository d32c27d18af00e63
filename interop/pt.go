package interop

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strconv"
	"strings"
)

// The .pt format of torch.save (PyTorch >= 1.6): an uncompressed zip whose
// entries share one top-level folder: data.pkl (the pickled object; for a
// state dict an OrderedDict of name -> tensor, each tensor rebuilt by
// torch._utils._rebuild_tensor_v2 from a persistent storage id), data/<key>
// (each storage's raw little-endian bytes, aligned to 64 bytes in the file),
// version ("3") and, since PyTorch 2.0, byteorder ("little").

const (
	ptArchive   = "archive"   // the folder name torch.save uses for streams
	ptAlign     = 64          // storage alignment torch.save uses (mmap-able)
	ptMetaEntry = "dskd.json" // our metadata; torch.load ignores other entries
)

// countingWriter counts the bytes that reached the file.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// EncodePT writes arrays as a state dict (an OrderedDict of float32 CPU
// tensors) that torch.load reads, also with weights_only=True, in every
// PyTorch since 1.6. metadata, when not empty, goes into an extra dskd.json
// entry that torch.load ignores.
func EncodePT(w io.Writer, arrays []Array, metadata map[string]string) error {
	for _, a := range arrays {
		if err := a.Validate(); err != nil {
			return err
		}
	}
	cw := &countingWriter{w: w}
	zw := zip.NewWriter(cw)
	put := func(name string, data []byte, align bool) error {
		// Entries are written raw with their sizes and CRC in the local
		// header (no trailing data descriptor), so after a Flush cw.n is
		// exactly where the next local header starts.
		if err := zw.Flush(); err != nil {
			return err
		}
		fh := &zip.FileHeader{Name: ptArchive + "/" + name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(data),
			CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data))}
		if align {
			// A local header is 30 bytes + name + extra; pad the extra
			// field (id "FB", like torch.save) so the data lands on 64.
			start := cw.n + 30 + int64(len(fh.Name)) + 4
			pad := (ptAlign - start%ptAlign) % ptAlign
			fh.Extra = binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, 0x4246), uint16(pad))
			fh.Extra = append(fh.Extra, bytes.Repeat([]byte{'Z'}, int(pad))...)
		}
		f, err := zw.CreateRaw(fh)
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		return err
	}
	err := put("data.pkl", statePickle(arrays), false)
	if err == nil {
		err = put("byteorder", []byte("little"), false)
	}
	var buf []byte
	for i, a := range arrays {
		if err != nil {
			break
		}
		buf = float32LE(buf[:0], a.Data)
		err = put("data/"+strconv.Itoa(i), buf, true)
	}
	if err == nil && len(metadata) > 0 {
		var b []byte
		if b, err = json.MarshalIndent(metadata, "", "  "); err == nil {
			err = put(ptMetaEntry, b, false)
		}
	}
	if err == nil {
		err = put("version", []byte("3\n"), false)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return fmt.Errorf("interop: writing .pt: %w", err)
	}
	return nil
}

// pickleWriter emits the few protocol-2 opcodes a state dict needs.
type pickleWriter struct{ b []byte }

func (p *pickleWriter) op(s string)                { p.b = append(p.b, s...) }
func (p *pickleWriter) global(module, name string) { p.op("c" + module + "\n" + name + "\n") }

func (p *pickleWriter) str(s string) {
	p.b = append(p.b, 'X')
	p.b = binary.LittleEndian.AppendUint32(p.b, uint32(len(s)))
	p.b = append(p.b, s...)
}

func (p *pickleWriter) int(v int64) {
	switch {
	case v >= 0 && v < 1<<8:
		p.b = append(p.b, 'K', byte(v))
	case v >= 0 && v < 1<<16:
		p.b = append(p.b, 'M', byte(v), byte(v>>8))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		p.b = append(p.b, 'J')
		p.b = binary.LittleEndian.AppendUint32(p.b, uint32(int32(v)))
	default:
		p.b = append(p.b, 0x8a, 8)
		p.b = binary.LittleEndian.AppendUint64(p.b, uint64(v))
	}
}

func (p *pickleWriter) ints(v []int64) {
	p.op("(")
	for _, x := range v {
		p.int(x)
	}
	p.op("t")
}

func (p *pickleWriter) orderedDict() {
	p.global("collections", "OrderedDict")
	p.op(")R")
}

// statePickle pickles OrderedDict(name -> tensor) whose i-th tensor is
// contiguous over storage "i".
func statePickle(arrays []Array) []byte {
	p := &pickleWriter{}
	p.op("\x80\x02")
	p.orderedDict()
	p.op("(")
	for i, a := range arrays {
		p.str(a.Name)
		p.global("torch._utils", "_rebuild_tensor_v2")
		p.op("((")
		p.str("storage")
		p.global("torch", "FloatStorage")
		p.str(strconv.Itoa(i))
		p.str("cpu")
		p.int(int64(len(a.Data)))
		p.op("tQ")
		p.int(0) // storage offset
		p.ints(a.Shape)
		p.ints(contiguousStrides(a.Shape))
		p.op("\x89") // requires_grad False
		p.orderedDict()
		p.op("tR")
	}
	p.op("u.")
	return p.b
}

func contiguousStrides(shape []int64) []int64 {
	s := make([]int64, len(shape))
	acc := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= max(shape[i], 1)
	}
	return s
}

// DecodePT reads a torch.save'd state dict (a dict of tensors; float and
// integer tensors are converted to float32, views and strides honoured)
// and the dskd.json metadata entry when present.
func DecodePT(b []byte) ([]Array, map[string]string, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, nil, fmt.Errorf("interop: .pt: not a zip archive (torch.save before PyTorch 1.6, with _use_new_zipfile_serialization=False, is not supported): %w", err)
	}
	entries := map[string]*zip.File{}
	prefix := ""
	for _, f := range zr.File {
		entries[f.Name] = f
		if dir, ok := strings.CutSuffix(f.Name, "/data.pkl"); ok && !strings.Contains(dir, "/") {
			prefix = dir + "/"
		}
	}
	if prefix == "" {
		return nil, nil, errors.New("interop: .pt: no <folder>/data.pkl entry: not a torch.save file")
	}
	if entries[prefix+"constants.pkl"] != nil {
		return nil, nil, errors.New("interop: .pt: a TorchScript archive, not a state dict (a dskd checkpoint's model.pt? export it with `dskd export --checkpoint DIR`; in PyTorch, torch.jit.load(f).state_dict() reads it)")
	}
	read := func(name string) ([]byte, error) {
		f := entries[prefix+name]
		if f == nil {
			return nil, fmt.Errorf("entry %s%s missing", prefix, name)
		}
		if f.UncompressedSize64 > uint64(len(b))*1032 { // deflate's best ratio
			return nil, fmt.Errorf("entry %s%s claims %d bytes", prefix, name, f.UncompressedSize64)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	if bo, err := read("byteorder"); err == nil && strings.TrimSpace(string(bo)) != "little" {
		return nil, nil, fmt.Errorf("interop: .pt: byte order %q: only little-endian files are supported", bo)
	}
	pkl, err := read("data.pkl")
	if err != nil {
		return nil, nil, fmt.Errorf("interop: .pt: %w", err)
	}
	top, err := unpickle(pkl)
	if err != nil {
		return nil, nil, fmt.Errorf("interop: .pt: %w", err)
	}
	dict, ok := top.(*pyDict)
	if !ok {
		return nil, nil, fmt.Errorf("interop: .pt: holds a %T, want a state dict (save model.state_dict(), not the model)", top)
	}
	storages := map[string][]float32{}
	arrays := make([]Array, 0, len(dict.keys))
	for i, k := range dict.keys {
		name, ok := k.(string)
		if !ok {
			return nil, nil, fmt.Errorf("interop: .pt: state dict key %v is not a string", k)
		}
		t, ok := dict.vals[i].(ptTensor)
		if !ok {
			return nil, nil, fmt.Errorf("interop: .pt: state dict entry %q is a %T, not a tensor", name, dict.vals[i])
		}
		data, err := t.materialise(storages, read)
		if err != nil {
			return nil, nil, fmt.Errorf("interop: .pt: tensor %q: %w", name, err)
		}
		arrays = append(arrays, Array{Name: name, Shape: t.shape, Data: data})
	}
	var meta map[string]string
	if mb, err := read(ptMetaEntry); err == nil {
		if err := json.Unmarshal(mb, &meta); err != nil {
			return nil, nil, fmt.Errorf("interop: .pt: %s%s: %w", prefix, ptMetaEntry, err)
		}
	}
	return arrays, meta, nil
}

// materialise copies the tensor's strided view of its storage.
func (t ptTensor) materialise(cache map[string][]float32, read func(string) ([]byte, error)) ([]float32, error) {
	n, err := numel(t.shape)
	if err != nil {
		return nil, err
	}
	st, ok := cache[t.storage.key]
	if !ok {
		raw, err := read("data/" + t.storage.key)
		if err != nil {
			return nil, err
		}
		if int64(len(raw)) != t.storage.numel*int64(t.storage.dt.size) {
			return nil, fmt.Errorf("storage %s has %d bytes, want %d %s values", t.storage.key, len(raw), t.storage.numel, t.storage.dt.name)
		}
		if st, err = decodeLE(raw, t.storage.dt, t.storage.numel); err != nil {
			return nil, err
		}
		cache[t.storage.key] = st
	}
	if n > int64(len(st)) { // only zero strides could do it; no state dict has them
		return nil, fmt.Errorf("view of shape %v has more values than its storage of %d", t.shape, len(st))
	}
	out := make([]float32, n)
	if n == 0 {
		return out, nil
	}
	last := t.offset
	for d, s := range t.shape {
		if t.stride[d] < 0 {
			return nil, fmt.Errorf("negative stride %v", t.stride)
		}
		last += (s - 1) * t.stride[d]
	}
	if t.offset < 0 || last >= int64(len(st)) {
		return nil, fmt.Errorf("view (offset %d, shape %v, stride %v) outside its storage of %d values", t.offset, t.shape, t.stride, len(st))
	}
	idx := make([]int64, len(t.shape))
	for i := range out {
		pos := t.offset
		for d := range idx {
			pos += idx[d] * t.stride[d]
		}
		out[i] = st[pos]
		for d := len(idx) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < t.shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out, nil
}
