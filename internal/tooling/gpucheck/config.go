package gpucheck

import (
	"fmt"
	"strings"
	"time"
)

// Config sets up a check. The zero value checks the project above the
// working directory on the best device with the defaults below, which
// depend on the device (a GPU gets the sizes the paper uses; a CPU gets
// sizes that only prove the path works).
type Config struct {
	Project      string                   // module root; default: the folder holding go.mod at or above the working directory
	Out          string                   // report folder; default <Reports>/gpu-check-<UTC time>
	Reports      string                   // parent folder of the default Out; default <Project>/runs
	Device       string                   // auto (default: cuda when the libtorch has CUDA and nvidia-smi lists a GPU, else cpu), cpu, cuda, cuda:N
	Data         string                   // DCA1-layout folder for the training; default: one generated with dskd-synth (44 images)
	Budget       time.Duration            // the whole run; default 8 minutes; each phase gets at most what is left
	Python       string                   // Python with torch for bench/twin.py; default: the first of python3, /usr/bin/python3 that imports torch
	Skip         []string                 // phases not to run: test, train, bench (setup and build always run)
	TestRun      string                   // go test -run pattern; default: every test
	TestPackages []string                 // default ./...
	Timeouts     map[string]time.Duration // per phase (host, setup, build, test, train, bench); defaults in DefaultTimeouts
	Train        TrainConfig
	Bench        BenchConfig
}

// TrainConfig is the short DSKD training (dskd train --dataset dca1).
type TrainConfig struct {
	Epochs  int      // default 8 on a GPU, 2 on the CPU
	Base    int      // U-Net base width; default 32 on a GPU, 8 on the CPU
	Crop    int      // training crop side; default 256 on a GPU, 128 on the CPU
	Batches []int    // one run per batch size; default 4 and 16 on a GPU, 4 on the CPU
	Presets []string // one run per preset and batch: dskd, unet, ...; default dskd
	Extra   []string // further `dskd train` flags, appended as given
}

// BenchConfig is the bench/compare run against the PyTorch twin.
type BenchConfig struct {
	Configs string   // base:size:batch list; default 32:512:8,32:512:16 on a GPU, 8:128:2 on the CPU
	Modes   string   // default dskd,unet,infer
	Reps    int      // fresh processes per implementation, interleaved; default 1
	Steps   int      // timed steps per run; default 10 on a GPU, 2 on the CPU
	Warmup  int      // default 3 on a GPU, 1 on the CPU
	Threads int      // libtorch threads for both; default 0 (all cores)
	Extra   []string // further bench/compare flags, appended as given
}

// DefaultTimeouts are the per-phase limits; train's applies to each run.
var DefaultTimeouts = map[string]time.Duration{
	"host":  90 * time.Second,
	"setup": 5 * time.Minute,
	"build": 6 * time.Minute,
	"test":  5 * time.Minute,
	"train": 3 * time.Minute,
	"bench": 4 * time.Minute,
}

// DefaultBudget is the whole run's default limit.
const DefaultBudget = 8 * time.Minute

// skippable are the phases Skip may name.
var skippable = []string{"test", "train", "bench"}

// withDefaults fills what is unset for the resolved device and checks the
// rest.
func (c Config) withDefaults(device string) (Config, error) {
	gpu := strings.HasPrefix(device, "cuda")
	pick := func(v *int, onGPU, onCPU int) {
		if *v == 0 {
			*v = onCPU
			if gpu {
				*v = onGPU
			}
		}
	}
	if c.Budget == 0 {
		c.Budget = DefaultBudget
	}
	if c.Budget < 0 {
		return c, fmt.Errorf("gpucheck: budget %s: must be positive", c.Budget)
	}
	if len(c.TestPackages) == 0 {
		c.TestPackages = []string{"./..."}
	}
	t := map[string]time.Duration{}
	for k, v := range DefaultTimeouts {
		t[k] = v
	}
	for k, v := range c.Timeouts {
		if _, ok := DefaultTimeouts[k]; !ok || v <= 0 {
			return c, fmt.Errorf("gpucheck: timeout %s=%s: want a phase of host, setup, build, test, train, bench and a positive duration", k, v)
		}
		t[k] = v
	}
	c.Timeouts = t
	for _, s := range c.Skip {
		if !contains(skippable, s) {
			return c, fmt.Errorf("gpucheck: skip %q: only %s can be skipped", s, strings.Join(skippable, ", "))
		}
	}
	pick(&c.Train.Epochs, 8, 2)
	pick(&c.Train.Base, 32, 8)
	pick(&c.Train.Crop, 256, 128)
	if len(c.Train.Batches) == 0 {
		c.Train.Batches = []int{4}
		if gpu {
			c.Train.Batches = []int{4, 16}
		}
	}
	for _, b := range c.Train.Batches {
		if b < 1 {
			return c, fmt.Errorf("gpucheck: training batch %d: must be >= 1", b)
		}
	}
	if len(c.Train.Presets) == 0 {
		c.Train.Presets = []string{"dskd"}
	}
	if c.Bench.Configs == "" {
		c.Bench.Configs = "8:128:2"
		if gpu {
			c.Bench.Configs = "32:512:8,32:512:16"
		}
	}
	if c.Bench.Modes == "" {
		c.Bench.Modes = "dskd,unet,infer"
	}
	pick(&c.Bench.Reps, 1, 1)
	pick(&c.Bench.Steps, 10, 2)
	pick(&c.Bench.Warmup, 3, 1)
	if c.Bench.Threads < 0 {
		return c, fmt.Errorf("gpucheck: bench threads %d: must be >= 0", c.Bench.Threads)
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
