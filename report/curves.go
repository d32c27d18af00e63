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

// Size of the PNG written by WriteCurves, in pixels.
const (
	CurvesWidth  = 900
	CurvesHeight = 400
)

// WriteCurves draws history as a CurvesWidth×CurvesHeight PNG with two
// side-by-side panels: on the left the training loss against epoch (the
// total as a thick black line, each Parts entry as a thinner coloured line),
// on the right the validation Dice against epoch on a [0,1] axis. Non-finite
// values (NaN Dice of epochs that were not validated, a diverged loss) are
// skipped. A one-epoch history draws single points. An empty history is an
// error. The file is written atomically, creating parent directories as
// needed.
func WriteCurves(path string, history []EpochRecord) error {
	if len(history) == 0 {
		return prefixed(path, errors.New("empty history"))
	}
	loss, err := lossPlot(history)
	if err != nil {
		return prefixed(path, err)
	}
	dice, err := dicePlot(history)
	if err != nil {
		return prefixed(path, err)
	}
	// The canvas draws into its own copy of the image passed in; the result
	// is read back with c.Image().
	c := vgimg.NewWith(vgimg.UseImage(image.NewRGBA(image.Rect(0, 0, CurvesWidth, CurvesHeight))))
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2,
		PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 3}
	plots := [][]*plot.Plot{{loss, dice}}
	canvases := plot.Align(plots, tiles, dc)
	loss.Draw(canvases[0][0])
	dice.Draw(canvases[0][1])
	img := c.Image()
	return writeAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// epochRange sets p's X axis to the history's epoch span (padded by one when
// it is a single epoch) so that plots with no drawable points still render.
func epochRange(p *plot.Plot, history []EpochRecord) {
	lo, hi := history[0].Epoch, history[0].Epoch
	for _, r := range history {
		lo, hi = min(lo, r.Epoch), max(hi, r.Epoch)
	}
	p.X.Min, p.X.Max = float64(lo), float64(hi)
	if lo == hi {
		p.X.Min, p.X.Max = float64(lo)-1, float64(hi)+1
	}
}

// series returns the finite (epoch, value) points of history picked by get.
func series(history []EpochRecord, get func(EpochRecord) (float64, bool)) plotter.XYs {
	var xy plotter.XYs
	for _, r := range history {
		v, ok := get(r)
		if ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			xy = append(xy, plotter.XY{X: float64(r.Epoch), Y: v})
		}
	}
	return xy
}

// addSeries draws xy as a line with point markers, labelled in the legend.
// Empty series are skipped.
func addSeries(p *plot.Plot, name string, xy plotter.XYs, col int, width vg.Length) error {
	if len(xy) == 0 {
		return nil
	}
	lp, pts, err := plotter.NewLinePoints(xy)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var c color.Color = color.Black
	if col >= 0 {
		c = plotutil.Color(col)
	}
	lp.Color, lp.Width = c, width
	pts.Color, pts.Shape, pts.Radius = c, draw.CircleGlyph{}, width+vg.Points(0.5)
	p.Add(lp, pts)
	p.Legend.Add(name, lp, pts)
	return nil
}

func lossPlot(history []EpochRecord) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Training loss"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "loss"
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	epochRange(p, history)
	total := series(history, func(r EpochRecord) (float64, bool) { return r.TrainLoss, true })
	if err := addSeries(p, "total", total, -1, vg.Points(2)); err != nil {
		return nil, err
	}
	for i, name := range partNames(history) {
		xy := series(history, func(r EpochRecord) (float64, bool) { v, ok := r.Parts[name]; return v, ok })
		if err := addSeries(p, name, xy, i, vg.Points(1)); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func dicePlot(history []EpochRecord) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Validation Dice"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "Dice"
	p.Legend.Top = true
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	epochRange(p, history)
	p.Y.Min, p.Y.Max = 0, 1
	dice := series(history, func(r EpochRecord) (float64, bool) { return r.ValDice, true })
	if len(dice) == 0 {
		p.Title.Text = "Validation Dice (not validated)"
	}
	if err := addSeries(p, "val Dice", dice, 1, vg.Points(1.5)); err != nil {
		return nil, err
	}
	return p, nil
}
