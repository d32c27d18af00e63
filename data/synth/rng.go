package synth

import (
	"math"
	"math/rand/v2"
)

type rng struct{ *rand.Rand }

func newRNG(words ...uint64) rng {
	a, b := uint64(0x243f6a8885a308d3), uint64(0x13198a2e03707344)
	for _, w := range words {
		a = splitmix(a ^ w)
		b = splitmix(b + w)
	}
	return rng{rand.New(rand.NewPCG(a, b))}
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// uniform returns a value uniform in [lo, hi).
func (r rng) uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

func (r rng) normal() float64 { return r.NormFloat64() }

func (r rng) chance(p float64) bool { return r.Float64() < p }

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }
