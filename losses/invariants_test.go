package losses

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/models"
)

func TestInvariants(t *testing.T) {
	val := valueOf(t)
	run(t, func(sc *aten.Scope) error {
		r := lcg(5)
		shape := []int64{2, 1, 7, 5}
		var s, s2 []*Tensor
		for i := 0; i < 3; i++ {
			v := randMap(&r, 70, 3)
			s = append(s, tensor(t, sc, v, shape))
			s2 = append(s2, tensor(t, sc, v, shape))
		}
		yv := randMask(&r, 70, 0.4)
		y := tensor(t, sc, yv, shape)

		// DDL of a map with itself is 0, for every option set.
		for _, o := range []DDLOptions{{}, {Grid: 3, RawCounts: true}, {Grid: 2, ReverseKL: true}} {
			v := val(DeepDistribution(s, s2, o))
			assert.Truef(t, near(v, 0, 1e-12), "DDL(x, x) with %+v = %g, want 0", o, v)
		}
		// PSDL with alpha 0 (or no teacher) is BCE, exactly.
		b := val(BCEWithLogits(s[2], y))
		for _, teacher := range []*Tensor{s[0], nil} {
			p := val(PixelwiseSelfKD(s[2], teacher, y, 0))
			assert.Equalf(t, b, p, "PSDL alpha 0 = %.15g, BCE %.15g", p, b)
		}
		// Dice of a perfect, confident prediction is ~0; of the inverse ~1.
		perfect := make([]float64, 70)
		inverse := make([]float64, 70)
		for i, v := range yv {
			perfect[i] = 40*v - 20
			inverse[i] = -perfect[i]
		}
		assert.LessOrEqual(t, val(Dice(tensor(t, sc, perfect, shape), y)), 1e-6, "Dice of a perfect prediction, want ~0")
		assert.GreaterOrEqual(t, val(Dice(tensor(t, sc, inverse, shape), y)), 0.9, "Dice of the inverse prediction, want ~1")
		// Epoch 0 without a teacher: DSKD = Dice + BCE.
		obj, err := NewObjective(Config{})
		if err != nil {
			return err
		}
		l, bd, err := obj.Compute(output(s), nil, y, 0, 10)
		if err != nil {
			return err
		}
		l.Free()
		dice := val(Dice(s[2], y))
		assert.Truef(t, near(bd.Total, dice+b, 1e-12), "epoch 0 breakdown %+v, want total %g", bd, dice+b)
		ddl, ok := bd.Get(TermDDL)
		assert.True(t, ok, "epoch 0 breakdown %+v lacks the DDL term", bd)
		assert.Zero(t, ddl, "epoch 0 DDL")
		assert.Zero(t, bd.Alpha, "epoch 0 alpha")
		assert.Zero(t, bd.LambdaDDL, "epoch 0 lambda_DDL")
		// Ramp: alpha_t = 0.5 t/T, lambda_DDL(t) = t/T.
		l, bd, err = obj.Compute(output(s), output(s2), y, 4, 10)
		if err != nil {
			return err
		}
		l.Free()
		assert.Truef(t, near(bd.Alpha, 0.2, 1e-15) && near(bd.LambdaDDL, 0.4, 1e-15),
			"epoch 4/10: alpha %g, lambda %g; want 0.2, 0.4", bd.Alpha, bd.LambdaDDL)
		return nil
	})
}

// TestGradientsFiniteDifferences compares autograd with central
// differences for every loss and the full objective, in float64.
func TestGradientsFiniteDifferences(t *testing.T) {
	val := valueOf(t)
	run(t, func(sc *aten.Scope) error {
		r := lcg(9)
		shape := []int64{2, 1, 6, 5}
		const n = 60
		var sv, tv [][]float64
		for i := 0; i < 3; i++ {
			sv = append(sv, randMap(&r, n, 2.5))
			tv = append(tv, randMap(&r, n, 2.5))
		}
		y := tensor(t, sc, randMask(&r, n, 0.4), shape)
		var teachers []*Tensor
		for i := range tv {
			teachers = append(teachers, tensor(t, sc, tv[i], shape))
		}
		dskd, err := NewObjective(Config{DDL: DDLOptions{Grid: 3}})
		if err != nil {
			return err
		}
		raw, err := NewObjective(Config{DDLSchedule: ScheduleConstant, DDL: DDLOptions{Grid: 2, RawCounts: true, Tau: 20}})
		if err != nil {
			return err
		}
		ds, err := NewObjective(Config{Preset: PresetDeepSupervision})
		if err != nil {
			return err
		}
		losses := map[string]func(s []*Tensor) (*Tensor, error){
			"dice": func(s []*Tensor) (*Tensor, error) { return Dice(s[2], y) },
			"bce":  func(s []*Tensor) (*Tensor, error) { return BCEWithLogits(s[2], y) },
			"psdl": func(s []*Tensor) (*Tensor, error) { return PixelwiseSelfKD(s[2], teachers[2], y, 0.35) },
			"ddl":  func(s []*Tensor) (*Tensor, error) { return DeepDistribution(s, teachers, DDLOptions{Grid: 3}) },
			"ddlrv": func(s []*Tensor) (*Tensor, error) {
				return DeepDistribution(s, teachers, DDLOptions{Grid: 2, ReverseKL: true})
			},
			"dskd": func(s []*Tensor) (*Tensor, error) {
				l, _, err := dskd.Compute(output(s), output(teachers), y, 6, 10)
				return l, err
			},
			"dskd-raw": func(s []*Tensor) (*Tensor, error) {
				l, _, err := raw.Compute(output(s), output(teachers), y, 2, 10)
				return l, err
			},
			"deep-supervision": func(s []*Tensor) (*Tensor, error) {
				l, _, err := ds.Compute(output(s), nil, y, 2, 10)
				return l, err
			},
		}
		probe := [][2]int{{0, 0}, {0, 17}, {1, 33}, {2, 5}, {2, 59}}
		for name, f := range losses {
			ls := aten.NewScope()
			var leaves []*Tensor
			for i := range sv {
				leaves = append(leaves, leaf(t, ls, sv[i], shape))
			}
			l, err := f(leaves)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ls.Backward(ls.Adopt(l))
			if err := ls.Err(); err != nil {
				return fmt.Errorf("%s backward: %w", name, err)
			}
			for _, pr := range probe {
				var analytic float64
				if g := grad(t, ls, leaves[pr[0]]); g != nil {
					analytic = g[pr[1]]
				}
				const h = 1e-6
				eval := func(delta float64) float64 {
					es := aten.NewScope()
					defer es.Close()
					var in []*Tensor
					for i := range sv {
						v := append([]float64(nil), sv[i]...)
						if i == pr[0] {
							v[pr[1]] += delta
						}
						in = append(in, tensor(t, es, v, shape))
					}
					var out float64
					require.NoError(t, engine.NoGrad(func() error {
						out = val(f(in))
						return nil
					}))
					return out
				}
				numeric := (eval(h) - eval(-h)) / (2 * h)
				assert.Truef(t, near(analytic, numeric, 1e-6),
					"%s: d/d s[%d][%d]: autograd %.10g, finite difference %.10g", name, pr[0], pr[1], analytic, numeric)
			}
			ls.Close()
		}
		return nil
	})
}

func TestTeacherGetsNoGradient(t *testing.T) {
	run(t, func(sc *aten.Scope) error {
		r := lcg(21)
		shape := []int64{1, 1, 8, 8}
		var s, te []*Tensor
		for i := 0; i < 2; i++ {
			s = append(s, leaf(t, sc, randMap(&r, 64, 2), shape))
			te = append(te, leaf(t, sc, randMap(&r, 64, 2), shape))
		}
		y := tensor(t, sc, randMask(&r, 64, 0.3), shape)
		obj, err := NewObjective(Config{DDLSchedule: ScheduleConstant})
		if err != nil {
			return err
		}
		l, bd, err := obj.Compute(output(s), output(te), y, 5, 10)
		if err != nil {
			return err
		}
		ddl, _ := bd.Get(TermDDL)
		psdl, _ := bd.Get(TermPSDL)
		require.Truef(t, ddl > 0 && psdl > 0, "breakdown %+v: distillation terms missing", bd)
		sc.Backward(sc.Adopt(l))
		if err := sc.Err(); err != nil {
			return err
		}
		for i := range te {
			for _, v := range grad(t, sc, te[i]) {
				require.Zerof(t, v, "teacher depth %d received a gradient", i)
			}
			require.NotNilf(t, grad(t, sc, s[i]), "student depth %d received no gradient", i)
		}
		return nil
	})
}

func TestInvalidArguments(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		ok := s.Zeros([]int64{2, 1, 8, 8}, gotch.Double, gotch.CPU)
		other := s.Zeros([]int64{2, 1, 8, 6}, gotch.Double, gotch.CPU)
		f32 := s.Zeros([]int64{2, 1, 8, 8}, gotch.Float, gotch.CPU)
		rank3 := s.Zeros([]int64{2, 8, 8}, gotch.Double, gotch.CPU)
		ints := s.Zeros([]int64{2, 1, 8, 8}, gotch.Int64, gotch.CPU)
		two := s.Zeros([]int64{2, 2, 8, 8}, gotch.Double, gotch.CPU)
		freed := s.Zeros([]int64{2, 1, 8, 8}, gotch.Double, gotch.CPU)
		s.Free(freed)
		require.NoError(t, s.Err())
		// A call that wrongly succeeds hands back a tensor: free it.
		loss := func(l *Tensor, err error) error { l.Free(); return err }
		compute := func(l *Tensor, _ Breakdown, err error) error { l.Free(); return err }
		errs := map[string]error{}
		errs["dice shape"] = loss(Dice(ok, other))
		errs["dice nil"] = loss(Dice(nil, ok))
		errs["dice freed"] = loss(Dice(freed, ok))
		errs["dice dtype"] = loss(Dice(ok, f32))
		errs["bce rank"] = loss(BCEWithLogits(rank3, rank3))
		errs["bce int"] = loss(BCEWithLogits(ints, ints))
		errs["bce channels"] = loss(BCEWithLogits(two, two))
		errs["psdl alpha"] = loss(PixelwiseSelfKD(ok, ok, ok, 1.5))
		errs["ddl depths"] = loss(DeepDistribution([]*Tensor{ok, ok}, []*Tensor{ok}, DDLOptions{}))
		errs["ddl empty"] = loss(DeepDistribution(nil, nil, DDLOptions{}))
		errs["ddl grid"] = loss(DeepDistribution([]*Tensor{ok}, []*Tensor{ok}, DDLOptions{Grid: 9}))
		errs["ddl tau"] = loss(DeepDistribution([]*Tensor{ok}, []*Tensor{ok}, DDLOptions{Tau: -1}))
		errs["ds weights"] = loss(DeepSupervision([]*Tensor{ok}, ok, []float64{1, 2}))
		for _, c := range []Config{{Preset: "nope"}, {AlphaT: 2}, {LambdaDDL: -1}, {DDLSchedule: "cosine"}, {DDL: DDLOptions{Grid: -1}}} {
			_, errs[fmt.Sprintf("config %+v", c)] = NewObjective(c)
		}
		obj, err := NewObjective(Config{})
		require.NoError(t, err)
		out := &models.Output{Main: ok, Hierarchy: []*Tensor{ok, ok}}
		errs["epoch"] = compute(obj.Compute(out, nil, ok, 11, 10))
		errs["total"] = compute(obj.Compute(out, nil, ok, 0, 0))
		errs["target"] = compute(obj.Compute(out, nil, other, 0, 10))
		errs["teacher depth"] = compute(obj.Compute(out, &models.Output{Main: ok, Hierarchy: []*Tensor{ok}}, ok, 1, 10))
		errs["nil student"] = compute(obj.Compute(nil, nil, ok, 0, 10))
		ds, err := NewObjective(Config{Preset: PresetDeepSupervision, DSWeights: []float64{1, 1}})
		require.NoError(t, err)
		errs["ds weights len"] = compute(ds.Compute(out, nil, ok, 0, 10))
		for name, err := range errs {
			if assert.Error(t, err, name) {
				assert.Truef(t, strings.HasPrefix(err.Error(), "losses: "), "%s: error %q lacks the package prefix", name, err)
			}
		}
		return nil
	})
}
