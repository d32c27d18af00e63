package losses

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/internal/aten"
)

// DeepSupervision adds λ_DS·DeepSupervision(side outputs) to the DSKD
// objective: the total is the plain DSKD total plus that term, evaluated
// on its own; the deep-supervision preset is unchanged by it.
func TestDeepSupervisionAddsToAnyPreset(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		st, tt, y := randHierarchies(t, s, 7)
		val := valueOf(t)

		plain, err := NewObjective(Config{})
		require.NoError(t, err)
		withDS, err := NewObjective(Config{DeepSupervision: true, LambdaDS: 0.4, DSWeights: []float64{0.25, 0.75}})
		require.NoError(t, err)
		assert.Equal(t, []string{TermDice, TermPSDL, TermDDL}, plain.Terms())
		assert.Equal(t, []string{TermDice, TermPSDL, TermDDL, TermDeepSup}, withDS.Terms())

		compute := func(o *Objective) (*Tensor, error) {
			l, _, err := o.Compute(output(st), output(tt), y, 4, 10)
			return l, err
		}
		base, total := val(compute(plain)), val(compute(withDS))
		ds := val(DeepSupervision(st[:2], y, []float64{0.25, 0.75}))
		assert.Greater(t, ds, 0.1)
		assert.InDelta(t, base+0.4*ds, total, 1e-9)

		preset, err := NewObjective(Config{Preset: PresetDeepSupervision, DeepSupervision: true})
		require.NoError(t, err)
		assert.Equal(t, []string{TermDice, TermBCE, TermDeepSup}, preset.Terms(), "the term is not added twice")
		return nil
	})
}

// WeightedTerms hands out the terms that enter the loss, each times its
// weight: they sum to Compute's loss, and a term of weight 0 (DDL at
// t = 0 of the ramp) or without a teacher is left out.
func TestWeightedTermsSumToTheLoss(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		st, tt, y := randHierarchies(t, s, 11)
		val := valueOf(t)
		o, err := NewObjective(Config{DeepSupervision: true, LambdaDS: 0.4})
		require.NoError(t, err)

		loss, bd, err := o.Compute(output(st), output(tt), y, 4, 10)
		require.NoError(t, err)
		want := val(loss, nil)
		terms, err := o.WeightedTerms(output(st), output(tt), y, 4, 10)
		require.NoError(t, err)
		var names []string
		sum := 0.0
		for _, term := range terms {
			names = append(names, term.Name)
			v := val(term.Loss, nil)
			bv, _ := bd.Get(term.Name)
			assert.InDelta(t, term.Weight*bv, v, 1e-6, term.Name)
			sum += v
		}
		assert.Equal(t, []string{TermDice, TermPSDL, TermDDL, TermDeepSup}, names)
		assert.InDelta(t, want, sum, 1e-6)
		assert.InDelta(t, 0.4, terms[3].Weight, 0)

		atStart, err := o.WeightedTerms(output(st), output(tt), y, 0, 10)
		require.NoError(t, err)
		noTeacher, err := o.WeightedTerms(output(st), nil, y, 4, 10)
		require.NoError(t, err)
		for _, ts := range [][]WeightedTerm{atStart, noTeacher} {
			names = names[:0]
			for _, term := range ts {
				names = append(names, term.Name)
			}
			assert.Equal(t, []string{TermDice, TermPSDL, TermDeepSup}, names, "no DDL at weight 0 or without a teacher")
		}
		return nil
	})
}
