package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/losses"
)

func TestFlagsOverrideConfigFileOverrideDefaults(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "c.json")
	require.NoError(t, os.WriteFile(cfgPath, []byte(`{"epochs": 7, "lr": 0.01, "model": {"base": 8}, "preset": "ddl"}`), 0o644))
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var tf TrainFlags
	tf.Register(fs, "runs/x")
	require.NoError(t, fs.Parse([]string{"--config", cfgPath, "--lr", "0.002", "--preset", "unet"}))
	cfg, err := tf.Config(dskd.Config{Epochs: 99})
	require.NoError(t, err)
	assert.Equal(t, 7, cfg.Epochs, "the file replaces the defaults")
	assert.Equal(t, 0.002, cfg.LR, "a flag beats the file")
	assert.Equal(t, losses.PresetUNet, cfg.Loss.Preset)
	assert.Equal(t, 8, cfg.Model.Base)
	assert.Equal(t, "runs/x", cfg.OutDir)
	assert.Equal(t, 4, cfg.BatchSize, "unset everywhere: METHOD.md default")

	fs = flag.NewFlagSet("y", flag.ContinueOnError)
	tf = TrainFlags{}
	tf.Register(fs, "runs/y")
	require.NoError(t, fs.Parse([]string{"--epochs", "3"}))
	cfg, err = tf.Config(dskd.Config{Epochs: 99, LR: 0.5})
	require.NoError(t, err)
	assert.Equal(t, 3, cfg.Epochs)
	assert.Equal(t, 0.5, cfg.LR)

	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"epochz": 7}`), 0o644))
	fs = flag.NewFlagSet("z", flag.ContinueOnError)
	tf = TrainFlags{}
	tf.Register(fs, "runs/z")
	require.NoError(t, fs.Parse([]string{"--config", bad}))
	_, err = tf.Config(dskd.Config{})
	assert.EqualError(t, err, "dskd: config "+bad+`: unknown field "epochz" (did you mean "epochs"?)`)
}

func TestInitWeightsFlag(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var tf TrainFlags
	tf.Register(fs, "runs/x")
	require.NoError(t, fs.Parse([]string{"--init-weights", "pretrained.pt"}))
	cfg, err := tf.Config(dskd.Config{})
	require.NoError(t, err)
	assert.Equal(t, "pretrained.pt", cfg.InitWeights)
}

// --tta-turns turns on TTA with the 90° turns; --tta alone, the flips.
func TestTTATurnsFlag(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		tta, turns bool
	}{
		{[]string{"--tta-turns"}, true, true},
		{[]string{"--tta"}, true, false},
		{nil, false, false},
	} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		var tf TrainFlags
		tf.Register(fs, "runs/x")
		require.NoError(t, fs.Parse(tc.args))
		cfg, err := tf.Config(dskd.Config{})
		require.NoError(t, err)
		assert.Equal(t, [2]bool{tc.tta, tc.turns}, [2]bool{cfg.TTA, cfg.TTATurns}, "%v", tc.args)
	}
}

// --crop sets the training crop also when the --config file gives an
// augment, with or without a crop of its own (it used to be ignored then).
func TestCropFlagWithAugmentInConfig(t *testing.T) {
	parse := func(body string, args ...string) (dskd.Config, error) {
		path := filepath.Join(t.TempDir(), "c.json")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		var tf TrainFlags
		tf.Register(fs, "runs/x")
		require.NoError(t, fs.Parse(append([]string{"--config", path}, args...)))
		return tf.Config(dskd.Config{})
	}
	cfg, err := parse(`{"augment": {"flip_h": true, "max_rotate_deg": 10}}`, "--crop", "128")
	require.NoError(t, err)
	assert.Equal(t, 128, cfg.CropSize)
	assert.Equal(t, data.AugmentConfig{FlipH: true, MaxRotateDeg: 10, CropSize: 128}, *cfg.Augment)

	cfg, err = parse(`{"augment": {"flip_h": true, "crop_size": 96}}`, "--crop", "-1")
	require.NoError(t, err)
	assert.Equal(t, -1, cfg.CropSize)
	assert.Equal(t, data.AugmentConfig{FlipH: true}, *cfg.Augment, "the flag beats the file's crop")

	cfg, err = parse(`{"augment": {"flip_h": true, "crop_size": 96}}`)
	require.NoError(t, err)
	assert.Equal(t, 96, cfg.CropSize, "a crop given in augment only is the crop")

	_, err = parse(`{"crop_size": 128, "augment": {"crop_size": 96}}`)
	assert.EqualError(t, err, "dskd: config: augment.crop_size 96 disagrees with crop_size 128: the training crop is crop_size; leave augment.crop_size out (it follows crop_size)")
}

// A flag's wrong value names the option and the values it takes.
func TestEnumFlagsNameTheAllowedValues(t *testing.T) {
	for args, want := range map[string]string{
		"--teacher=oracle":  `dskd: config: teacher "oracle": want "previous-epoch" or "ema"`,
		"--preset=kd":       `dskd: config: loss.preset "kd": want "unet", "deep-supervision", "psdl", "ddl" or "dskd"`,
		"--schedule=linear": `dskd: config: schedule.name "linear": want "step", "cosine", "poly" or "constant"`,
		"--precision=fp8":   `dskd: config: precision "fp8": want "fp32", "bf16" or "fp16"`,
		"--device=gpu":      `dskd: config: device "gpu": want "auto", "cpu", "cuda" or "cuda:N"`,
		"--crop=-3":         `dskd: config: crop_size -3: want -1 (full images) or a side >= 1`,
	} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		var tf TrainFlags
		tf.Register(fs, "runs/x")
		require.NoError(t, fs.Parse([]string{args}))
		_, err := tf.Config(dskd.Config{})
		assert.EqualError(t, err, want, args)
	}
}
