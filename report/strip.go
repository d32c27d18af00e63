package report

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// StripHeight is the height of the PNG written by WriteStripPlot; its
// width is StripGroupWidth per group, at least CurvesHeight.
const (
	StripHeight     = 400
	StripGroupWidth = 160
)

// WriteStripPlot draws one column of points per group (e.g. the Dice of
// each run of a study's arm), spread sideways in a fixed pattern so that
// equal values stay visible, with the group mean as a short black bar.
// Non-finite values are skipped; the y axis starts at 0 at the lowest
// when no value is negative. groups and values must have the same
// length and at least one group. The PNG is written atomically.
func WriteStripPlot(path, title, yLabel string, groups []string, values [][]float64) error {
	if len(groups) == 0 || len(groups) != len(values) {
		return prefixed(path, fmt.Errorf("%w: %d groups and %d value lists", ErrSize, len(groups), len(values)))
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	p.NominalX(groups...)
	p.X.Min, p.X.Max = -0.5, float64(len(groups))-0.5
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, vs := range values {
		var xy plotter.XYs
		var sum float64
		for j, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: float64(i) + stripOffset(j), Y: v})
			sum += v
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if len(xy) == 0 {
			continue
		}
		pts, err := plotter.NewScatter(xy)
		if err != nil {
			return prefixed(path, err)
		}
		pts.Color, pts.Shape, pts.Radius = plotutil.Color(i), draw.CircleGlyph{}, vg.Points(3)
		mean := sum / float64(len(xy))
		bar, err := plotter.NewLine(plotter.XYs{{X: float64(i) - 0.3, Y: mean}, {X: float64(i) + 0.3, Y: mean}})
		if err != nil {
			return prefixed(path, err)
		}
		bar.Color, bar.Width = color.Black, vg.Points(2)
		p.Add(pts, bar)
	}
	if math.IsInf(lo, 1) {
		return prefixed(path, errors.New("no finite value to plot"))
	}
	pad := math.Max((hi-lo)*0.1, 0.01)
	p.Y.Min, p.Y.Max = lo-pad, hi+pad
	if lo >= 0 {
		p.Y.Min = math.Max(p.Y.Min, 0) // scores such as Dice are never negative
	}
	width := max(CurvesHeight, StripGroupWidth*len(groups))
	c := vgimg.NewWith(vgimg.UseImage(image.NewRGBA(image.Rect(0, 0, width, StripHeight))))
	p.Draw(draw.New(c))
	img := c.Image()
	return writeAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// stripOffset spreads the points of a group over [-0.2, 0.2]: 0, +, -, ++,
// --, ... in steps of 0.04, wrapping after 11 points.
func stripOffset(j int) float64 {
	k := j % 11
	step := float64((k+1)/2) * 0.04
	if k%2 == 1 {
		return step
	}
	return -step
}
