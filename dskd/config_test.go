package dskd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/optim"
)

func TestConfigPresetIsOneField(t *testing.T) {
	var c Config
	require.NoError(t, json.Unmarshal([]byte(`{"epochs": 3, "loss": {"preset": "psdl"}}`), &c))
	assert.Equal(t, losses.PresetPSDL, c.Loss.Preset)
	assert.Equal(t, 3, c.Epochs)

	// Configs written before the preset moved into "loss" still load.
	c = Config{}
	require.NoError(t, json.Unmarshal([]byte(`{"preset": "unet"}`), &c))
	assert.Equal(t, losses.PresetUNet, c.Loss.Preset)
	err := json.Unmarshal([]byte(`{"preset": "unet", "loss": {"preset": "ddl"}}`), &c)
	assert.ErrorContains(t, err, `preset "unet" and loss.preset "ddl"`)

	// A typo is an error, not a silent default.
	err = json.Unmarshal([]byte(`{"epoch": 3}`), &Config{})
	assert.EqualError(t, err, `unknown field "epoch" (did you mean "epochs"?)`)
	path := filepath.Join(t.TempDir(), "c.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"augment": {"flip_h": true, "max_rotate_deg": 5}}`), 0o644))
	c, err = LoadConfig(path)
	require.NoError(t, err)
	assert.Equal(t, &data.AugmentConfig{FlipH: true, MaxRotateDeg: 5}, c.Augment)

	// Round trip: what a run writes, it reads back.
	full, err := Config{Loss: losses.Config{Preset: losses.PresetDDL}}.WithDefaults()
	require.NoError(t, err)
	b, err := json.Marshal(full)
	require.NoError(t, err)
	var back Config
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, full, back)
	assert.Equal(t, data.DefaultAugment(256), *back.Augment, "the trainer's augmentation is data.DefaultAugment")
}

// A DSKD run with loss.deep_supervision trains with all four terms and
// logs each of them.
func TestDSKDWithDeepSupervisionTrains(t *testing.T) {
	split := syntheticSplit(t, 8, 48)
	cfg := tinyConfig(t, 2)
	cfg.Loss.DeepSupervision = true
	res, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	last := res.History[len(res.History)-1]
	for _, term := range []string{losses.TermDice, losses.TermPSDL, losses.TermDDL, losses.TermDeepSup} {
		assert.Greater(t, last.Parts[term], 0.0, term)
	}
}

// testdata/legacy-configs.json holds configurations as the code before the
// typed options wrote them (json.Marshal of the Config, and of its
// WithDefaults): representative ones, the golden runs' among them, with
// every option that existed set in "full". Saved run folders resume from
// that JSON and a study identifies a run by a hash of it, so it must read
// back to the same bytes, and give the same effective configuration.
func TestConfigJSONUnchanged(t *testing.T) {
	b, err := os.ReadFile("testdata/legacy-configs.json")
	require.NoError(t, err)
	var cases []struct {
		Name      string          `json:"name"`
		Config    json.RawMessage `json:"config"`
		Effective json.RawMessage `json:"effective"`
	}
	require.NoError(t, json.Unmarshal(b, &cases))
	require.Len(t, cases, 10)
	compact := func(raw json.RawMessage) string {
		var buf bytes.Buffer
		require.NoError(t, json.Compact(&buf, raw))
		return buf.String()
	}
	hash := func(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s)))[:12] }
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			var cfg Config
			require.NoError(t, json.Unmarshal(c.Config, &cfg))
			got, err := json.Marshal(cfg)
			require.NoError(t, err)
			assert.Equal(t, compact(c.Config), string(got))

			eff, err := cfg.WithDefaults()
			require.NoError(t, err)
			got, err = json.Marshal(eff)
			require.NoError(t, err)
			want := compact(c.Effective)
			assert.Equal(t, want, string(got))
			assert.Equal(t, hash(want), hash(string(got)), "the hash a study computes")

			var back Config
			require.NoError(t, json.Unmarshal(c.Effective, &back))
			again, err := back.WithDefaults()
			require.NoError(t, err)
			assert.Equal(t, eff, again, "the effective configuration reads back to itself")
		})
	}
	// The Go form of the "full" case: the renamed options are the old keys.
	var full Config
	for _, c := range cases {
		if c.Name == "full" {
			require.NoError(t, json.Unmarshal(c.Config, &full))
		}
	}
	assert.Equal(t, Off, full.CudnnBenchmark)
	assert.Equal(t, losses.Off, full.Loss.DDL.TauSquared)
	assert.Equal(t, optim.SGD, full.Optimizer.Name)
	assert.Equal(t, SchedulePoly, full.Schedule.Name)
}

// The "no_..." keys of earlier versions are the JSON of the positive
// switches: true is Off, false and absent On; On is left out.
func TestConfigLegacyNegativeKeys(t *testing.T) {
	for in, want := range map[string][2]Switch{
		`{}`: {On, On},
		`{"no_cudnn_benchmark": true, "loss": {"ddl": {"no_tau_squared": true}}}`:   {Off, Off},
		`{"no_cudnn_benchmark": false, "loss": {"ddl": {"no_tau_squared": false}}}`: {On, On},
	} {
		var c Config
		require.NoError(t, json.Unmarshal([]byte(in), &c), in)
		assert.Equal(t, want, [2]Switch{c.CudnnBenchmark, c.Loss.DDL.TauSquared}, in)
	}
	b, err := json.Marshal(Config{CudnnBenchmark: Off})
	require.NoError(t, err)
	assert.Equal(t, `{"optimizer":{},"schedule":{},"loss":{"ddl":{}},"model":{},"no_cudnn_benchmark":true}`, string(b))
	b, err = json.Marshal(Config{})
	require.NoError(t, err)
	assert.NotContains(t, string(b), "cudnn")

	path := filepath.Join(t.TempDir(), "c.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"no_cudnn_benchmark": "yes"}`), 0o644))
	_, err = LoadConfig(path)
	assert.EqualError(t, err, "dskd: config "+path+": no_cudnn_benchmark: want true or false, got a JSON string")
}

// A --config file's unknown field is an error naming its path and the
// file, with the option it most likely meant; a value of the wrong type
// names its option too.
func TestLoadConfigNamesTheField(t *testing.T) {
	dir := t.TempDir()
	for body, want := range map[string]string{
		`{"epochz": 7}`:                               `unknown field "epochz" (did you mean "epochs"?)`,
		`{"epochs": 7, "model": {"bsae": 16}}`:        `unknown field "model.bsae" (did you mean "base"?)`,
		`{"loss": {"ddl": {"tua": 2}}}`:               `unknown field "loss.ddl.tua" (did you mean "tau"?)`,
		`{"augment": {"flip_h": true, "flipv": 1}}`:   `unknown field "augment.flipv" (did you mean "flip_v"?)`,
		`{"optimizer": {"nesterov": true}}`:           `unknown field "optimizer.nesterov" (known: name, weight_decay, beta1, beta2, eps, momentum)`,
		`{"schedule": {"name": "cosine", "warm": 1}}`: `unknown field "schedule.warm" (known: name, step_size, gamma, power, min_lr)`,
		`{"epochs": "many"}`:                          `epochs: want an integer, got a JSON string`,
		`{"model": {"depth": 2.5}}`:                   `model.depth: want an integer, got a JSON number 2.5`,
		`{"epochs": 7} {"epochs": 8}`:                 `more than one JSON value`,
	} {
		path := filepath.Join(dir, "c.json")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
		_, err := LoadConfig(path)
		assert.EqualError(t, err, "dskd: config "+path+": "+want, body)
	}
}

// Every enum rejects a value outside it, naming the option and the
// values it takes.
func TestConfigEnumsNameTheAllowedValues(t *testing.T) {
	for _, tc := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.Teacher = "oracle" }, `teacher "oracle": want "previous-epoch" or "ema"`},
		{func(c *Config) { c.TeacherBN = "train" }, `teacher_bn "train": want "eval" or "batch"`},
		{func(c *Config) { c.Precision = "int8" }, `precision "int8": want "fp32", "bf16" or "fp16"`},
		{func(c *Config) { c.Normalize = "l2" }, `normalize "l2": want "zscore", "minmax" or "none"`},
		{func(c *Config) { c.Device = "gpu" }, `device "gpu": want "auto", "cpu", "cuda" or "cuda:N"`},
		{func(c *Config) { c.Device = "cuda:-1" }, `device "cuda:-1": want "auto", "cpu", "cuda" or "cuda:N"`},
		{func(c *Config) { c.Schedule.Name = "linear" }, `schedule.name "linear": want "step", "cosine", "poly" or "constant"`},
		{func(c *Config) { c.Optimizer.Name = "lbfgs" }, `optimizer.name "lbfgs": want "adamw" or "sgd"`},
		{func(c *Config) { c.Loss.Preset = "kd" }, `loss.preset "kd": want "unet", "deep-supervision", "psdl", "ddl" or "dskd"`},
		{func(c *Config) { c.Loss.DDLSchedule = "cosine" }, `loss.ddl_schedule "cosine": want "ramp", "constant" or "start"`},
		{func(c *Config) { c.CudnnBenchmark = 2 }, `no_cudnn_benchmark Switch(2): want On or Off`},
	} {
		var c Config
		tc.set(&c)
		_, err := c.WithDefaults()
		assert.EqualError(t, err, "dskd: config: "+tc.want)
	}
	// Spellings the options have always taken.
	c, err := Config{Normalize: "Z-Score", Device: "CUDA:1", Schedule: ScheduleConfig{Name: "Cosine"}, Optimizer: optim.Config{Name: "SGD"}}.WithDefaults()
	require.NoError(t, err)
	assert.Equal(t, ScheduleCosine, c.Schedule.Name)
	assert.Equal(t, optim.SGD, c.Optimizer.Name)
	assert.Equal(t, Normalize("Z-Score"), c.Normalize, "kept as written (the hash of saved configs)")
}

// Every other option out of range is an error naming it, with its value.
func TestConfigOptionsNameTheOption(t *testing.T) {
	for _, tc := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.TTATurns = true }, "tta_turns needs tta: the turns are added to the flips"},
		{func(c *Config) { c.Epochs = -1 }, "epochs -1: must be >= 1"},
		{func(c *Config) { c.BatchSize = -2 }, "batch_size -2: must be >= 1"},
		{func(c *Config) { c.CropSize = -2 }, "crop_size -2: want -1 (full images) or a side >= 1"},
		{func(c *Config) { c.LR = -0.1 }, "lr -0.1: must be a finite number > 0"},
		{func(c *Config) { c.LR = math.NaN() }, "lr NaN: must be a finite number > 0"},
		{func(c *Config) { c.Optimizer.Beta1 = 1 }, "optimizer.beta1 1: must lie in (0, 1)"},
		{func(c *Config) { c.Schedule.StepSize = -1 }, "schedule.step_size -1: must be >= 1"},
		{func(c *Config) { c.Schedule.MinLR = -1 }, "schedule.min_lr -1: must be a finite number >= 0"},
		{func(c *Config) { c.Loss.AlphaT = 1.5 }, "loss.alpha_t 1.5: must lie in (0, 1]"},
		{func(c *Config) { c.Loss.DDL.Grid = -4 }, "loss.ddl.grid -4: must be >= 1"},
		{func(c *Config) { c.Loss.DeepSupervision, c.Loss.DSWeights = true, []float64{1, 1} }, "loss.ds_weights has 2 entries: want one per side output, model.depth-1 = 3"},
		{func(c *Config) { c.Augment = &data.AugmentConfig{MaxRotateDeg: 60} }, "augment.max_rotate_deg 60: must lie in [0, 45]"},
		{func(c *Config) { c.EMADecay = 1 }, "ema_decay 1: must lie in (0, 1)"},
		{func(c *Config) { c.Threads = -1 }, "threads -1: must be >= 0 (0 = all cores)"},
		{func(c *Config) { c.Workers = -3 }, "workers -3: must be >= 0 (0 = all cores)"},
		{func(c *Config) { c.ValFraction = 1 }, "val_fraction 1: must lie in (0, 1)"},
		{func(c *Config) { c.KeepLast = -1 }, "keep_last -1: must be >= 1"},
		{func(c *Config) { c.Threshold = 1.5 }, "threshold 1.5: must lie in (0, 1)"},
		{func(c *Config) { c.Overlays = -2 }, "overlays -2: want -1 (none) or a count >= 1"},
		{func(c *Config) { c.StepsPerEpoch = -5 }, "steps_per_epoch -5: must be >= 0 (0 = all batches)"},
		{func(c *Config) { c.ProgressEvery = -2 }, "progress_every -2: want -1 (no progress) or a step count >= 1"},
	} {
		var c Config
		tc.set(&c)
		_, err := c.WithDefaults()
		assert.EqualError(t, err, "dskd: config: "+tc.want)
	}
	// The -1 sentinels are valid and kept.
	c, err := Config{CropSize: -1, Overlays: -1, ProgressEvery: -1, Optimizer: optim.Config{WeightDecay: -1}}.WithDefaults()
	require.NoError(t, err)
	assert.Equal(t, [4]float64{-1, -1, -1, -1}, [4]float64{float64(c.CropSize), float64(c.Overlays), float64(c.ProgressEvery), c.Optimizer.WeightDecay})
}

// The crop size has one home, CropSize: Augment's crop follows it, with
// or without an augment given, and the crop of a config that gives it in
// augment only (as earlier versions read it) is taken as CropSize.
func TestConfigCropSizeHasOneHome(t *testing.T) {
	eff := func(c Config) Config {
		t.Helper()
		e, err := c.WithDefaults()
		require.NoError(t, err)
		again, err := e.WithDefaults()
		require.NoError(t, err)
		require.Equal(t, e, again, "idempotent")
		return e
	}
	c := eff(Config{})
	assert.Equal(t, 256, c.CropSize)
	assert.Equal(t, data.DefaultAugment(256), *c.Augment)
	c = eff(Config{CropSize: -1})
	assert.Equal(t, data.DefaultAugment(0), *c.Augment, "full images: no crop")

	// An augment given: the crop is still CropSize (it used to be ignored).
	own := &data.AugmentConfig{FlipH: true, MaxRotateDeg: 10}
	c = eff(Config{CropSize: 128, Augment: own})
	assert.Equal(t, 128, c.CropSize)
	assert.Equal(t, data.AugmentConfig{FlipH: true, MaxRotateDeg: 10, CropSize: 128}, *c.Augment)
	assert.Equal(t, 0, own.CropSize, "the caller's augment is not changed")
	c = eff(Config{Augment: own})
	assert.Equal(t, 256, c.Augment.CropSize, "the default crop")

	// The crop in augment only: read as CropSize.
	c = eff(Config{Augment: &data.AugmentConfig{FlipV: true, CropSize: 96}})
	assert.Equal(t, 96, c.CropSize)
	assert.Equal(t, 96, c.Augment.CropSize)

	// Both, differing: an error naming both, not a silent choice.
	_, err := Config{CropSize: 128, Augment: &data.AugmentConfig{CropSize: 96}}.WithDefaults()
	assert.EqualError(t, err, "dskd: config: augment.crop_size 96 disagrees with crop_size 128: the training crop is crop_size; leave augment.crop_size out (it follows crop_size)")
	_, err = Config{CropSize: -1, Augment: &data.AugmentConfig{CropSize: 96}}.WithDefaults()
	assert.ErrorContains(t, err, "augment.crop_size 96 disagrees with crop_size -1")
	_, err = Config{Augment: &data.AugmentConfig{CropSize: -1}}.WithDefaults()
	assert.EqualError(t, err, "dskd: config: augment.crop_size -1: leave it out (the crop is crop_size; -1 there = full images)")

	// WithCropSize (--crop, a study's crop_size) replaces a crop the
	// augment holds.
	withCrop := Config{Augment: &data.AugmentConfig{FlipV: true, CropSize: 96}}
	c = eff(withCrop.WithCropSize(64))
	assert.Equal(t, 64, c.CropSize)
	assert.Equal(t, data.AugmentConfig{FlipV: true, CropSize: 64}, *c.Augment)
	assert.Equal(t, 96, withCrop.Augment.CropSize, "the original is not changed")
	c = eff(withCrop.WithCropSize(-1))
	assert.Equal(t, 0, c.Augment.CropSize)
}
