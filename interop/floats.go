package interop

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Element types the readers convert to float32.
type dtype struct {
	name string // safetensors' name
	size int
}

var (
	dtF32  = dtype{"F32", 4}
	dtF64  = dtype{"F64", 8}
	dtF16  = dtype{"F16", 2}
	dtBF16 = dtype{"BF16", 2}
	dtI64  = dtype{"I64", 8}
	dtI32  = dtype{"I32", 4}
)

// decodeLE converts n little-endian values of type dt to float32.
func decodeLE(b []byte, dt dtype, n int64) ([]float32, error) {
	if int64(len(b)) < n*int64(dt.size) {
		return nil, fmt.Errorf("%d bytes for %d %s values", len(b), n, dt.name)
	}
	out := make([]float32, n)
	le := binary.LittleEndian
	for i := range out {
		p := b[i*dt.size:]
		switch dt {
		case dtF32:
			out[i] = math.Float32frombits(le.Uint32(p))
		case dtF64:
			out[i] = float32(math.Float64frombits(le.Uint64(p)))
		case dtF16:
			out[i] = halfToFloat32(le.Uint16(p))
		case dtBF16:
			out[i] = math.Float32frombits(uint32(le.Uint16(p)) << 16)
		case dtI64:
			out[i] = float32(int64(le.Uint64(p)))
		case dtI32:
			out[i] = float32(int32(le.Uint32(p)))
		default:
			return nil, fmt.Errorf("element type %s not supported", dt.name)
		}
	}
	return out, nil
}

// float32LE appends the little-endian bytes of v to b.
func float32LE(b []byte, v []float32) []byte {
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// halfToFloat32 converts an IEEE 754 binary16 value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal half: frac · 2^-24 is a normal float32.
	v := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}
