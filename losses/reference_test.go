package losses

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/angioseg/dskd/internal/aten"
)

// Plain-Go float64 references, written from METHOD.md's formulas.

func sig(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func refDice(l, y []float64, b int) float64 {
	n := len(l) / b
	var sum float64
	for i := 0; i < b; i++ {
		var inter, ps, ys float64
		for j := i * n; j < (i+1)*n; j++ {
			p := sig(l[j])
			inter += p * y[j]
			ps += p
			ys += y[j]
		}
		sum += 1 - (2*inter+1)/(ps+ys+1)
	}
	return sum / float64(b)
}

func refBCE(l, y []float64) float64 {
	var s float64
	for i := range l {
		p := sig(l[i])
		s += -(y[i]*math.Log(p) + (1-y[i])*math.Log(1-p))
	}
	return s / float64(len(l))
}

func refPSDL(s, t, y []float64, alpha float64) float64 {
	soft := make([]float64, len(y))
	for i := range y {
		soft[i] = alpha*sig(t[i]) + (1-alpha)*y[i]
	}
	return refBCE(s, soft)
}

// refLogDist returns log P[b][patch][c] for one [B,1,H,W] map.
func refLogDist(l []float64, b, h, w int, o DDLOptions) [][][2]float64 {
	out := make([][][2]float64, b)
	for bi := 0; bi < b; bi++ {
		for _, rb := range AdaptiveBins(h, o.Grid) {
			for _, cb := range AdaptiveBins(w, o.Grid) {
				area := float64((rb[1] - rb[0]) * (cb[1] - cb[0]))
				var fg float64
				for r := rb[0]; r < rb[1]; r++ {
					for c := cb[0]; c < cb[1]; c++ {
						fg += sig(l[bi*h*w+r*w+c])
					}
				}
				var z [2]float64
				if o.RawCounts {
					z = [2]float64{fg / o.Tau, (area - fg) / o.Tau}
				} else {
					z = [2]float64{math.Log(fg/area+o.Eps) / o.Tau, math.Log(1-fg/area+o.Eps) / o.Tau}
				}
				m := math.Max(z[0], z[1])
				lse := m + math.Log(math.Exp(z[0]-m)+math.Exp(z[1]-m))
				out[bi] = append(out[bi], [2]float64{z[0] - lse, z[1] - lse})
			}
		}
	}
	return out
}

func refDDL(s, t [][]float64, b, h, w int, o DDLOptions) float64 {
	var total float64
	for i := range s {
		ls, lt := refLogDist(s[i], b, h, w, o), refLogDist(t[i], b, h, w, o)
		if o.ReverseKL {
			ls, lt = lt, ls
		}
		var sum float64
		n := 0
		for bi := range ls {
			for m := range ls[bi] {
				for c := 0; c < 2; c++ {
					sum += math.Exp(lt[bi][m][c]) * (lt[bi][m][c] - ls[bi][m][c])
				}
				n++
			}
		}
		total += sum / float64(n)
	}
	if o.TauSquared == On {
		total *= o.Tau * o.Tau
	}
	return total
}

func TestAdaptiveBins(t *testing.T) {
	got := fmt.Sprint(AdaptiveBins(7, 3), AdaptiveBins(6, 2), AdaptiveBins(5, 4))
	assert.Equal(t, "[[0 3] [2 5] [4 7]] [[0 3] [3 6]] [[0 2] [1 3] [2 4] [3 5]]", got)
}

func TestAgainstPlainGo(t *testing.T) {
	type size struct{ b, h, w int }
	run(t, func(s *aten.Scope) error {
		r := lcg(3)
		for _, sz := range []size{{2, 6, 6}, {2, 7, 5}, {1, 9, 4}} {
			n := sz.b * sz.h * sz.w
			shape := []int64{int64(sz.b), 1, int64(sz.h), int64(sz.w)}
			const depths = 3
			var sv, tv [][]float64
			var st, tt []*Tensor
			for i := 0; i < depths; i++ {
				sv = append(sv, randMap(&r, n, 4))
				tv = append(tv, randMap(&r, n, 4))
				st = append(st, tensor(t, s, sv[i], shape))
				tt = append(tt, tensor(t, s, tv[i], shape))
			}
			yv := randMask(&r, n, 0.3)
			y := tensor(t, s, yv, shape)
			check := func(name string, got *Tensor, err error, want float64) {
				t.Helper()
				if !assert.NoError(t, err, "%v %s", sz, name) {
					return
				}
				v, err := Scalar(got)
				got.Free()
				if assert.NoError(t, err, "%v %s", sz, name) {
					assert.Truef(t, near(v, want, 1e-9), "%v %s: %.12g, plain Go %.12g", sz, name, v, want)
				}
			}
			d, err := Dice(st[2], y)
			check("dice", d, err, refDice(sv[2], yv, sz.b))
			b, err := BCEWithLogits(st[2], y)
			check("bce", b, err, refBCE(sv[2], yv))
			for _, a := range []float64{0, 0.25, 0.5} {
				p, err := PixelwiseSelfKD(st[2], tt[2], y, a)
				check(fmt.Sprintf("psdl alpha %g", a), p, err, refPSDL(sv[2], tv[2], yv, a))
			}
			for _, o := range []DDLOptions{
				{Grid: 2, Tau: 3, Eps: 1e-6},
				{Grid: 3, Tau: 3, Eps: 1e-6},
				{Grid: 3, Tau: 2, Eps: 1e-6, ReverseKL: true},
				{Grid: 2, Tau: 40, Eps: 1e-6, RawCounts: true},
				{Grid: 4, Tau: 3, Eps: 1e-6, TauSquared: Off},
			} {
				if o.Grid > sz.w || o.Grid > sz.h {
					continue
				}
				l, err := DeepDistribution(st, tt, o)
				check(fmt.Sprintf("ddl %+v", o), l, err, refDDL(sv, tv, sz.b, sz.h, sz.w, o))
			}
			ds, err := DeepSupervision(st[:2], y, []float64{0.25, 0.75})
			check("deep supervision", ds, err,
				0.25*(refDice(sv[0], yv, sz.b)+refBCE(sv[0], yv))+0.75*(refDice(sv[1], yv, sz.b)+refBCE(sv[1], yv)))
		}
		return nil
	})
}
