package losses

import (
	"fmt"
	"strings"
	"testing"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/models"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

func TestInvariants(t *testing.T) {
	run(t, func() error {
		r := lcg(5)
		shape := []int64{2, 1, 7, 5}
		var s, s2 []*ts.Tensor
		for i := 0; i < 3; i++ {
			v := randMap(&r, 70, 3)
			s = append(s, tensor(t, v, shape))
			s2 = append(s2, tensor(t, v, shape))
		}
		yv := randMask(&r, 70, 0.4)
		y := tensor(t, yv, shape)

		// DDL of a map with itself is 0, for every option set.
		for _, o := range []DDLOptions{{}, {Grid: 3, RawCounts: true}, {Grid: 2, ReverseKL: true}} {
			l, err := DeepDistribution(s, s2, o)
			if err != nil {
				return err
			}
			if v := value(t, l); v != 0 && !near(v, 0, 1e-12) {
				t.Errorf("DDL(x, x) with %+v = %g, want 0", o, v)
			}
		}
		// PSDL with alpha 0 (or no teacher) is BCE.
		b := value(t, must(BCEWithLogits(s[2], y)))
		for _, teacher := range []*ts.Tensor{s[0], nil} {
			p := value(t, must(PixelwiseSelfKD(s[2], teacher, y, 0)))
			if p != b {
				t.Errorf("PSDL alpha 0 = %.15g, BCE %.15g", p, b)
			}
		}
		// Dice of a perfect, confident prediction is ~0; of the inverse ~1.
		perfect := make([]float64, 70)
		inverse := make([]float64, 70)
		for i, v := range yv {
			perfect[i] = 40*v - 20
			inverse[i] = -perfect[i]
		}
		if d := value(t, must(Dice(tensor(t, perfect, shape), y))); d > 1e-6 {
			t.Errorf("Dice of a perfect prediction %g, want ~0", d)
		}
		if d := value(t, must(Dice(tensor(t, inverse, shape), y))); d < 0.9 {
			t.Errorf("Dice of the inverse prediction %g, want ~1", d)
		}
		// Epoch 0 without a teacher: DSKD = Dice + BCE.
		obj, err := NewObjective(Config{})
		if err != nil {
			return err
		}
		_, bd, err := obj.Compute(output(s), nil, y, 0, 10)
		if err != nil {
			return err
		}
		dice := value(t, must(Dice(s[2], y)))
		if !near(bd.Total, dice+b, 1e-12) || bd.DDL != 0 || bd.Alpha != 0 || bd.LambdaDDL != 0 {
			t.Errorf("epoch 0 breakdown %+v, want total %g", bd, dice+b)
		}
		// Ramp: alpha_t = 0.5 t/T, lambda_DDL(t) = t/T.
		_, bd, err = obj.Compute(output(s), output(s2), y, 4, 10)
		if err != nil {
			return err
		}
		if !near(bd.Alpha, 0.2, 1e-15) || !near(bd.LambdaDDL, 0.4, 1e-15) {
			t.Errorf("epoch 4/10: alpha %g, lambda %g; want 0.2, 0.4", bd.Alpha, bd.LambdaDDL)
		}
		return nil
	})
}

func must(x *ts.Tensor, err error) *ts.Tensor {
	if err != nil {
		panic(err)
	}
	return x
}

// TestGradientsFiniteDifferences compares autograd with central
// differences for every loss and the full objective, in float64.
func TestGradientsFiniteDifferences(t *testing.T) {
	run(t, func() error {
		r := lcg(9)
		shape := []int64{2, 1, 6, 5}
		const n = 60
		var sv, tv [][]float64
		for i := 0; i < 3; i++ {
			sv = append(sv, randMap(&r, n, 2.5))
			tv = append(tv, randMap(&r, n, 2.5))
		}
		y := tensor(t, randMask(&r, n, 0.4), shape)
		var teachers []*ts.Tensor
		for i := range tv {
			teachers = append(teachers, tensor(t, tv[i], shape))
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
		losses := map[string]func(s []*ts.Tensor) (*ts.Tensor, error){
			"dice": func(s []*ts.Tensor) (*ts.Tensor, error) { return Dice(s[2], y) },
			"bce":  func(s []*ts.Tensor) (*ts.Tensor, error) { return BCEWithLogits(s[2], y) },
			"psdl": func(s []*ts.Tensor) (*ts.Tensor, error) { return PixelwiseSelfKD(s[2], teachers[2], y, 0.35) },
			"ddl":  func(s []*ts.Tensor) (*ts.Tensor, error) { return DeepDistribution(s, teachers, DDLOptions{Grid: 3}) },
			"ddlrv": func(s []*ts.Tensor) (*ts.Tensor, error) {
				return DeepDistribution(s, teachers, DDLOptions{Grid: 2, ReverseKL: true})
			},
			"dskd": func(s []*ts.Tensor) (*ts.Tensor, error) {
				l, _, err := dskd.Compute(output(s), output(teachers), y, 6, 10)
				return l, err
			},
			"dskd-raw": func(s []*ts.Tensor) (*ts.Tensor, error) {
				l, _, err := raw.Compute(output(s), output(teachers), y, 2, 10)
				return l, err
			},
			"deep-supervision": func(s []*ts.Tensor) (*ts.Tensor, error) {
				l, _, err := ds.Compute(output(s), nil, y, 2, 10)
				return l, err
			},
		}
		probe := [][2]int{{0, 0}, {0, 17}, {1, 33}, {2, 5}, {2, 59}}
		for name, f := range losses {
			var leaves []*ts.Tensor
			for i := range sv {
				leaves = append(leaves, tensor(t, sv[i], shape).MustSetRequiresGrad(true, false))
			}
			l, err := f(leaves)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := l.Backward(); err != nil {
				return fmt.Errorf("%s backward: %w", name, err)
			}
			for _, pr := range probe {
				g := leaves[pr[0]].MustGrad(false)
				var analytic float64
				if g.MustDefined() {
					analytic = g.Float64Values()[pr[1]]
				}
				const h = 1e-6
				eval := func(delta float64) float64 {
					var in []*ts.Tensor
					for i := range sv {
						v := append([]float64(nil), sv[i]...)
						if i == pr[0] {
							v[pr[1]] += delta
						}
						in = append(in, tensor(t, v, shape))
					}
					var out float64
					if err := engine.NoGrad(func() error {
						l, err := f(in)
						if err != nil {
							return err
						}
						out = value(t, l)
						return nil
					}); err != nil {
						t.Fatal(err)
					}
					return out
				}
				numeric := (eval(h) - eval(-h)) / (2 * h)
				if !near(analytic, numeric, 1e-6) {
					t.Errorf("%s: d/d s[%d][%d]: autograd %.10g, finite difference %.10g", name, pr[0], pr[1], analytic, numeric)
				}
			}
		}
		return nil
	})
}

func TestTeacherGetsNoGradient(t *testing.T) {
	run(t, func() error {
		r := lcg(21)
		shape := []int64{1, 1, 8, 8}
		var s, te []*ts.Tensor
		for i := 0; i < 2; i++ {
			s = append(s, tensor(t, randMap(&r, 64, 2), shape).MustSetRequiresGrad(true, false))
			te = append(te, tensor(t, randMap(&r, 64, 2), shape).MustSetRequiresGrad(true, false))
		}
		y := tensor(t, randMask(&r, 64, 0.3), shape)
		obj, err := NewObjective(Config{DDLSchedule: ScheduleConstant})
		if err != nil {
			return err
		}
		l, bd, err := obj.Compute(output(s), output(te), y, 5, 10)
		if err != nil {
			return err
		}
		if bd.DDL <= 0 || bd.PSDL <= 0 {
			t.Fatalf("breakdown %+v: distillation terms missing", bd)
		}
		if err := l.Backward(); err != nil {
			return err
		}
		for i := range te {
			if g := te[i].MustGrad(false); g.MustDefined() {
				for _, v := range g.Float64Values() {
					if v != 0 {
						t.Fatalf("teacher depth %d received a gradient", i)
					}
				}
			}
			if g := s[i].MustGrad(false); !g.MustDefined() {
				t.Fatalf("student depth %d received no gradient", i)
			}
		}
		return nil
	})
}

func TestInvalidArguments(t *testing.T) {
	run(t, func() error {
		ok := ts.MustZeros([]int64{2, 1, 8, 8}, gotch.Double, gotch.CPU)
		other := ts.MustZeros([]int64{2, 1, 8, 6}, gotch.Double, gotch.CPU)
		f32 := ts.MustZeros([]int64{2, 1, 8, 8}, gotch.Float, gotch.CPU)
		rank3 := ts.MustZeros([]int64{2, 8, 8}, gotch.Double, gotch.CPU)
		ints := ts.MustZeros([]int64{2, 1, 8, 8}, gotch.Int64, gotch.CPU)
		two := ts.MustZeros([]int64{2, 2, 8, 8}, gotch.Double, gotch.CPU)
		errs := map[string]error{}
		_, errs["dice shape"] = Dice(ok, other)
		_, errs["dice nil"] = Dice(nil, ok)
		_, errs["dice dtype"] = Dice(ok, f32)
		_, errs["bce rank"] = BCEWithLogits(rank3, rank3)
		_, errs["bce int"] = BCEWithLogits(ints, ints)
		_, errs["bce channels"] = BCEWithLogits(two, two)
		_, errs["psdl alpha"] = PixelwiseSelfKD(ok, ok, ok, 1.5)
		_, errs["ddl depths"] = DeepDistribution([]*ts.Tensor{ok, ok}, []*ts.Tensor{ok}, DDLOptions{})
		_, errs["ddl empty"] = DeepDistribution(nil, nil, DDLOptions{})
		_, errs["ddl grid"] = DeepDistribution([]*ts.Tensor{ok}, []*ts.Tensor{ok}, DDLOptions{Grid: 9})
		_, errs["ddl tau"] = DeepDistribution([]*ts.Tensor{ok}, []*ts.Tensor{ok}, DDLOptions{Tau: -1})
		_, errs["ds weights"] = DeepSupervision([]*ts.Tensor{ok}, ok, []float64{1, 2})
		for _, c := range []Config{{Preset: "nope"}, {AlphaT: 2}, {LambdaDDL: -1}, {DDLSchedule: "cosine"}, {DDL: DDLOptions{Grid: -1}}} {
			_, errs[fmt.Sprintf("config %+v", c)] = NewObjective(c)
		}
		obj, _ := NewObjective(Config{})
		out := &models.Output{Main: ok, Hierarchy: []*ts.Tensor{ok, ok}}
		_, _, errs["epoch"] = obj.Compute(out, nil, ok, 11, 10)
		_, _, errs["total"] = obj.Compute(out, nil, ok, 0, 0)
		_, _, errs["target"] = obj.Compute(out, nil, other, 0, 10)
		_, _, errs["teacher depth"] = obj.Compute(out, &models.Output{Main: ok, Hierarchy: []*ts.Tensor{ok}}, ok, 1, 10)
		_, _, errs["nil student"] = obj.Compute(nil, nil, ok, 0, 10)
		ds, _ := NewObjective(Config{Preset: PresetDeepSupervision, DSWeights: []float64{1, 1}})
		_, _, errs["ds weights len"] = ds.Compute(out, nil, ok, 0, 10)
		for name, err := range errs {
			if err == nil {
				t.Errorf("%s: no error", name)
			} else if !strings.HasPrefix(err.Error(), "losses: ") {
				t.Errorf("%s: error %q lacks the package prefix", name, err)
			}
		}
		return nil
	})
}
