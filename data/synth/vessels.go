package synth

import "math"

// stamp is one disc along a tube centreline.
type stamp struct {
	x, y, r  float64
	contrast float64 // relative darkening of this tube (distal filling, catheter)
}

// tube accumulates the discs of one or more tubes and renders them.
type tube struct {
	n      int
	stamps []stamp
}

// vesselTree grows one branching tree from (x, y) with heading ang and root
// radius r0 (pixels), appending discs every half pixel.
func (t *tube) vesselTree(r rng, x, y, ang, r0, scale float64) {
	type branch struct{ x, y, ang, rad, contrast float64 }
	stack := []branch{{x, y, ang, r0, 1}}
	minR := 0.45 + 0.25*r.Float64()
	segments := 0
	for len(stack) > 0 && segments < 24 {
		b := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		segments++
		taper := r.uniform(0.0025, 0.006) / scale
		curv := 0.0
		bias := r.uniform(-0.006, 0.006) / scale
		nextBranch := r.uniform(25, 60) * scale
		for step := 0; step < int(900*scale); step++ {
			curv = 0.96*curv + r.normal()*0.006/math.Sqrt(scale)
			curv = math.Max(-0.08, math.Min(0.08, curv))
			b.ang += (curv + bias) * 0.5
			b.x += 0.5 * math.Cos(b.ang)
			b.y += 0.5 * math.Sin(b.ang)
			b.rad *= 1 - taper*0.5
			if b.rad < minR || b.x < -5 || b.y < -5 || b.x > float64(t.n)+5 || b.y > float64(t.n)+5 {
				break
			}
			// distal filling: contrast fades slightly with thinning
			t.stamps = append(t.stamps, stamp{b.x, b.y, b.rad, b.contrast})
			nextBranch -= 0.5
			if nextBranch <= 0 && b.rad > minR*1.4 {
				nextBranch = r.uniform(25, 70) * scale
				side := 1.0
				if r.chance(0.5) {
					side = -1
				}
				childR := b.rad * r.uniform(0.5, 0.8)
				stack = append(stack, branch{b.x, b.y, b.ang + side*r.uniform(0.4, 1.1), childR, b.contrast * r.uniform(0.7, 1.0)})
				b.rad *= r.uniform(0.85, 0.97)
				b.ang -= side * r.uniform(0.05, 0.25)
			}
		}
	}
}

// render writes the vessel mask (1 where a pixel centre is within a disc) and
// an absorption map (max over discs of contrast * chord length through the
// tube at that pixel) into the given slices (len n*n, mask may be nil).
func (t *tube) render(mask, absorb []float64) {
	n := t.n
	for _, s := range t.stamps {
		x0, x1 := int(math.Floor(s.x-s.r-1)), int(math.Ceil(s.x+s.r+1))
		y0, y1 := int(math.Floor(s.y-s.r-1)), int(math.Ceil(s.y+s.r+1))
		r2 := s.r * s.r
		// Pixels with centres outside but near the disc still get partial
		// absorption (anti-aliased look) via an effective radius r+0.5.
		re2 := (s.r + 0.5) * (s.r + 0.5)
		for y := max(0, y0); y <= min(n-1, y1); y++ {
			for x := max(0, x0); x <= min(n-1, x1); x++ {
				dx, dy := float64(x)+0.5-s.x, float64(y)+0.5-s.y
				d2 := dx*dx + dy*dy
				if d2 <= r2 && mask != nil {
					mask[y*n+x] = 1
				}
				if d2 < re2 {
					a := s.contrast * 2 * math.Sqrt(re2-d2)
					if a > absorb[y*n+x] {
						absorb[y*n+x] = a
					}
				}
			}
		}
	}
}
