package losses

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/internal/aten"
)

// ddl.target pairs each student depth with another map: "final" with the
// final one at every depth, "finer" with the next finer one. Each sum is
// the single-depth DDLs of its pairs, computed one by one.
func TestDDLTargetsPairDepths(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		st, tt, _ := randHierarchies(t, s, 5)
		val := valueOf(t)
		one := func(i, j int) float64 {
			return val(DeepDistribution(st[i:i+1], tt[j:j+1], DDLOptions{}))
		}
		same := val(DeepDistribution(st, tt, DDLOptions{}))
		final := val(DeepDistribution(st, tt, DDLOptions{Target: DDLFinal}))
		finer := val(DeepDistribution(st, tt, DDLOptions{Target: DDLFiner}))
		assert.InDelta(t, one(0, 0)+one(1, 1)+one(2, 2), same, 1e-9)
		assert.InDelta(t, one(0, 2)+one(1, 2)+one(2, 2), final, 1e-9)
		assert.InDelta(t, one(0, 1)+one(1, 2)+one(2, 2), finer, 1e-9)
		assert.Greater(t, final-one(2, 2), 0.01)
		return nil
	})
}

// ddl.source "student": the hierarchy distils itself within one forward
// pass. The final map, its own target, gets no gradient from DDL; the
// side maps do. A teacher is still required by the schedule, but its maps
// are not read.
func TestDDLFromTheStudentItself(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		r := lcg(9)
		shape := []int64{1, 1, 8, 8}
		n := 8 * 8
		var st, tt []*Tensor
		for i := 0; i < 3; i++ {
			st = append(st, leaf(t, s, randMap(&r, n, 3), shape))
			tt = append(tt, tensor(t, s, randMap(&r, n, 3), shape))
		}
		y := tensor(t, s, randMask(&r, n, 0.2), shape)
		o, err := NewObjective(Config{Preset: PresetDDL, DDLSchedule: ScheduleConstant,
			DDL: DDLOptions{Source: DDLFromStudent, Target: DDLFinal}})
		require.NoError(t, err)
		_, bd, err := o.Compute(output(st), output(tt), y, 3, 10)
		require.NoError(t, err)
		got, _ := bd.Get(TermDDL)
		want := valueOf(t)(DeepDistribution(st, st, DDLOptions{Target: DDLFinal}))
		assert.InDelta(t, want, got, 1e-9, "the student's own maps are the targets")

		terms, err := o.WeightedTerms(output(st), output(tt), y, 3, 10)
		require.NoError(t, err)
		for _, term := range terms {
			if term.Name == TermDDL {
				s.Backward(term.Loss)
			}
			term.Loss.Free()
		}
		for i, g := range [][]float64{grad(t, s, st[0]), grad(t, s, st[1]), grad(t, s, st[2])} {
			sum := 0.0
			for _, v := range g {
				sum += v * v
			}
			if i == 2 {
				assert.Less(t, sum, 1e-20, "the final map is only a target (KL at P = Q has zero gradient)")
			} else {
				assert.Greater(t, sum, 0.0, "side map %d learns from the final one", i)
			}
		}

		_, err = NewObjective(Config{DDL: DDLOptions{Source: DDLFromStudent}})
		assert.EqualError(t, err, "losses: ddl.source student: needs ddl.target final or finer (the same depth of the same pass is the map itself)")
		_, err = NewObjective(Config{DDL: DDLOptions{Target: "deeper"}})
		assert.EqualError(t, err, `losses: ddl.target "deeper": want "same", "final" or "finer"`)
		return nil
	})
}

// ddl.sides_only leaves the final output out: the sum over the side
// depths only, and no DDL gradient reaches the final map.
func TestDDLSidesOnly(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		st, tt, _ := randHierarchies(t, s, 13)
		val := valueOf(t)
		all := val(DeepDistribution(st, tt, DDLOptions{}))
		sides := val(DeepDistribution(st, tt, DDLOptions{SidesOnly: true}))
		last := val(DeepDistribution(st[2:], tt[2:], DDLOptions{}))
		assert.Greater(t, last, 0.01)
		assert.InDelta(t, all-last, sides, 1e-9)
		sidesFinal := val(DeepDistribution(st, tt, DDLOptions{SidesOnly: true, Target: DDLFinal}))
		one := func(i int) float64 { return val(DeepDistribution(st[i:i+1], tt[2:3], DDLOptions{})) }
		assert.InDelta(t, one(0)+one(1), sidesFinal, 1e-9)
		_, err := DeepDistribution(st[:1], tt[:1], DDLOptions{SidesOnly: true})
		assert.EqualError(t, err, "losses: DDL with sides_only needs a side depth besides the final output")
		return nil
	})
}
