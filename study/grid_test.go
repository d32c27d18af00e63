package study

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/angioseg/dskd/dskd"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/losses"
)

func TestParseOverride(t *testing.T) {
	o, err := ParseOverride("model.base=16,32")
	require.NoError(t, err)
	assert.Equal(t, "model.base", o.Path)
	assert.Equal(t, []json.RawMessage{json.RawMessage("16"), json.RawMessage("32")}, o.Values)

	o, err = ParseOverride("schedule.name=cosine, step")
	require.NoError(t, err)
	assert.Equal(t, []json.RawMessage{json.RawMessage(`"cosine"`), json.RawMessage(`"step"`)}, o.Values, "bare words are strings")

	assert.Equal(t, []string{"[1,2]", `{"a":1,"b":[3]}`, `"p,q"`}, splitTopLevel(`[1,2],{"a":1,"b":[3]},"p,q"`))
	o, err = ParseOverride(`loss.ds_weights=[1,2],[0.5,0.5]`)
	require.NoError(t, err)
	assert.Equal(t, []string{"[1,2]", "[0.5,0.5]"}, []string{string(o.Values[0]), string(o.Values[1])})
	o, err = ParseOverride(`augment={"flip_h":true,"rot90":true},{"flip_v":true}`)
	require.NoError(t, err)
	assert.Equal(t, []string{`{"flip_h":true,"rot90":true}`, `{"flip_v":true}`}, []string{string(o.Values[0]), string(o.Values[1])})

	for _, bad := range []string{"model.base", "=3", "lr=", "lr=1,,2", "lr=1,1", "seed=1,2", "preset=unet", "threads=2"} {
		_, err := ParseOverride(bad)
		assert.Error(t, err, bad)
	}
	_, err = ParseOverride("seed=1,2")
	assert.ErrorContains(t, err, "use seeds")

	// A path that names no option, or a value of the wrong type, is an
	// error naming it as soon as the override is read.
	_, err = ParseOverride("modle.base=16,32")
	assert.EqualError(t, err, `study: override modle.base=16: unknown field "modle" (did you mean "model"?)`)
	_, err = ParseOverride("loss.ddl.tua=2")
	assert.EqualError(t, err, `study: override loss.ddl.tua=2: unknown field "loss.ddl.tua" (did you mean "tau"?)`)
	_, err = ParseOverride("epochs=10,many")
	assert.EqualError(t, err, `study: override epochs="many": epochs: want an integer, got a JSON string`)
	_, err = ParseOverride("no_cudnn_benchmark=true")
	assert.NoError(t, err, "the JSON keys of earlier versions stay valid paths")
}

func TestApplySettings(t *testing.T) {
	set := func(path, v string) setting { return setting{path, json.RawMessage(v)} }
	c, err := applySettings(dskd.Config{Epochs: 7}, []setting{set("model.base", "16"), set("schedule.name", `"cosine"`), set("lr", "0.002"), set("seed", "12345678901234567")})
	require.NoError(t, err)
	assert.Equal(t, 7, c.Epochs, "untouched fields keep their value")
	assert.Equal(t, 16, c.Model.Base)
	assert.Equal(t, dskd.ScheduleCosine, c.Schedule.Name)
	assert.Equal(t, 0.002, c.LR)
	assert.Equal(t, int64(12345678901234567), c.Seed, "integers keep every digit")

	// A partial augment override starts from the default augmentation of
	// the run's crop size, not from "none".
	c, err = applySettings(dskd.Config{}, []setting{set("augment.rot90", "false"), set("crop_size", "128")})
	require.NoError(t, err)
	require.NotNil(t, c.Augment)
	assert.False(t, c.Augment.Rot90)
	assert.True(t, c.Augment.FlipH, "the default flips stay")
	assert.Equal(t, 128, c.Augment.CropSize)

	_, err = applySettings(dskd.Config{}, []setting{set("modle.base", "16")})
	assert.ErrorContains(t, err, `unknown field "modle"`)
	_, err = applySettings(dskd.Config{}, []setting{set("model.bsae", "16")})
	assert.ErrorContains(t, err, `unknown field "model.bsae" (did you mean "base"?)`)
	_, err = applySettings(dskd.Config{}, []setting{set("epochs", `"many"`)})
	assert.ErrorContains(t, err, "epochs")

	// crop_size is the training crop also when the base config's augment
	// holds one (it used to be ignored then).
	base := dskd.Config{Augment: &data.AugmentConfig{FlipH: true, CropSize: 96}}
	c, err = applySettings(base, []setting{set("crop_size", "64")})
	require.NoError(t, err)
	c, err = c.WithDefaults()
	require.NoError(t, err)
	assert.Equal(t, 64, c.CropSize)
	assert.Equal(t, data.AugmentConfig{FlipH: true, CropSize: 64}, *c.Augment)
	assert.Equal(t, 96, base.Augment.CropSize, "the base config is not changed")
	_, err = applySettings(dskd.Config{LR: 0.1}, []setting{set("lr.x", "1")})
	assert.ErrorContains(t, err, "not an object")
}

func fakePool(n int) []data.Sample {
	pool := make([]data.Sample, n)
	for i := range pool {
		pool[i] = data.Sample{Name: fmt.Sprint(i + 1), ImagePath: fmt.Sprint(i+1, ".pgm"), MaskPath: fmt.Sprint(i+1, "_gt.pgm")}
	}
	return pool
}

func TestGridArmsFoldsAndHashes(t *testing.T) {
	spec := Spec{Layout: LayoutDCA1, Data: "d", Folds: 5, FoldIDs: []int{0, 3}, Seeds: []int64{1, 2},
		Presets: []string{"unet", "dskd"}, Config: dskd.Config{Epochs: 3}}
	for _, s := range []string{"model.base=16,32", "lr=0.002"} {
		o, err := ParseOverride(s)
		require.NoError(t, err)
		spec.Sets = append(spec.Sets, o)
	}
	spec, err := spec.WithDefaults()
	require.NoError(t, err)
	assert.Equal(t, "unet", spec.Baseline, "unet is the default baseline")
	runs, err := spec.grid("/s", fakePool(20), 3)
	require.NoError(t, err)
	require.Len(t, runs, 2*2*4)
	var arms []string
	for _, r := range runs[:4] {
		arms = append(arms, r.Arm)
	}
	assert.Equal(t, []string{"unet+model.base=16", "unet+model.base=32", "dskd+model.base=16", "dskd+model.base=32"}, arms,
		"one-valued overrides do not name arms")
	r := runs[0]
	assert.Equal(t, filepath.Join("runs", "unet+model.base=16", "fold-0_seed-1"), r.Dir)
	assert.Equal(t, filepath.Join("/s", r.Dir), r.Config.OutDir)
	assert.Equal(t, 0.002, r.Config.LR)
	assert.Equal(t, 16, r.Config.Model.Base)
	assert.Equal(t, losses.PresetUNet, r.Config.Loss.Preset)
	assert.Equal(t, 3, r.Config.Threads)
	assert.Equal(t, 3, r.Config.Epochs)
	assert.Len(t, r.split.Test, 4, "fold 0 of 5 over 20 samples")
	assert.Len(t, r.split.Val, 2, "10 % of the 16 others, rounded")
	assert.Len(t, r.split.Train, 14)

	hashes := map[string]bool{}
	for _, r := range runs {
		hashes[r.Hash] = true
		assert.Len(t, r.Hash, 12)
	}
	assert.Len(t, hashes, len(runs), "every run measures something else")

	// Execution settings do not change the hash; the split and the
	// measured configuration do.
	again, err := spec.grid("/elsewhere", fakePool(20), 1)
	require.NoError(t, err)
	assert.Equal(t, runs[0].Hash, again[0].Hash)
	assert.Equal(t, runs[0].split, again[0].split, "same fold and carve for the same split seed")
	other := spec
	other.SplitSeed = 7
	moved, err := other.grid("/s", fakePool(20), 3)
	require.NoError(t, err)
	assert.NotEqual(t, runs[0].Hash, moved[0].Hash)
	assert.Equal(t, []string{"lr: 0.002 -> 0.001"}, configDiff(runs[0].Config, mustDefaults(t, func(c *dskd.Config) {
		*c = runs[0].Config
		c.LR = 0.001
	})))

	// The same fold and seed have the same split in every arm.
	assert.Equal(t, runs[0].split, runs[3].split)
}

func mustDefaults(t *testing.T, edit func(*dskd.Config)) dskd.Config {
	var c dskd.Config
	edit(&c)
	c, err := c.WithDefaults()
	require.NoError(t, err)
	return c
}

func TestBaselines(t *testing.T) {
	spec := Spec{Presets: []string{"unet", "dskd"}, Sets: []Override{{Path: "model.base", Values: []json.RawMessage{json.RawMessage("16"), json.RawMessage("32")}}}}
	arms := spec.arms()
	spec.Baseline = "unet"
	b, err := baselines(spec, arms)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"dskd+model.base=16": "unet+model.base=16", "dskd+model.base=32": "unet+model.base=32"}, b,
		"a preset baseline pairs arms with the same override values")
	spec.Baseline = "unet+model.base=16"
	b, err = baselines(spec, arms)
	require.NoError(t, err)
	assert.Len(t, b, 3)
	assert.Equal(t, "unet+model.base=16", b["dskd+model.base=32"])
	spec.Baseline = "psdl"
	_, err = baselines(spec, arms)
	assert.ErrorContains(t, err, `baseline "psdl"`)
}

func TestStudySpecValidation(t *testing.T) {
	ok := Spec{Layout: LayoutDCA1, Data: "d"}
	s, err := ok.WithDefaults()
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 2, 3, 4}, s.FoldIDs)
	assert.Equal(t, []int64{42}, s.Seeds)
	assert.Equal(t, []string{"dskd"}, s.Presets)
	assert.Equal(t, "", s.Baseline, "no unet arm: no comparisons")
	for name, edit := range map[string]func(*Spec){
		"layout":      func(s *Spec) { s.Layout = "dicom" },
		"data":        func(s *Spec) { s.Data = "" },
		"folds":       func(s *Spec) { s.Folds = 1 },
		"fold id":     func(s *Spec) { s.FoldIDs = []int{5} },
		"dup seed":    func(s *Spec) { s.Seeds = []int64{42, 0} },
		"preset":      func(s *Spec) { s.Presets = []string{"dskd", "magic"} },
		"cross":       func(s *Spec) { s.CrossData = "x" },
		"bootstrap":   func(s *Spec) { s.Bootstrap = 10 },
		"dup presets": func(s *Spec) { s.Presets = []string{"unet", "unet"} },
	} {
		bad := ok
		edit(&bad)
		_, err := bad.WithDefaults()
		assert.Error(t, err, name)
	}
}

// The semi-supervised options are study overrides like any other: the
// label-scarce arm and its semi-supervised twin differ by one --set.
func TestSemiSupervisedOverrides(t *testing.T) {
	set := func(path, v string) setting { return setting{path, json.RawMessage(v)} }
	c, err := applySettings(dskd.Config{}, []setting{set("labels", "10"), set("unlabelled.ratio", "2"), set("unlabelled.confidence", "0.8")})
	require.NoError(t, err)
	assert.Equal(t, 10, c.Labels)
	require.NotNil(t, c.Unlabelled)
	assert.Equal(t, 2, c.Unlabelled.Ratio)
	assert.Equal(t, 0.8, c.Unlabelled.Confidence)
	_, err = applySettings(dskd.Config{}, []setting{set("unlabelled.ratoi", "2")})
	assert.ErrorContains(t, err, `unknown field "unlabelled.ratoi"`)
}

// A supervised arm and its semi-supervised twin in one grid: unlabelled
// null leaves the frames out, {} learns from them with the defaults.
func TestUnlabelledNullOrObject(t *testing.T) {
	o, err := ParseOverride(`unlabelled=null,{}`)
	require.NoError(t, err)
	require.Len(t, o.Values, 2)
	s := Spec{Presets: []string{"deep-supervision"}, Sets: []Override{o}}
	arms := s.arms()
	require.Len(t, arms, 2)
	assert.Equal(t, "deep-supervision+unlabelled=null", arms[0].name)
	assert.Equal(t, "deep-supervision+unlabelled={}", arms[1].name)
	c, err := applySettings(dskd.Config{}, []setting{{"unlabelled", o.Values[0]}})
	require.NoError(t, err)
	assert.Nil(t, c.Unlabelled)
	c, err = applySettings(dskd.Config{}, []setting{{"unlabelled", o.Values[1]}})
	require.NoError(t, err)
	require.NotNil(t, c.Unlabelled)
}
