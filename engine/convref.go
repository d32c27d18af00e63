package engine

import (
	"math"
	"math/rand/v2"
)

// convCase is the self-check network's fixed problem: a batch large
// enough that libtorch splits its convolutions over threads, small enough
// to check in milliseconds. The first layer has one input channel, like a
// gray-scale angiogram.
type convCase struct {
	N, Cin, Cmid, Cout, H, W int
	X, W1, B1, W2, R         []float64 // x [N,Cin,H,W], w1 [Cmid,Cin,3,3], b1 [Cmid], w2 [Cout,Cmid,3,3], r [N,Cout,H,W]
}

// checkOutputs names what the check compares, in the order
// convNetOnLibtorch and convNetReference return them.
var checkOutputs = []string{"output", "conv1 weight gradient", "conv1 bias gradient", "conv2 weight gradient", "input gradient"}

// newConvCase draws the problem from a fixed seed: the same numbers in
// every process, independent of libtorch's random generator.
func newConvCase() *convCase {
	c := &convCase{N: 4, Cin: 1, Cmid: 8, Cout: 2, H: 32, W: 32}
	rng := rand.New(rand.NewPCG(20250903, 3173))
	draw := func(n int, scale float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = scale * (2*rng.Float64() - 1)
		}
		return v
	}
	c.X = draw(c.N*c.Cin*c.H*c.W, 1)
	c.W1 = draw(c.Cmid*c.Cin*9, 0.5)
	c.B1 = draw(c.Cmid, 0.1)
	c.W2 = draw(c.Cout*c.Cmid*9, 0.3)
	c.R = draw(c.N*c.Cout*c.H*c.W, 1)
	return c
}

// eachTap calls fn(o, s) for every position o of an h x w plane and the
// position s that tap (i, j) of a 3x3, padding-1 kernel reads there (taps
// that fall into the padding are skipped).
func eachTap(h, w, i, j int, fn func(o, s int)) {
	for p := max(0, 1-i); p < min(h, h+1-i); p++ {
		for q := max(0, 1-j); q < min(w, w+1-j); q++ {
			fn(p*w+q, (p+i-1)*w+q+j-1)
		}
	}
}

// conv3x3 is a 3x3, padding-1 convolution (cross-correlation, as in
// libtorch) of in [n,ci,h,w] with k [co,ci,3,3], into a new [n,co,h,w].
func conv3x3(in []float64, n, ci, h, w int, k []float64, co int) []float64 {
	out := make([]float64, n*co*h*w)
	for b := 0; b < n; b++ {
		for o := 0; o < co; o++ {
			dst := out[(b*co+o)*h*w:][:h*w]
			for c := 0; c < ci; c++ {
				src := in[(b*ci+c)*h*w:][:h*w]
				for t, kv := range k[(o*ci+c)*9:][:9] {
					eachTap(h, w, t/3, t%3, func(d, s int) { dst[d] += kv * src[s] })
				}
			}
		}
	}
	return out
}

// conv3x3Grads returns, for out = conv3x3(in, k) and an upstream gradient
// g = dL/dout [n,co,h,w], the gradients dL/dk [co,ci,3,3] and dL/din.
func conv3x3Grads(in []float64, n, ci, h, w int, k []float64, co int, g []float64) (dk, din []float64) {
	dk = make([]float64, co*ci*9)
	din = make([]float64, n*ci*h*w)
	for b := 0; b < n; b++ {
		for o := 0; o < co; o++ {
			gg := g[(b*co+o)*h*w:][:h*w]
			for c := 0; c < ci; c++ {
				src := in[(b*ci+c)*h*w:][:h*w]
				dsrc := din[(b*ci+c)*h*w:][:h*w]
				dkk := dk[(o*ci+c)*9:][:9]
				for t, kv := range k[(o*ci+c)*9:][:9] {
					eachTap(h, w, t/3, t%3, func(d, s int) {
						dkk[t] += gg[d] * src[s]
						dsrc[s] += gg[d] * kv
					})
				}
			}
		}
	}
	return dk, din
}

// convNetReference computes in Go, in float64, what convNetOnLibtorch asks
// libtorch for: y and the gradients for w1, b1, w2 and x.
func convNetReference(c *convCase) [][]float64 {
	hw := c.H * c.W
	a1 := conv3x3(c.X, c.N, c.Cin, c.H, c.W, c.W1, c.Cmid)
	h1 := make([]float64, len(a1))
	for i := range a1 {
		a1[i] += c.B1[(i/hw)%c.Cmid]
		h1[i] = math.Tanh(a1[i])
	}
	y := conv3x3(h1, c.N, c.Cmid, c.H, c.W, c.W2, c.Cout)
	// loss = sum(y*r): dL/dy = r.
	dw2, dh1 := conv3x3Grads(h1, c.N, c.Cmid, c.H, c.W, c.W2, c.Cout, c.R)
	da1 := make([]float64, len(dh1))
	db1 := make([]float64, c.Cmid)
	for i := range dh1 {
		da1[i] = dh1[i] * (1 - h1[i]*h1[i])
		db1[(i/hw)%c.Cmid] += da1[i]
	}
	dw1, dx := conv3x3Grads(c.X, c.N, c.Cin, c.H, c.W, c.W1, c.Cmid, da1)
	return [][]float64{y, dw1, db1, dw2, dx}
}

// relativeError is |got - want| / |want| in the Euclidean norm: one number
// per output that ignores the rounding of single elements but not a wrong
// sum over a batch or a channel.
func relativeError(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d, n float64
	for i := range want {
		d += (got[i] - want[i]) * (got[i] - want[i])
		n += want[i] * want[i]
	}
	if n == 0 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d / n)
}
