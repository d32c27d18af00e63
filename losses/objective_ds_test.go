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
		r := lcg(7)
		shape := []int64{2, 1, 8, 8}
		n := 2 * 8 * 8
		var st, tt []*Tensor
		for i := 0; i < 3; i++ {
			st = append(st, tensor(t, s, randMap(&r, n, 3), shape))
			tt = append(tt, tensor(t, s, randMap(&r, n, 3), shape))
		}
		y := tensor(t, s, randMask(&r, n, 0.2), shape)
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
