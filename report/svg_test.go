package report

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// With a fixed [0,1] range the plot area spans x 56..426 and y 216..48.
func TestLineChartGeometry(t *testing.T) {
	c := newChart("t")
	c.YMin, c.YMax = 0, 1
	c.Series = []svgSeries{{Name: "s", Color: "#123456", Points: []xy{{0, 0}, {1, 1}, {2, math.NaN()}, {3, 0.5}, {4, 0.5}}}}
	svg := string(c.SVG())
	// x range 0..4: 92.5 units per epoch; the NaN at epoch 2 breaks the line.
	assert.Contains(t, svg, `points="56.0,216.0 148.5,48.0"`)
	assert.Contains(t, svg, `points="333.5,132.0 426.0,132.0"`)
	assert.Equal(t, 2, strings.Count(svg, "<polyline"))
	assert.Equal(t, 4, strings.Count(svg, "<circle"), "a dot per finite point")
	assert.Contains(t, svg, `<title>epoch 3: s = 0.5000</title>`)
	for _, tick := range []string{">0.0<", ">0.5<", ">1.0<"} { // Y step 0.25 rounds up to 0.5
		assert.Contains(t, svg, tick)
	}
}

func TestLineChartWithoutData(t *testing.T) {
	c := newChart("empty")
	c.Series = []svgSeries{{Name: "s", Points: []xy{{0, math.NaN()}, {1, math.Inf(1)}}}}
	svg := string(c.SVG())
	assert.Contains(t, svg, "no finite values yet")
	assert.NotContains(t, svg, "<polyline")
}

func TestNiceStepAndTicks(t *testing.T) {
	for raw, want := range map[float64]float64{0.23: 0.5, 0.1: 0.1, 1.7: 2, 3: 5, 7: 10, 0.00031: 0.0005, 0: 1, -2: 1} {
		assert.InDelta(t, want, niceStep(raw), want*1e-12, "niceStep(%g)", raw)
	}
	assert.Equal(t, []float64{0, 5, 10}, ticks(-0.2, 12, 5))
	assert.Equal(t, "0.25", tickLabel(0.25, 0.05))
	assert.Equal(t, "0.0", tickLabel(1e-17, 0.5), "noise around zero prints as zero")
}

func TestPadRange(t *testing.T) {
	lo, hi := padRange(0.001, 0.001)
	assert.InDelta(t, 0.0009, lo, 1e-15)
	assert.InDelta(t, 0.0011, hi, 1e-15)
	lo, hi = padRange(0, 0)
	assert.Equal(t, []float64{-0.5, 0.5}, []float64{lo, hi})
	lo, hi = padRange(1, 2)
	assert.InDelta(t, 0.94, lo, 1e-12)
	assert.InDelta(t, 2.06, hi, 1e-12)
}

func TestFmtValue(t *testing.T) {
	assert.Equal(t, "0.6250", fmtValue(0.625))
	assert.Equal(t, "–", fmtValue(math.NaN()))
	assert.Equal(t, "0.0000", fmtValue(6.799e-17), "rounding noise reads as zero")
	assert.Equal(t, "0.0005", fmtValue(0.0005000000000000002))
	assert.Equal(t, "2.5e-05", fmtValue(0.000025))
	assert.Equal(t, "+Inf", fmtValue(math.Inf(1)))
}
