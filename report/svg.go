package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Chart geometry in SVG user units (the page scales them to its width).
const (
	chartW, chartH                            = 440.0, 250.0
	marginL, marginR, marginTop, marginBottom = 56.0, 14.0, 48.0, 34.0
)

// xy is one point of a series; non-finite Y values break the line.
type xy struct{ X, Y float64 }

// svgSeries is one named line of a chart.
type svgSeries struct {
	Name   string
	Color  string
	Width  float64 // stroke width; 0 means 1.5
	Dashed bool
	Points []xy
}

// lineChart is a small SVG line chart with a title, a legend, axes with
// ticks and a tooltip (<title>) on every point.
type lineChart struct {
	Title  string
	XLabel string
	// YMin, YMax fix the Y range when both are finite; NaN lets the data
	// decide (a zero-height range is widened).
	YMin, YMax float64
	// MarkX draws a dashed vertical line at that X (e.g. the best epoch)
	// when finite, labelled MarkLabel.
	MarkX     float64
	MarkLabel string
	Series    []svgSeries
}

func newChart(title string) lineChart {
	return lineChart{Title: title, XLabel: "epoch", YMin: math.NaN(), YMax: math.NaN(), MarkX: math.NaN()}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// dataRange returns the finite extent of the points of every series.
func (c lineChart) dataRange() (x0, x1, y0, y1 float64, ok bool) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	for _, s := range c.Series {
		for _, p := range s.Points {
			if !finite(p.X) || !finite(p.Y) {
				continue
			}
			x0, x1 = math.Min(x0, p.X), math.Max(x1, p.X)
			y0, y1 = math.Min(y0, p.Y), math.Max(y1, p.Y)
			ok = true
		}
	}
	return
}

// SVG renders the chart; a chart without finite points says so.
func (c lineChart) SVG() template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s">`, chartW, chartH, html.EscapeString(c.Title))
	fmt.Fprintf(&b, `<text class="title" x="%g" y="16">%s</text>`, marginL, html.EscapeString(c.Title))
	x0, x1, y0, y1, ok := c.dataRange()
	if !ok {
		fmt.Fprintf(&b, `<text class="empty" x="%g" y="%g">no finite values yet</text></svg>`, chartW/2, chartH/2)
		return template.HTML(b.String())
	}
	if finite(c.YMin) && finite(c.YMax) && c.YMax > c.YMin {
		y0, y1 = c.YMin, c.YMax
	} else {
		y0, y1 = padRange(y0, y1)
	}
	if x0 == x1 {
		x0, x1 = x0-1, x1+1
	}
	px := func(x float64) float64 { return marginL + (x-x0)/(x1-x0)*(chartW-marginL-marginR) }
	py := func(y float64) float64 { return chartH - marginBottom - (y-y0)/(y1-y0)*(chartH-marginTop-marginBottom) }
	c.axes(&b, x0, x1, y0, y1, px, py)
	if finite(c.MarkX) && c.MarkX >= x0 && c.MarkX <= x1 {
		fmt.Fprintf(&b, `<line class="mark" x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`, px(c.MarkX), marginTop, px(c.MarkX), chartH-marginBottom)
		x, anchor := px(c.MarkX)+3, "start"
		if x > chartW-marginR-30 {
			x, anchor = px(c.MarkX)-3, "end"
		}
		fmt.Fprintf(&b, `<text class="mark" x="%.1f" y="%g" text-anchor="%s">%s</text>`, x, marginTop+10, anchor, html.EscapeString(c.MarkLabel))
	}
	for _, s := range c.Series {
		c.line(&b, s, px, py)
	}
	c.legend(&b)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// padRange widens [lo, hi] by 6 % each side, or around a constant value.
func padRange(lo, hi float64) (float64, float64) {
	if hi == lo {
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 0.5
		}
		return lo - d, hi + d
	}
	d := (hi - lo) * 0.06
	return lo - d, hi + d
}

func (c lineChart) axes(b *strings.Builder, x0, x1, y0, y1 float64, px, py func(float64) float64) {
	bottom, right := chartH-marginBottom, chartW-marginR
	ystep := niceStep((y1 - y0) / 4)
	for _, v := range ticks(y0, y1, ystep) {
		fmt.Fprintf(b, `<line class="grid" x1="%g" y1="%.1f" x2="%g" y2="%.1f"/>`, marginL, py(v), right, py(v))
		fmt.Fprintf(b, `<text class="ytick" x="%g" y="%.1f">%s</text>`, marginL-4, py(v)+3.5, tickLabel(v, ystep))
	}
	xstep := math.Max(1, niceStep((x1-x0)/6))
	for _, v := range ticks(x0, x1, xstep) {
		fmt.Fprintf(b, `<line class="tick" x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`, px(v), bottom, px(v), bottom+4)
		fmt.Fprintf(b, `<text class="xtick" x="%.1f" y="%g">%s</text>`, px(v), bottom+15, tickLabel(v, xstep))
	}
	fmt.Fprintf(b, `<rect class="frame" x="%g" y="%g" width="%g" height="%g"/>`, marginL, marginTop, right-marginL, bottom-marginTop)
	fmt.Fprintf(b, `<text class="xlabel" x="%g" y="%g">%s</text>`, (marginL+right)/2, chartH-3, html.EscapeString(c.XLabel))
}

// line draws s as polylines broken at non-finite values, with a dot and a
// tooltip on every finite point.
func (c lineChart) line(b *strings.Builder, s svgSeries, px, py func(float64) float64) {
	width := s.Width
	if width == 0 {
		width = 1.5
	}
	dash := ""
	if s.Dashed {
		dash = ` stroke-dasharray="5 3"`
	}
	var seg []string
	flush := func() {
		if len(seg) > 1 {
			fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="%g"%s points="%s"/>`, s.Color, width, dash, strings.Join(seg, " "))
		}
		seg = seg[:0]
	}
	for _, p := range s.Points {
		if !finite(p.X) || !finite(p.Y) {
			flush()
			continue
		}
		seg = append(seg, fmt.Sprintf("%.1f,%.1f", px(p.X), py(p.Y)))
	}
	flush()
	for _, p := range s.Points {
		if finite(p.X) && finite(p.Y) {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="%g" fill="%s"><title>%s %s: %s</title></circle>`,
				px(p.X), py(p.Y), width+1, s.Color, html.EscapeString(c.XLabel), tickLabel(p.X, 1), html.EscapeString(s.Name)+" = "+fmtValue(p.Y))
		}
	}
}

// legend lays the svgSeries names out in rows under the title.
func (c lineChart) legend(b *strings.Builder) {
	x, y := marginL, 32.0
	for _, s := range c.Series {
		w := 26 + 6.2*float64(len([]rune(s.Name)))
		if x+w > chartW-marginR && x > marginL {
			x, y = marginL, y+12
		}
		fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2.5"/>`, x, y-3.5, x+14, y-3.5, s.Color)
		fmt.Fprintf(b, `<text class="legend" x="%g" y="%g">%s</text>`, x+18, y, html.EscapeString(s.Name))
		x += w
	}
}

// niceStep rounds raw up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if !(raw > 0) || !finite(raw) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// ticks returns the multiples of step within [lo, hi].
func ticks(lo, hi, step float64) []float64 {
	var out []float64
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+step*1e-9 && len(out) < 50; k++ {
		out = append(out, k*step)
	}
	return out
}

// tickLabel prints v with as many decimals as step needs.
func tickLabel(v, step float64) string {
	if math.Abs(v) < step*1e-9 {
		v = 0
	}
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	if math.Abs(v) >= 1e5 || (v != 0 && math.Abs(v) < 1e-3) {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// fmtValue prints a score or loss with four decimals (small values in
// exponent form, rounding noise below 1e-10 as zero), "–" for NaN.
func fmtValue(v float64) string {
	if math.Abs(v) < 1e-10 {
		v = 0
	}
	switch {
	case math.IsNaN(v):
		return "–"
	case math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case v != 0 && (math.Abs(v) < 1e-3 || math.Abs(v) >= 1e5):
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}
