package interop

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/angioseg/dskd/models"
)

func TestSafetensorsBytes(t *testing.T) {
	var buf bytes.Buffer
	a := Array{Name: "a", Shape: []int64{2}, Data: []float32{1, -2}}
	require.NoError(t, EncodeSafetensors(&buf, []Array{a}, map[string]string{"k": "v"}))
	b := buf.Bytes()
	hdr := `{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	padded := hdr + strings.Repeat(" ", (8-len(hdr)%8)%8)
	assert.Equal(t, uint64(len(padded)), binary.LittleEndian.Uint64(b))
	assert.Equal(t, padded, string(b[8:8+len(padded)]))
	// 1.0 = 0x3f800000, -2.0 = 0xc0000000, little-endian.
	assert.Equal(t, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}, b[8+len(padded):])

	arrays, meta, err := DecodeSafetensors(b)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"k": "v"}, meta)
	require.Len(t, arrays, 1)
	assert.True(t, a.Equal(arrays[0]))
}

func TestSafetensorsOtherDtypes(t *testing.T) {
	// F16 1, -2, 2^-24 (smallest subnormal), inf; BF16 1, -0.5; F64 0.25; I64 7.
	data := []byte{0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c}
	data = append(data, 0x80, 0x3f, 0x00, 0xbf)
	data = binary.LittleEndian.AppendUint64(data, 0x3fd0000000000000)
	data = binary.LittleEndian.AppendUint64(data, 7)
	hdr := `{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},` +
		`"d":{"dtype":"F64","shape":[],"data_offsets":[12,20]},"i":{"dtype":"I64","shape":[1],"data_offsets":[20,28]}}`
	file := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	file = append(append(file, hdr...), data...)
	arrays, _, err := DecodeSafetensors(file)
	require.NoError(t, err)
	require.Len(t, arrays, 4)
	assert.Equal(t, []float32{1, -2, 1.0 / (1 << 24), float32(math.Inf(1))}, arrays[0].Data)
	assert.Equal(t, []float32{1, -0.5}, arrays[1].Data)
	assert.Equal(t, []float32{0.25}, arrays[2].Data)
	assert.Equal(t, []int64{}, arrays[2].Shape)
	assert.Equal(t, []float32{7}, arrays[3].Data)
}

func TestSafetensorsRejects(t *testing.T) {
	file := func(hdr string, data int) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
		return append(append(b, hdr...), make([]byte, data)...)
	}
	for _, c := range []struct {
		b    []byte
		want string
	}{
		{[]byte{1, 2}, "shorter than its 8-byte header length"},
		{binary.LittleEndian.AppendUint64(nil, 1<<40), "header length 1099511627776 does not fit"},
		{file(`{"a":`, 0), "safetensors header"},
		{file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1), `tensor "a": dtype "U8"`},
		{file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4), `tensor "a": data_offsets [0 8] outside the 4 data bytes`},
		{file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), `shape [3] of F32 needs 12`},
		{file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}`, 8), `negative dimension`},
	} {
		_, _, err := DecodeSafetensors(c.b)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
		assert.True(t, strings.HasPrefix(err.Error(), "interop: "), err.Error())
	}
}

func TestPTRoundTripAndAlignment(t *testing.T) {
	arrays := []Array{
		{Name: "w", Shape: []int64{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
		{Name: "b", Shape: []int64{1}, Data: []float32{-7}},
		{Name: "big", Shape: []int64{70000}, Data: make([]float32, 70000)}, // dims >= 2^16 use BININT
	}
	var buf bytes.Buffer
	require.NoError(t, EncodePT(&buf, arrays, map[string]string{"dskd_threshold": "0.3"}))
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		assert.Equal(t, zip.Store, f.Method, f.Name)
		if strings.HasPrefix(f.Name, "archive/data/") {
			off, err := f.DataOffset()
			require.NoError(t, err)
			assert.Zero(t, off%64, "%s starts at %d", f.Name, off)
		}
	}
	assert.Equal(t, []string{"archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/data/1", "archive/data/2", "archive/dskd.json", "archive/version"}, names)
	back, meta, err := DecodePT(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, "0.3", meta["dskd_threshold"])
	require.Len(t, back, 3)
	for i := range arrays {
		assert.True(t, arrays[i].Equal(back[i]), arrays[i].Name)
	}
}

// A hand-written pickle as PyTorch writes it for views: a shared storage,
// memo references, a storage offset and a transposing stride.
func TestPTViewsOfOneStorage(t *testing.T) {
	p := &pickleWriter{}
	p.op("\x80\x02")
	p.orderedDict()
	p.op("q\x00(") // BINPUT 0
	p.str("t")
	p.global("torch._utils", "_rebuild_tensor_v2")
	p.op("((")
	p.str("storage")
	p.global("torch", "DoubleStorage")
	p.str("0")
	p.str("cpu")
	p.int(7)
	p.op("tq\x01Q") // the storage is memoised as 1 and persisted
	p.int(1)        // offset 1: values 1..6 of 0..6
	p.ints([]int64{3, 2})
	p.ints([]int64{1, 3}) // the transpose of a contiguous [2, 3]
	p.op("\x89")
	p.orderedDict()
	p.op("tR")
	p.str("u")
	p.global("torch._utils", "_rebuild_tensor_v2")
	p.op("(h\x01Q") // BINGET 1: the same storage
	p.int(6)
	p.op(")") // a scalar: shape ()
	p.op(")")
	p.op("\x89")
	p.orderedDict()
	p.op("tR")
	p.op("u}b.") // BUILD with an empty state, like state_dict's _metadata
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	put := func(name string, data []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	put("m/data.pkl", p.b)
	var st []byte
	for i := 0; i < 7; i++ {
		st = binary.LittleEndian.AppendUint64(st, math.Float64bits(float64(i)))
	}
	put("m/data/0", st)
	put("m/version", []byte("3\n"))
	require.NoError(t, zw.Close())

	arrays, _, err := DecodePT(zbuf.Bytes())
	require.NoError(t, err)
	require.Len(t, arrays, 2)
	// storage 0..6, offset 1 -> [[1 2 3] [4 5 6]] viewed transposed.
	assert.Equal(t, Array{Name: "t", Shape: []int64{3, 2}, Data: []float32{1, 4, 2, 5, 3, 6}}, arrays[0])
	assert.Equal(t, []float32{6}, arrays[1].Data)
}

func TestPTRejects(t *testing.T) {
	zipWith := func(files map[string]string) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for name, content := range files {
			w, _ := zw.Create(name)
			_, _ = w.Write([]byte(content))
		}
		_ = zw.Close()
		return b.Bytes()
	}
	for _, c := range []struct {
		b    []byte
		want string
	}{
		{[]byte("not a zip"), "not a zip archive"},
		{zipWith(map[string]string{"a/other": ""}), "no <folder>/data.pkl entry"},
		{zipWith(map[string]string{"a/data.pkl": "", "a/constants.pkl": ""}), "a TorchScript archive"},
		{zipWith(map[string]string{"a/data.pkl": "\x80\x02K\x05."}), "holds a int64, want a state dict"},
		{zipWith(map[string]string{"a/data.pkl": "\x80\x02}(X\x01\x00\x00\x00aK\x01u."}), `entry "a" is a int64, not a tensor`},
		{zipWith(map[string]string{"a/data.pkl": "\x80\x02\xff."}), "unsupported opcode"},
		{zipWith(map[string]string{"a/data.pkl": "\x80\x02u."}), "no mark on the stack"},
		{zipWith(map[string]string{"a/data.pkl": "\x80\x02}"}), "pickle ends without STOP"},
		{zipWith(map[string]string{"a/data.pkl": "\x80\x02}", "a/byteorder": "big"}), `byte order "big"`},
	} {
		_, _, err := DecodePT(c.b)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
		assert.True(t, strings.HasPrefix(err.Error(), "interop: "), err.Error())
	}
}

func TestInferConfigAndLayoutErrors(t *testing.T) {
	arrays := zeroArrays(t, models.UNetConfig{Depth: 2, Base: 3, Upsample: models.UpsampleTranspose})
	cfg, err := InferConfig(arrays)
	require.NoError(t, err)
	assert.Equal(t, models.UNetConfig{Depth: 2, Base: 3, InChannels: 1, Upsample: "transpose", BNMomentum: 0.1, BNEps: 1e-5}, cfg)
	require.NoError(t, CheckLayout(cfg, arrays))

	_, err = InferConfig(arrays[1:])
	require.ErrorContains(t, err, "no enc0.conv1.weight among")
	err = CheckLayout(models.UNetConfig{Depth: 2, Base: 4}, arrays)
	require.ErrorContains(t, err, "do not fit a U-Net with depth 2, base 4, 1 input channel(s), bilinear upsampling: enc0.conv1.weight has shape [3 1 3 3], want [4 1 3 3]")
	require.ErrorContains(t, err, "and ")

	// A PyTorch BatchNorm2d counter is dropped; an unknown entry is not.
	withCounter := append(append([]Array(nil), arrays...), Array{Name: "enc0.bn1.num_batches_tracked", Data: []float32{3}})
	m, err := newModel(withCounter, nil)
	require.NoError(t, err)
	assert.Len(t, m.Arrays, len(arrays))
	_, err = newModel(append(append([]Array(nil), arrays...), Array{Name: "extra", Data: []float32{3}}), nil)
	require.ErrorContains(t, err, "unexpected extra")
}

func TestMetadata(t *testing.T) {
	kv, err := Metadata{Threshold: 0.25, Version: "v1.2.3"}.Strings()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"dskd_architecture": "dskd-unet",
		"dskd_config":       `{"depth":4,"base":32,"in_channels":1,"upsample":"bilinear","bn_momentum":0.1,"bn_eps":0.00001}`,
		"dskd_normalize":    "zscore",
		"dskd_threshold":    "0.25",
		"dskd_version":      "v1.2.3",
	}, kv)
	m, ok, err := parseMetadata(kv)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 0.25, m.Threshold)
	_, ok, _ = parseMetadata(map[string]string{"format": "pt"})
	assert.False(t, ok)
	kv["dskd_config"] = `{"depth":4,"widht":3}`
	_, _, err = parseMetadata(kv)
	require.ErrorContains(t, err, `unknown field "widht"`)
	_, err = Metadata{Threshold: 1.5}.WithDefaults()
	require.ErrorContains(t, err, "threshold 1.5")
	_, err = Metadata{Normalize: "l2"}.WithDefaults()
	require.ErrorContains(t, err, `normalisation "l2"`)
}

// The ONNX protobuf decodes, field by field, to what onnx.proto says.
func TestONNXWireFormat(t *testing.T) {
	m := &Model{Arrays: zeroArrays(t, models.UNetConfig{Depth: 1, Base: 1})}
	m.Meta.Config = models.UNetConfig{Depth: 1, Base: 1}
	var buf bytes.Buffer
	require.NoError(t, EncodeONNX(&buf, m, ONNXOptions{}))
	fields := wireFields(t, buf.Bytes())
	assert.Equal(t, []any{uint64(8)}, fields[1])           // ir_version
	assert.Equal(t, "dskd", string(fields[2][0].([]byte))) // producer_name
	opset := wireFields(t, fields[8][0].([]byte))          // opset_import
	assert.Equal(t, []any{uint64(17)}, opset[2])           // version
	graph := wireFields(t, fields[7][0].([]byte))          // graph
	input := wireFields(t, graph[11][0].([]byte))          // input ValueInfoProto
	assert.Equal(t, "image", string(input[1][0].([]byte)))
	assert.Len(t, graph[5], len(m.Arrays)+countConsts(t, graph[5])) // every array is an initializer (no side heads at depth 1)
	var ops []string
	for _, n := range graph[1] {
		node := wireFields(t, n.([]byte))
		ops = append(ops, string(node[4][0].([]byte)))
	}
	assert.Equal(t, "Sigmoid", ops[len(ops)-1])
	assert.Contains(t, ops, "Resize")
	assert.Contains(t, ops, "BatchNormalization")
}

// wireFields splits a protobuf message: field number -> values (varints
// as uint64, length-delimited fields, strings included, as []byte).
func wireFields(t *testing.T, b []byte) map[protowire.Number][]any {
	t.Helper()
	out := map[protowire.Number][]any{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		require.GreaterOrEqual(t, n, 0)
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			require.GreaterOrEqual(t, n, 0)
			out[num] = append(out[num], v)
			b = b[n:]
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			require.GreaterOrEqual(t, n, 0)
			out[num] = append(out[num], v)
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			require.GreaterOrEqual(t, n, 0)
			b = b[n:]
		}
	}
	return out
}

// countConsts counts the initializers named const_N (graph constants).
func countConsts(t *testing.T, inits []any) int {
	n := 0
	for _, init := range inits {
		if strings.HasPrefix(string(wireFields(t, init.([]byte))[8][0].([]byte)), "const_") {
			n++
		}
	}
	return n
}
