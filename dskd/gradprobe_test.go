package dskd

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/losses"
)

// The probe measures on the step's own graph and leaves no gradient
// behind: a run with it ends with the same weights, bit for bit. Its rows
// hold together: the total's cosine with itself is 1, the Dice term's with
// the Dice term is 1, and the groups split the network's squared norm.
func TestGradNormsLeaveTrainingUnchanged(t *testing.T) {
	split := syntheticSplit(t, 12, 32)
	train := func(every int) Config {
		cfg := tinyConfig(t, 3)
		cfg.Loss.DeepSupervision = true
		cfg.GradNorms = every
		_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
		require.NoError(t, err)
		return cfg
	}
	plain, probed := train(0), train(2)
	a, err := loadWeights(filepath.Join(plain.OutDir, "checkpoints", "epoch-0002", "model.pt"))
	require.NoError(t, err)
	b, err := loadWeights(filepath.Join(probed.OutDir, "checkpoints", "epoch-0002", "model.pt"))
	require.NoError(t, err)
	require.Equal(t, a, b, "the probe changed the training")
	assert.NoFileExists(t, filepath.Join(plain.OutDir, GradNormsFile))

	rows, err := ReadGradNorms(filepath.Join(probed.OutDir, GradNormsFile))
	require.NoError(t, err)
	type key struct {
		epoch, step int
		term, group string
	}
	at := map[key]GradNorm{}
	terms := map[string]bool{}
	steps := map[key]bool{}
	for _, r := range rows {
		at[key{r.Epoch, r.Step, r.Term, r.Group}] = r
		terms[r.Term] = true
		steps[key{r.Epoch, r.Step, "", ""}] = true
	}
	assert.Len(t, steps, 3, "global steps 0, 2 and 4 of 6 (2 an epoch)")
	assert.Equal(t, map[string]bool{losses.TermDice: true, losses.TermPSDL: true, losses.TermDDL: true,
		losses.TermDeepSup: true, TermTotal: true}, terms)
	groups := []string{GroupEncoder, GroupDecoder, "side1", GroupHead}
	first := key{0, 0, TermTotal, GroupAll}
	require.Contains(t, at, first)
	_, ddlAtStart := at[key{0, 0, losses.TermDDL, GroupAll}]
	assert.False(t, ddlAtStart, "no DDL before the teacher exists")
	for k, r := range at {
		if k.group != GroupAll {
			continue
		}
		assert.Greater(t, r.Norm, 0.0, "%+v", k)
		var sq float64
		for _, g := range groups {
			part, ok := at[key{k.epoch, k.step, k.term, g}]
			require.True(t, ok, "%+v %s", k, g)
			sq += part.Norm * part.Norm
		}
		assert.InDelta(t, r.Norm, math.Sqrt(sq), 1e-4*r.Norm, "%+v: the groups split the network", k)
		switch k.term {
		case TermTotal:
			assert.InDelta(t, 1, r.CosTotal, 1e-6)
		case losses.TermDice:
			assert.InDelta(t, 1, r.CosDice, 1e-6)
		}
		side := at[key{k.epoch, k.step, k.term, "side1"}]
		if k.term == losses.TermDice || k.term == losses.TermPSDL {
			assert.Zero(t, side.Norm, "%+v: the main output's terms do not reach a side head", k)
			assert.True(t, math.IsNaN(side.CosDice))
		} else {
			assert.Greater(t, side.Norm, 0.0, "%+v", k)
		}
	}
}

// A resumed run keeps the rows measured before its position and measures
// the rest again.
func TestGradNormsResumeKeepsEarlierRows(t *testing.T) {
	dir := t.TempDir()
	p := &gradProbe{every: 1}
	for e := 0; e < 3; e++ {
		for s := 0; s < 4; s++ {
			p.rows = append(p.rows, GradNorm{Epoch: e, Step: s, Term: losses.TermDice, Weight: 1, Group: GroupAll,
				Norm: float64(e*10 + s), CosDice: 1, CosTotal: math.NaN()})
		}
	}
	require.NoError(t, p.write(dir))
	q := &gradProbe{every: 1}
	require.NoError(t, q.resume(dir, 1, 2))
	require.Len(t, q.rows, 6)
	last := q.rows[5]
	assert.Equal(t, 1, last.Epoch)
	assert.Equal(t, 1, last.Step)
	assert.Equal(t, 11.0, last.Norm)
	assert.True(t, math.IsNaN(last.CosTotal))
	require.NoError(t, (&gradProbe{every: 1}).resume(t.TempDir(), 1, 0), "no table yet")

	cfg := tinyConfig(t, 1)
	cfg.GradNorms = -1
	_, err := cfg.WithDefaults()
	assert.EqualError(t, err, "dskd: config: grad_norms -1: must be >= 0 (0 = off)")
	cfg.GradNorms, cfg.Precision = 5, PrecisionFP16
	_, err = cfg.WithDefaults()
	assert.ErrorContains(t, err, "grad_norms 5: not with precision fp16")
}

// The summary averages by hand-checkable spans: 4 epochs in 2 spans.
func TestSummariseGradNormsBySpan(t *testing.T) {
	nan := math.NaN()
	rows := []GradNorm{
		{Epoch: 0, Step: 0, Term: TermTotal, Weight: 1, Group: GroupAll, Norm: 3, CosDice: 0.5, CosTotal: 1},
		{Epoch: 0, Step: 0, Term: losses.TermDice, Weight: 1, Group: GroupAll, Norm: 2, CosDice: 1, CosTotal: 0.5},
		{Epoch: 0, Step: 0, Term: losses.TermDice, Weight: 1, Group: GroupHead, Norm: 9, CosDice: 1, CosTotal: 0.5},
		{Epoch: 1, Step: 0, Term: losses.TermDice, Weight: 1, Group: GroupAll, Norm: 4, CosDice: 1, CosTotal: 0.7},
		{Epoch: 2, Step: 0, Term: losses.TermDDL, Weight: 0.2, Group: GroupAll, Norm: 1, CosDice: -0.4, CosTotal: 0.1},
		{Epoch: 3, Step: 0, Term: losses.TermDDL, Weight: 0.4, Group: GroupAll, Norm: 3, CosDice: 0.2, CosTotal: nan},
	}
	got := SummariseGradNorms(rows, GroupAll, 2)
	require.Len(t, got, 3)
	assert.Equal(t, GradSummary{From: 0, To: 1, Term: losses.TermDice, Group: GroupAll, Steps: 2, Weight: 1, Norm: 3,
		CosDice: 1, CosTotal: 0.6, AgainstDice: 0}, roundSummary(got[0]))
	assert.Equal(t, TermTotal, got[1].Term, "the total after the terms")
	assert.Equal(t, 0, got[1].From)
	assert.Equal(t, GradSummary{From: 2, To: 3, Term: losses.TermDDL, Group: GroupAll, Steps: 2, Weight: 0.3, Norm: 2,
		CosDice: -0.1, CosTotal: 0.1, AgainstDice: 0.5}, roundSummary(got[2]))
	assert.Empty(t, SummariseGradNorms(rows, "side9", 2))
	assert.Len(t, SummariseGradNorms(rows, GroupAll, 10), 5, "at most one span per epoch: 4 spans, dice and total in the first")
}

func roundSummary(s GradSummary) GradSummary {
	r := func(v float64) float64 { return math.Round(v*1e9) / 1e9 }
	s.Weight, s.Norm, s.CosDice, s.CosTotal, s.AgainstDice = r(s.Weight), r(s.Norm), r(s.CosDice), r(s.CosTotal), r(s.AgainstDice)
	return s
}
