package dskd

import (
	"fmt"

	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/models"
)

// InferOptions tune full-image inference.
type InferOptions struct {
	// TTA averages the probabilities of the image and its horizontal,
	// vertical and double flips (4 forward passes).
	TTA bool
	// TileSize: images with a side larger than this are predicted in
	// overlapping square tiles of this side (sliding window, overlap
	// TileOverlap) whose probabilities are averaged. Default 1024.
	TileSize int
	// TileOverlap is the overlap of neighbouring tiles; default TileSize/8.
	TileOverlap int
	// Precision of the forward passes (see Config.Precision); default fp32.
	Precision Precision
}

func (o InferOptions) withDefaults() InferOptions {
	if o.TileSize <= 0 {
		o.TileSize = 1024
	}
	if o.TileOverlap <= 0 || o.TileOverlap >= o.TileSize {
		o.TileOverlap = o.TileSize / 8
	}
	return o
}

// inferProbs returns the main-output probabilities of a normalised image
// (h x w, row-major) in eval mode without gradients. Run on the model's Worker.
func inferProbs(m models.Model, device gotch.Device, img []float32, h, w int, opt InferOptions) ([]float32, error) {
	opt = opt.withDefaults()
	if len(img) != h*w {
		return nil, fmt.Errorf("dskd: image of %d values, want %dx%d", len(img), h, w)
	}
	if h <= opt.TileSize && w <= opt.TileSize {
		return inferWhole(m, device, img, h, w, opt)
	}
	return inferTiled(m, device, img, h, w, opt)
}

func inferWhole(m models.Model, device gotch.Device, img []float32, h, w int, opt InferOptions) ([]float32, error) {
	tta := opt.TTA
	var probs []float32
	err := engine.NoGrad(func() error {
		s := aten.NewScope()
		defer s.Close()
		x := input(s, img, []int64{1, 1, int64(h), int64(w)}, device)
		flips := [][]int64{nil}
		if tta {
			flips = [][]int64{nil, {3}, {2}, {2, 3}}
		}
		var sum *aten.Tensor
		for _, dims := range flips {
			in := x
			if dims != nil {
				in = s.Flip(x, dims...)
			}
			if err := s.Err(); err != nil {
				return err
			}
			out, err := forward(m, device, opt.Precision, in, false)
			if err != nil {
				return err
			}
			p := s.Sigmoid(out.Main)
			out.Free()
			if dims != nil {
				p = s.Flip(p, dims...) // flipping back
			}
			sum = s.Totals(sum, p)
		}
		if len(flips) > 1 {
			sum = s.DivScalar(sum, float64(len(flips)))
		}
		probs = s.Float32s(sum)
		return s.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("dskd: inference: %w", err)
	}
	return probs, nil
}

// tileStarts covers [0, n) with windows of size tile overlapping by at least
// overlap, the last one flush with the end.
func tileStarts(n, tile, overlap int) []int {
	if n <= tile {
		return []int{0}
	}
	stride := tile - overlap
	var s []int
	for x := 0; ; x += stride {
		if x+tile >= n {
			s = append(s, n-tile)
			return s
		}
		s = append(s, x)
	}
}

func inferTiled(m models.Model, device gotch.Device, img []float32, h, w int, opt InferOptions) ([]float32, error) {
	sum := make([]float32, h*w)
	count := make([]float32, h*w)
	th, tw := min(opt.TileSize, h), min(opt.TileSize, w)
	tile := make([]float32, th*tw)
	for _, y0 := range tileStarts(h, th, opt.TileOverlap) {
		for _, x0 := range tileStarts(w, tw, opt.TileOverlap) {
			for y := 0; y < th; y++ {
				copy(tile[y*tw:(y+1)*tw], img[(y0+y)*w+x0:(y0+y)*w+x0+tw])
			}
			p, err := inferWhole(m, device, tile, th, tw, opt)
			if err != nil {
				return nil, err
			}
			for y := 0; y < th; y++ {
				for x := 0; x < tw; x++ {
					i := (y0+y)*w + x0 + x
					sum[i] += p[y*tw+x]
					count[i]++
				}
			}
		}
	}
	for i := range sum {
		sum[i] /= count[i]
	}
	return sum, nil
}
