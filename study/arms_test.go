package study

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/losses"
)

// A named arm is a preset with settings of its own, beside plain presets:
// its runs get its settings over the one-valued overrides, the others do
// not, and multi-valued overrides multiply it like a preset.
func TestNamedArmsBesidePresets(t *testing.T) {
	lead, err := ParseArm("lead=dskd; teacher_bn=batch; loss.deep_supervision=true")
	require.NoError(t, err)
	assert.Equal(t, "lead", lead.Name)
	assert.Equal(t, "dskd", lead.Preset)
	require.Len(t, lead.Sets, 2)
	fixed, err := ParseOverride("epochs=7")
	require.NoError(t, err)
	spec := Spec{Layout: LayoutDCA1, Data: "d", Folds: 5, FoldIDs: []int{1}, Seeds: []int64{3},
		Presets: []string{"unet", "deep-supervision"}, Arms: []Arm{lead}, Sets: []Override{fixed}, Baseline: "deep-supervision"}
	spec, err = spec.WithDefaults()
	require.NoError(t, err)
	runs, err := spec.grid("/s", fakePool(20), 1)
	require.NoError(t, err)
	require.Len(t, runs, 3)
	byArm := map[string]Job{}
	for _, r := range runs {
		byArm[r.Arm] = r
		assert.Equal(t, 7, r.Config.Epochs, "%s: one-valued overrides reach every arm", r.Arm)
	}
	l := byArm["lead"]
	assert.Equal(t, losses.PresetDSKD, l.Config.Loss.Preset)
	assert.Equal(t, dskd.TeacherBNBatch, l.Config.TeacherBN)
	assert.True(t, l.Config.Loss.DeepSupervision)
	assert.Equal(t, "runs/lead/fold-1_seed-3", l.Dir)
	u := byArm["unet"]
	assert.Equal(t, dskd.TeacherBNEval, u.Config.TeacherBN, "the arm's settings stay in the arm")
	assert.False(t, u.Config.Loss.DeepSupervision)
	assert.Equal(t, u.split, l.split, "same fold and seed, same split")

	b, err := baselines(spec, spec.arms())
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"unet": "deep-supervision", "lead": "deep-supervision"}, b)

	// Multi-valued overrides multiply named arms too, and a named arm can
	// be the baseline by its name.
	multi, err := ParseOverride("lr=0.001,0.002")
	require.NoError(t, err)
	spec.Sets = append(spec.Sets, multi)
	spec.Baseline = "lead"
	b, err = baselines(spec, spec.arms())
	require.NoError(t, err)
	assert.Equal(t, "lead+lr=0.002", b["unet+lr=0.002"])
	assert.Equal(t, "lead+lr=0.001", b["deep-supervision+lr=0.001"])
	assert.NotContains(t, b, "lead+lr=0.001")

	// Only arms: no default preset is added.
	only := Spec{Layout: LayoutDCA1, Data: "d", Arms: []Arm{lead}}
	only, err = only.WithDefaults()
	require.NoError(t, err)
	assert.Empty(t, only.Presets)
	assert.Len(t, only.arms(), 1)

	for s, want := range map[string]string{
		"lead":                   `want NAME=PRESET;PATH=VALUE`,
		"lead=magic":             `"magic": want`,
		"a+b=dskd":               "without '+'",
		"lead=dskd;lr=0.1,0.2":   "lr has 2 values: an arm's setting takes one",
		"lead=dskd;lr=1;lr=2":    "lr given twice",
		"lead=dskd;seed=3":       "set by the study",
		"lead=dskd;model.bsae=3": "bsae",
	} {
		_, err := ParseArm(s)
		assert.ErrorContains(t, err, want, s)
	}
	dup := spec
	dup.Arms = []Arm{{Name: "unet", Preset: "dskd"}}
	_, err = dup.WithDefaults()
	assert.ErrorContains(t, err, `arm "unet" given twice`)
}
