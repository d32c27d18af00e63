package synth

import "math"

// catheter adds a constant-radius, smooth tube entering from the border (not a vessel).
func (t *tube) catheter(r rng, scale float64) {
	n := float64(t.n)
	x, y, ang := borderStart(r, n)
	rad := r.uniform(1.6, 2.4) * scale
	contrast := r.uniform(0.7, 1.1)
	curv := r.uniform(-0.004, 0.004) / scale
	length := r.uniform(0.35, 0.8) * n
	for s := 0.0; s < length; s += 0.5 {
		ang += curv * 0.5
		x += 0.5 * math.Cos(ang)
		y += 0.5 * math.Sin(ang)
		t.stamps = append(t.stamps, stamp{x, y, rad, contrast})
	}
}

// wire adds a thin, nearly straight line crossing part of the image (ECG lead, suture).
func (t *tube) wire(r rng, scale float64) {
	n := float64(t.n)
	x, y, ang := borderStart(r, n)
	rad := r.uniform(0.5, 0.9) * scale
	contrast := r.uniform(0.4, 0.8)
	length := r.uniform(0.3, 1.2) * n
	for s := 0.0; s < length; s += 0.5 {
		x += 0.5 * math.Cos(ang)
		y += 0.5 * math.Sin(ang)
		t.stamps = append(t.stamps, stamp{x, y, rad, contrast})
	}
}

// blob adds a small dark roundish blob (clip, calcification, overlapping bowel gas edge).
func (t *tube) blob(r rng, scale float64) {
	n := float64(t.n)
	t.stamps = append(t.stamps, stamp{r.uniform(0.1, 0.9) * n, r.uniform(0.1, 0.9) * n, r.uniform(2, 6) * scale, r.uniform(0.2, 0.5)})
}

// borderStart returns a point on the image border and a heading pointing inwards.
func borderStart(r rng, n float64) (x, y, ang float64) {
	p := r.uniform(0.15, 0.85) * n
	jitter := r.uniform(-0.5, 0.5)
	switch r.IntN(4) {
	case 0:
		return p, 0, math.Pi/2 + jitter
	case 1:
		return p, n, -math.Pi/2 + jitter
	case 2:
		return 0, p, jitter
	default:
		return n, p, math.Pi + jitter
	}
}
