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
	// Turns, with TTA, also averages each flip turned by 90° (its
	// transpose): the 8 passes of the square's symmetries, for models
	// trained with 90° turns (data.DefaultAugment has them). Default false.
	Turns bool
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
	var probs []float32
	err := engine.NoGrad(func() error {
		s := aten.NewScope()
		defer s.Close()
		x := input(s, img, []int64{1, 1, int64(h), int64(w)}, device)
		views := ttaViews(opt.TTA, opt.TTA && opt.Turns)
		var sum *aten.Tensor
		for _, v := range views {
			in := v.apply(s, x)
			if err := s.Err(); err != nil {
				return err
			}
			out, err := forward(m, device, opt.Precision, in, false)
			if err != nil {
				return err
			}
			p := v.undo(s, s.Sigmoid(out.Main))
			out.Free()
			sum = s.Totals(sum, p)
		}
		if len(views) > 1 {
			sum = s.DivScalar(sum, float64(len(views)))
		}
		probs = s.Float32s(sum)
		return s.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("dskd: inference: %w", err)
	}
	return probs, nil
}

// ttaView is one test-time view of an N×C×H×W batch: flipped along
// flip, then transposed (H and W swapped) when turn is set; flip then
// transpose is a 90° turn.
type ttaView struct {
	flip []int64
	turn bool
}

// ttaViews are the identity; with flips, the three flips; with turns
// too, each of the four transposed: the 8 symmetries of a square.
func ttaViews(flips, turns bool) []ttaView {
	views := []ttaView{{}}
	if flips {
		views = append(views, ttaView{flip: []int64{3}}, ttaView{flip: []int64{2}}, ttaView{flip: []int64{2, 3}})
	}
	if turns {
		for _, v := range views { // range reads views once: the appended turns are not turned again
			views = append(views, ttaView{flip: v.flip, turn: true})
		}
	}
	return views
}

func (v ttaView) apply(s *aten.Scope, x *aten.Tensor) *aten.Tensor {
	if v.flip != nil {
		x = s.Flip(x, v.flip...)
	}
	if v.turn {
		x = s.Contiguous(s.Permute(x, 0, 1, 3, 2))
	}
	return x
}

// undo maps a prediction of the view back onto the original image.
func (v ttaView) undo(s *aten.Scope, p *aten.Tensor) *aten.Tensor {
	if v.turn {
		p = s.Permute(p, 0, 1, 3, 2)
	}
	if v.flip != nil {
		p = s.Flip(p, v.flip...)
	}
	return p
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
