package metrics

import "fmt"

// Skeletonize returns the Zhang–Suen thinning (Zhang & Suen, CACM 1984)
// of a binary H x W image (row-major). Pixels outside the image count as
// background. The skeleton is 8-connected and one pixel wide. This is the
// plain algorithm: like every Zhang–Suen implementation it deletes a
// lone 2x2 block entirely; clDice treats such an empty skeleton with the
// ZeroDivision policy.
//
// Neighbours are numbered clockwise from north: P2=N, P3=NE, P4=E,
// P5=SE, P6=S, P7=SW, P8=W, P9=NW. B is the number of foreground
// neighbours, A the number of 0→1 transitions in P2,P3,...,P9,P2. A
// pixel is deleted when 2 <= B <= 6 and A == 1 and, in the first
// sub-iteration, P2·P4·P6 = 0 and P4·P6·P8 = 0, in the second,
// P2·P4·P8 = 0 and P2·P6·P8 = 0. Deletions of a sub-iteration are applied
// together; iterations repeat until nothing changes.
func Skeletonize(img []bool, h, w int) ([]bool, error) {
	if h < 0 || w < 0 || h*w != len(img) {
		return nil, fmt.Errorf("metrics: shape %dx%d does not match %d pixels", h, w, len(img))
	}
	// padded copy with a one-pixel background border
	pw := w + 2
	g := make([]uint8, (h+2)*pw)
	var fg []int32 // indices (in g) of the current foreground pixels
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			if img[r*w+c] {
				i := (r+1)*pw + c + 1
				g[i] = 1
				fg = append(fg, int32(i))
			}
		}
	}
	del := make([]int32, 0, len(fg))
	for changed := true; changed; {
		changed = false
		for step := 0; step < 2; step++ {
			del = del[:0]
			for _, i32 := range fg {
				i := int(i32)
				p2, p3, p4 := g[i-pw], g[i-pw+1], g[i+1]
				p5, p6, p7 := g[i+pw+1], g[i+pw], g[i+pw-1]
				p8, p9 := g[i-1], g[i-pw-1]
				b := p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9
				if b < 2 || b > 6 {
					continue
				}
				a := up(p2, p3) + up(p3, p4) + up(p4, p5) + up(p5, p6) +
					up(p6, p7) + up(p7, p8) + up(p8, p9) + up(p9, p2)
				if a != 1 {
					continue
				}
				if step == 0 && (p2&p4&p6 != 0 || p4&p6&p8 != 0) {
					continue
				}
				if step == 1 && (p2&p4&p8 != 0 || p2&p6&p8 != 0) {
					continue
				}
				del = append(del, i32)
			}
			if len(del) == 0 {
				continue
			}
			changed = true
			for _, i := range del {
				g[i] = 0
			}
			keep := fg[:0]
			for _, i := range fg {
				if g[i] != 0 {
					keep = append(keep, i)
				}
			}
			fg = keep
		}
	}
	out := make([]bool, h*w)
	for _, i := range fg {
		r, c := int(i)/pw-1, int(i)%pw-1
		out[r*w+c] = true
	}
	return out, nil
}

func up(a, b uint8) uint8 { return (1 - a) & b }
