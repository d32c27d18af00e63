package dskd

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/metrics"
)

// The golden runs pin the trainer's arithmetic: a fixed-seed CPU run must
// give bit-identical weights and metrics before and after a change that
// claims not to alter behaviour (a refactor). testdata/golden-training.json
// was written by the code before such a change (DSKD_UPDATE_GOLDEN=1 writes
// it again). On the CPU model and libtorch that wrote it, the test demands
// equality bit for bit; elsewhere libtorch may pick other kernels, so the
// losses must agree to goldenTolerance (relative) and the scores, which
// move in steps of a pixel on these tiny images, to scoreTolerance; the
// weights hash is not compared (the test says which of the two it checked).
const goldenFile = "testdata/golden-training.json"

const (
	goldenTolerance = 5e-3
	scoreTolerance  = 0.05
)

// goldenRun is one pinned configuration's outcome.
type goldenRun struct {
	TrainLoss []float64 `json:"train_loss"`
	ValDice   []float64 `json:"val_dice"`
	BestEpoch int       `json:"best_epoch"`
	TestDice  float64   `json:"test_dice"`
	TestAUC   float64   `json:"test_auc"`
	Weights   string    `json:"weights_sha256"`
}

type goldenSet struct {
	CPU      string               `json:"cpu"`
	Libtorch string               `json:"libtorch"`
	Runs     map[string]goldenRun `json:"runs"`
}

// goldenConfigs are the pinned configurations: every loss preset's term
// family, both teachers, both teacher BatchNorm modes and bf16.
func goldenConfigs(out string) map[string]Config {
	base := func(name string, epochs int) Config {
		c := tinyConfigIn(filepath.Join(out, name), epochs)
		c.Overlays = -1
		c.TTA = true
		c.PickThreshold = true
		return c
	}
	cfgs := map[string]Config{}
	c := base("unet", 2)
	c.Loss.Preset = losses.PresetUNet
	cfgs["unet"] = c
	c = base("deep-supervision", 2)
	c.Loss.Preset = losses.PresetDeepSupervision
	c.Schedule.Name = "cosine"
	cfgs["deep-supervision"] = c
	c = base("dskd", 3)
	cfgs["dskd"] = c
	c = base("dskd-ema-batch-ds", 3)
	c.Teacher = TeacherEMA
	c.EMADecay = 0.9
	c.TeacherBN = TeacherBNBatch
	c.Loss.DeepSupervision = true
	cfgs["dskd-ema-batch-ds"] = c
	c = base("dskd-bf16", 3)
	c.Precision = PrecisionBF16
	cfgs["dskd-bf16"] = c
	return cfgs
}

// cpuModel is /proc/cpuinfo's model name ("" where there is none).
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
		}
	}
	return ""
}

// loadedLibtorch names the libtorch_cpu this process mapped, with its size:
// enough to tell two libtorch builds apart.
func loadedLibtorch() string {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 6 && strings.Contains(filepath.Base(f[5]), "libtorch_cpu") {
			if st, err := os.Stat(f[5]); err == nil {
				return fmt.Sprintf("%s (%d bytes)", f[5], st.Size())
			}
		}
	}
	return ""
}

func trainGolden(t *testing.T) goldenSet {
	split := syntheticSplit(t, 12, 48)
	set := goldenSet{CPU: runtime.GOARCH + " " + cpuModel(), Libtorch: loadedLibtorch(), Runs: map[string]goldenRun{}}
	for name, cfg := range goldenConfigs(t.TempDir()) {
		res, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
		require.NoError(t, err, name)
		g := goldenRun{BestEpoch: res.BestEpoch}
		for _, h := range res.History {
			g.TrainLoss = append(g.TrainLoss, h.TrainLoss)
			g.ValDice = append(g.ValDice, h.ValDice)
		}
		require.NotNil(t, res.Test, name)
		dice, _ := res.Test.Get(metrics.MetricDice)
		auc, _ := res.Test.Get(metrics.MetricAUC)
		g.TestDice, g.TestAUC = dice.Pooled, auc.Pooled
		g.Weights = hashValues(weights(t, cfg.OutDir))
		set.Runs[name] = g
	}
	return set
}

func TestTrainingMatchesGolden(t *testing.T) {
	got := trainGolden(t)
	if os.Getenv("DSKD_UPDATE_GOLDEN") == "1" {
		b, err := json.MarshalIndent(got, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(goldenFile, append(b, '\n'), 0o644))
		t.Logf("wrote %s", goldenFile)
		return
	}
	b, err := os.ReadFile(goldenFile)
	require.NoError(t, err)
	var want goldenSet
	require.NoError(t, json.Unmarshal(b, &want))
	require.Equal(t, len(want.Runs), len(got.Runs), "golden runs")
	exact := want.CPU == got.CPU && want.Libtorch == got.Libtorch
	if exact {
		t.Logf("same CPU and libtorch as the golden file (%s, %s): comparing bit for bit", got.CPU, got.Libtorch)
	} else {
		t.Logf("golden written on %q with libtorch %s, this is %q with %s: comparing to %g",
			want.CPU, want.Libtorch, got.CPU, got.Libtorch, goldenTolerance)
	}
	for name, w := range want.Runs {
		g, ok := got.Runs[name]
		require.True(t, ok, "golden run %s missing", name)
		if exact {
			assert.Equal(t, w, g, "run %s", name)
			continue
		}
		closeAll := func(what string, a, b []float64, tol float64) {
			require.Len(t, b, len(a), "%s %s", name, what)
			for i := range a {
				assert.LessOrEqual(t, math.Abs(a[i]-b[i]), tol*math.Max(1, math.Abs(a[i])), "%s %s[%d]: %v vs %v", name, what, i, a[i], b[i])
			}
		}
		closeAll("train loss", w.TrainLoss, g.TrainLoss, goldenTolerance)
		closeAll("val dice", w.ValDice, g.ValDice, scoreTolerance)
		closeAll("test", []float64{w.TestDice, w.TestAUC}, []float64{g.TestDice, g.TestAUC}, scoreTolerance)
	}
}
