package metrics

import (
	"math/rand"
	"testing"
)

// benchImage is a 512x512 synthetic angiogram: vessel bands 6 px wide
// (about 15% foreground) and noisy probabilities quantized to 1/1000 so
// there are ties, as with real network outputs.
func benchImage() (probs, mask []float32, h, w int) {
	h, w = 512, 512
	r := rand.New(rand.NewSource(1))
	probs, mask = make([]float32, h*w), make([]float32, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			vessel := (y+x/8)%40 < 6
			p := r.Float64() * 0.6
			if vessel {
				mask[i] = 1
				p += 0.4
			}
			probs[i] = float32(int(p*1000)) / 1000
		}
	}
	return
}

func BenchmarkCount512(b *testing.B) {
	p, m, _, _ := benchImage()
	b.SetBytes(int64(len(p)) * 8)
	for b.Loop() {
		if _, err := Count(p, m, nil, 0.5); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAUC512(b *testing.B) {
	p, m, _, _ := benchImage()
	b.SetBytes(int64(len(p)) * 8)
	for b.Loop() {
		if _, err := AUC(p, m, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCountAndAUC512(b *testing.B) {
	p, m, _, _ := benchImage()
	for b.Loop() {
		if _, err := Count(p, m, nil, 0.5); err != nil {
			b.Fatal(err)
		}
		if _, err := AUC(p, m, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClDice512(b *testing.B) {
	p, m, h, w := benchImage()
	for b.Loop() {
		if _, err := ClDice(p, m, nil, h, w, 0.5, ZeroDivOne); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAccumulatorAdd512(b *testing.B) {
	p, m, h, w := benchImage()
	a, _ := NewAccumulator(WithAUCHistogram(DefaultHistogramBins))
	for b.Loop() {
		if err := a.Add("x", p, m, h, w); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSelectThreshold512x8(b *testing.B) {
	p, m, _, _ := benchImage()
	probs, masks := make([][]float32, 8), make([][]float32, 8)
	for i := range probs {
		probs[i], masks[i] = p, m
	}
	for b.Loop() {
		if _, _, err := SelectThresholdOnValidation(probs, masks, ThresholdSearch{}); err != nil {
			b.Fatal(err)
		}
	}
}
