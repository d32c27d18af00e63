package losses

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/internal/aten"
)

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// bce is -[p·log σ(x) + (1-p)·log(1-σ(x))] for one pixel.
func bce(x, p float64) float64 {
	return -(p*math.Log(sigmoid(x)) + (1-p)*math.Log(1-sigmoid(x)))
}

// handStudent and handTeacher are the logits of one 1×1×4×4 depth for
// the by-hand tests.
var (
	handStudent = []float64{0.5, -1, 2, 0, 1, 1, -2, 0.3, 0, 0, 1.5, -0.5, 2, -2, 0.1, 0.2}
	handTeacher = []float64{3, -3, 0.1, 0, 2, -0.2, -4, 1, 0, 0.5, 4, -1, 0, -3, 0.2, 2}
)

// On one 1×1×4×4 depth: the PSDL part against the (sharpened) teacher
// probabilities, with and without the confidence mask, by hand; the DDL
// part equals DeepDistribution; the ramp scales the whole.
func TestUnlabelledByHand(t *testing.T) {
	st, te := handStudent, handTeacher
	shape := []int64{1, 1, 4, 4}
	obj, err := NewObjective(Config{})
	require.NoError(t, err)
	val := valueOf(t)
	run(t, func(s *aten.Scope) error {
		stu, tea := tensor(t, s, st, shape), tensor(t, s, te, shape)
		so, to := output([]*Tensor{stu}), output([]*Tensor{tea})
		ddlWant := val(DeepDistribution([]*Tensor{stu}, []*Tensor{tea}, DDLOptions{}))

		for _, tc := range []struct {
			name string
			u    Unlabelled
		}{
			{"plain", Unlabelled{RampEpochs: -1}},
			{"sharpened", Unlabelled{RampEpochs: -1, Sharpen: 0.5}},
			{"confident", Unlabelled{RampEpochs: -1, Confidence: 0.8}},
		} {
			var sum, n float64
			for i := range st {
				T := 1.0
				if tc.u.Sharpen > 0 {
					T = tc.u.Sharpen
				}
				p := sigmoid(te[i] / T)
				if tc.u.Confidence > 0 && math.Max(p, 1-p) < tc.u.Confidence {
					continue
				}
				sum += bce(st[i], p)
				n++
			}
			kdWant := sum / n
			loss, bd, err := obj.ComputeUnlabelled(so, to, tc.u, 3)
			require.NoError(t, err, tc.name)
			assert.InDelta(t, kdWant, bd.Terms[0].Value, 1e-9, tc.name)
			assert.InDelta(t, ddlWant, bd.Terms[1].Value, 1e-12, tc.name)
			assert.InDelta(t, kdWant+ddlWant, val(loss, nil), 1e-9, tc.name)
		}
		_, bd, err := obj.ComputeUnlabelled(so, to, Unlabelled{Weight: 2, RampEpochs: 4}, 1)
		require.NoError(t, err)
		w := 2 * math.Exp(-5*0.75*0.75)
		assert.InDelta(t, w*(bd.Terms[0].Value+bd.Terms[1].Value), bd.Total, 1e-9, "λ_u(1) of a 4-epoch ramp")

		both, bd, err := obj.ComputeUnlabelled(so, to, Unlabelled{RampEpochs: -1, Terms: UnlabelledBoth}, 3)
		require.NoError(t, err)
		kd, dl := bd.Terms[0].Value, bd.Terms[1].Value
		assert.InDelta(t, kd+dl, val(both, nil), 1e-9, "psdl+ddl is the default's sum")
		only, bd, err := obj.ComputeUnlabelled(so, to, Unlabelled{RampEpochs: -1, Terms: UnlabelledPSDLOnly}, 3)
		require.NoError(t, err)
		assert.InDelta(t, kd, val(only, nil), 1e-9, "psdl alone")
		assert.Equal(t, Term{Name: TermUnlabelledDDL}, bd.Terms[1], "DDL left out: logged as 0, weight 0")
		only, bd, err = obj.ComputeUnlabelled(so, to, Unlabelled{RampEpochs: -1, Terms: UnlabelledDDLOnly}, 3)
		require.NoError(t, err)
		assert.InDelta(t, ddlWant, val(only, nil), 1e-12, "ddl alone")
		assert.Equal(t, Term{Name: TermUnlabelledPSDL}, bd.Terms[0], "PSDL left out: logged as 0, weight 0")
		return nil
	})
}

// The terms are label-free: a student equal to its (confident) teacher
// has zero DDL, and PSDL at its minimum, the teacher's own entropy; the
// gradient reaches the student only.
func TestUnlabelledStudentEqualsTeacher(t *testing.T) {
	data := []float64{5, -5, 6, -6, 5, -5, 6, -6, 5, -5, 6, -6, 5, -5, 6, -6}
	shape := []int64{1, 1, 4, 4}
	obj, err := NewObjective(Config{})
	require.NoError(t, err)
	run(t, func(s *aten.Scope) error {
		stu, tea := leaf(t, s, data, shape), leaf(t, s, data, shape)
		loss, bd, err := obj.ComputeUnlabelled(output([]*Tensor{stu}), output([]*Tensor{tea}), Unlabelled{RampEpochs: -1}, 0)
		require.NoError(t, err)
		defer loss.Free()
		assert.InDelta(t, 0, bd.Terms[1].Value, 1e-12, "DDL of identical maps")
		var entropy float64
		for _, x := range data {
			entropy += bce(x, sigmoid(x))
		}
		assert.InDelta(t, entropy/16, bd.Terms[0].Value, 1e-9)
		s.Backward(loss)
		require.NoError(t, s.Err())
		assert.Nil(t, grad(t, s, tea), "no gradient reaches the teacher")
		g := grad(t, s, stu)
		require.Len(t, g, 16)
		for _, v := range g {
			assert.InDelta(t, 0, v, 1e-12, "at its minimum the student's gradient vanishes")
		}
		return nil
	})
}

func TestUnlabelledOptionsNameThemselves(t *testing.T) {
	for _, tc := range []struct {
		u    Unlabelled
		want string
	}{
		{Unlabelled{Confidence: 0.3}, "losses: unlabelled: confidence 0.3: must lie in [0.5, 1)"},
		{Unlabelled{Sharpen: 2}, "losses: unlabelled: sharpen 2: must lie in (0, 1]"},
		{Unlabelled{Weight: -1}, "losses: unlabelled: weight -1: must be > 0"},
		{Unlabelled{RampEpochs: -3}, "losses: unlabelled: ramp_epochs -3: must be >= 1"},
		{Unlabelled{Terms: "kd"}, "losses: unlabelled: terms"},
		{Unlabelled{Pixel: "mse"}, "losses: unlabelled: pixel"},
	} {
		_, err := tc.u.WithDefaults()
		assert.ErrorContains(t, err, tc.want)
	}
	u, err := Unlabelled{}.WithDefaults()
	require.NoError(t, err)
	assert.Equal(t, Unlabelled{Weight: 1, RampEpochs: 10}, u)
	assert.InDelta(t, math.Exp(-5), u.WeightAt(0), 1e-15)
	assert.Equal(t, 1.0, u.WeightAt(10))
}

// pixel "dice": the soft Dice of the student's probabilities against p̂,
// over the confident pixels, by hand; logged as u_dice.
func TestUnlabelledDiceByHand(t *testing.T) {
	st, te := handStudent, handTeacher
	shape := []int64{1, 1, 4, 4}
	obj, err := NewObjective(Config{})
	require.NoError(t, err)
	val := valueOf(t)
	run(t, func(s *aten.Scope) error {
		so, to := output([]*Tensor{tensor(t, s, st, shape)}), output([]*Tensor{tensor(t, s, te, shape)})
		for _, tc := range []struct {
			name string
			u    Unlabelled
		}{
			{"plain", Unlabelled{RampEpochs: -1, Pixel: UnlabelledDice, Terms: UnlabelledPSDLOnly}},
			{"sharpened and confident", Unlabelled{RampEpochs: -1, Pixel: UnlabelledDice, Terms: UnlabelledPSDLOnly, Sharpen: 0.5, Confidence: 0.8}},
		} {
			var inter, sumS, sumT float64
			for i := range st {
				T := 1.0
				if tc.u.Sharpen > 0 {
					T = tc.u.Sharpen
				}
				p := sigmoid(te[i] / T)
				if tc.u.Confidence > 0 && math.Max(p, 1-p) < tc.u.Confidence {
					continue
				}
				inter += sigmoid(st[i]) * p
				sumS += sigmoid(st[i])
				sumT += p
			}
			want := 1 - (2*inter+DiceSmooth)/(sumS+sumT+DiceSmooth)
			loss, bd, err := obj.ComputeUnlabelled(so, to, tc.u, 3)
			require.NoError(t, err, tc.name)
			assert.Equal(t, TermUnlabelledDice, bd.Terms[0].Name, tc.name)
			assert.InDelta(t, want, bd.Terms[0].Value, 1e-9, tc.name)
			assert.InDelta(t, want, val(loss, nil), 1e-9, tc.name)
		}
		return nil
	})
}

// Every term and pixel setting breaks down into names the trainer logs:
// those of UnlabelledTermNames, pixel term first.
func TestUnlabelledTermNamesCoverEverySetting(t *testing.T) {
	obj, err := NewObjective(Config{})
	require.NoError(t, err)
	shape := []int64{1, 1, 4, 4}
	names := UnlabelledTermNames()
	run(t, func(s *aten.Scope) error {
		so := output([]*Tensor{tensor(t, s, handStudent, shape)})
		to := output([]*Tensor{tensor(t, s, handTeacher, shape)})
		for _, terms := range []UnlabelledTerms{"", UnlabelledBoth, UnlabelledPSDLOnly, UnlabelledDDLOnly} {
			for _, pixel := range []UnlabelledPixel{"", UnlabelledBCE, UnlabelledDice} {
				loss, bd, err := obj.ComputeUnlabelled(so, to, Unlabelled{RampEpochs: -1, Terms: terms, Pixel: pixel}, 0)
				require.NoError(t, err, "%s/%s", terms, pixel)
				loss.Free()
				require.Len(t, bd.Terms, 2, "%s/%s", terms, pixel)
				wantPixel := TermUnlabelledPSDL
				if pixel == UnlabelledDice {
					wantPixel = TermUnlabelledDice
				}
				assert.Equal(t, wantPixel, bd.Terms[0].Name, "%s/%s", terms, pixel)
				assert.Equal(t, TermUnlabelledDDL, bd.Terms[1].Name, "%s/%s", terms, pixel)
				for _, term := range bd.Terms {
					assert.Contains(t, names, term.Name)
				}
			}
		}
		return nil
	})
}
