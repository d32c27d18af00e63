package metrics

import "math"

// sortFloat32 sorts xs ascending in O(n) with an LSD radix sort on the
// IEEE-754 bit pattern. xs must not hold NaN, and -0 must already have
// been replaced by +0 (callers do both). It allocates one scratch slice.
func sortFloat32(xs []float32) {
	n := len(xs)
	if n < 2 {
		return
	}
	keys := make([]uint32, n)
	for i, f := range xs {
		b := math.Float32bits(f)
		if b&0x80000000 != 0 {
			keys[i] = ^b
		} else {
			keys[i] = b | 0x80000000
		}
	}
	tmp := make([]uint32, n)
	src, dst := keys, tmp
	for shift := uint(0); shift < 32; shift += 8 {
		var count [257]int
		for _, k := range src {
			count[(k>>shift)&0xff+1]++
		}
		if count[((src[0]>>shift)&0xff)+1] == n {
			continue // every key has the same byte: pass is a no-op
		}
		for i := 1; i < 257; i++ {
			count[i] += count[i-1]
		}
		for _, k := range src {
			b := (k >> shift) & 0xff
			dst[count[b]] = k
			count[b]++
		}
		src, dst = dst, src
	}
	for i, k := range src {
		if k&0x80000000 != 0 {
			xs[i] = math.Float32frombits(k &^ 0x80000000)
		} else {
			xs[i] = math.Float32frombits(^k)
		}
	}
}
