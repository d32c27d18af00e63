package synth

import "math"

// field is a size×size float64 image used while composing.
type field struct {
	n   int
	pix []float64
}

func newField(n int) *field { return &field{n: n, pix: make([]float64, n*n)} }

// valueNoise adds amp * bilinearly interpolated random grid values in [-1,1]
// with the given number of cells per side.
func (f *field) valueNoise(r rng, cells int, amp float64) {
	g := cells + 2
	grid := make([]float64, g*g)
	for i := range grid {
		grid[i] = r.uniform(-1, 1)
	}
	scale := float64(cells) / float64(f.n)
	for y := 0; y < f.n; y++ {
		gy := float64(y) * scale
		y0 := int(gy)
		ty := smooth(gy - float64(y0))
		for x := 0; x < f.n; x++ {
			gx := float64(x) * scale
			x0 := int(gx)
			tx := smooth(gx - float64(x0))
			a := grid[y0*g+x0]*(1-tx) + grid[y0*g+x0+1]*tx
			b := grid[(y0+1)*g+x0]*(1-tx) + grid[(y0+1)*g+x0+1]*tx
			f.pix[y*f.n+x] += amp * (a*(1-ty) + b*ty)
		}
	}
}

func smooth(t float64) float64 { return t * t * (3 - 2*t) }

// background draws base level, texture, vignette, rib bands and a soft shadow.
func background(r rng, n int) *field {
	f := newField(n)
	base := r.uniform(0.5, 0.66)
	for i := range f.pix {
		f.pix[i] = base
	}
	f.valueNoise(r, 3, 0.09)
	f.valueNoise(r, 7, 0.05)
	f.valueNoise(r, 17, 0.025)
	f.valueNoise(r, 41, 0.015)
	s := float64(n)
	// Rib-like bands: gently curved, slightly brighter, soft edges.
	for k, nr := 0, 2+r.IntN(3); k < nr; k++ {
		ang := r.uniform(-0.6, 0.6)
		c := r.uniform(0.1, 0.9) * s
		curv := r.uniform(-1.5, 1.5) / s
		half := r.uniform(0.03, 0.06) * s
		amp := r.uniform(0.02, 0.05)
		ca, sa := math.Cos(ang), math.Sin(ang)
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				u := (float64(x)-s/2)*ca + (float64(y)-s/2)*sa
				v := -(float64(x)-s/2)*sa + (float64(y)-s/2)*ca + s/2
				d := math.Abs(v - c - curv*u*u)
				if d < 2*half {
					f.pix[y*n+x] += amp * (0.5 + 0.5*math.Cos(math.Pi*d/(2*half)))
				}
			}
		}
	}
	// Soft heart/diaphragm shadow.
	cx, cy := r.uniform(0.2, 0.8)*s, r.uniform(0.5, 1.0)*s
	rad, amp := r.uniform(0.25, 0.45)*s, r.uniform(0.04, 0.1)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			f.pix[y*n+x] -= amp * math.Exp(-(dx*dx+dy*dy)/(2*rad*rad))
		}
	}
	// Vignette.
	vig := r.uniform(0.2, 0.45)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := (float64(x)-s/2)/(s/2), (float64(y)-s/2)/(s/2)
			f.pix[y*n+x] *= 1 - vig*(dx*dx+dy*dy)/2
		}
	}
	return f
}

// collimator returns a field-of-view weight in [0,1] (1 inside), or nil for
// an uncollimated image.
func collimator(r rng, n int) []float64 {
	if !r.chance(0.4) {
		return nil
	}
	s := float64(n)
	cx, cy := r.uniform(0.42, 0.58)*s, r.uniform(0.42, 0.58)*s
	rad := r.uniform(0.5, 0.62) * s
	edge := 0.01 * s
	w := make([]float64, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			d := math.Hypot(float64(x)-cx, float64(y)-cy) - rad
			w[y*n+x] = clamp01(0.5 - d/(2*edge))
		}
	}
	return w
}
