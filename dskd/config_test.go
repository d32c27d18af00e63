package dskd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/losses"
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
	assert.ErrorContains(t, err, `unknown field "epoch"`)
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
