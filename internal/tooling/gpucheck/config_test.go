package gpucheck

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultsDependOnTheDevice(t *testing.T) {
	gpu, err := Config{}.withDefaults("cuda:1")
	require.NoError(t, err)
	assert.Equal(t, TrainConfig{Epochs: 8, Base: 32, Crop: 256, Batches: []int{4, 16}, Presets: []string{"dskd"}}, gpu.Train)
	assert.Equal(t, BenchConfig{Configs: "32:512:8,32:512:16", Modes: "dskd,unet,infer", Reps: 1, Steps: 10, Warmup: 3}, gpu.Bench)
	assert.Equal(t, DefaultBudget, gpu.Budget)
	assert.Equal(t, []string{"./..."}, gpu.TestPackages)

	cpu, err := Config{Train: TrainConfig{Epochs: 5}, Timeouts: map[string]time.Duration{"test": time.Minute}}.withDefaults("cpu")
	require.NoError(t, err)
	assert.Equal(t, TrainConfig{Epochs: 5, Base: 8, Crop: 128, Batches: []int{4}, Presets: []string{"dskd"}}, cpu.Train, "set fields stay")
	assert.Equal(t, "8:128:2", cpu.Bench.Configs)
	assert.Equal(t, time.Minute, cpu.Timeouts["test"])
	assert.Equal(t, DefaultTimeouts["build"], cpu.Timeouts["build"])
}

func TestConfigRejectsBadOptions(t *testing.T) {
	for name, c := range map[string]Config{
		"skip":    {Skip: []string{"build"}},
		"timeout": {Timeouts: map[string]time.Duration{"lint": time.Minute}},
		"zero":    {Timeouts: map[string]time.Duration{"test": 0}},
		"batch":   {Train: TrainConfig{Batches: []int{4, 0}}},
		"budget":  {Budget: -time.Second},
		"threads": {Bench: BenchConfig{Threads: -1}},
	} {
		_, err := c.withDefaults("cpu")
		assert.ErrorContains(t, err, "gpucheck:", name)
	}
}

func TestDeviceIndexAndSetupField(t *testing.T) {
	assert.Equal(t, -1, gpuIndex("cpu"))
	assert.Equal(t, 0, gpuIndex("cuda"))
	assert.Equal(t, 2, gpuIndex("cuda:2"))
	print := "libtorch:      /usr\nversion:       1.13.1 (headers: 1.13.0)\ndevice:        CPU\n"
	assert.Equal(t, "CPU", setupField(print, "device"))
	assert.Equal(t, "1.13.1 (headers: 1.13.0)", setupField(print, "version"))
	assert.Equal(t, "", setupField(print, "gotch copy"))
}
