package interop

import (
	"bytes"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/models"
)

// newTestUNet builds a seeded UNet and gives it non-trivial BatchNorm
// statistics and biases (fresh ones are 0/1, which would hide a swapped
// mean and variance), through the bridge. Call it on w.
func newTestUNet(t *testing.T, cfg models.UNetConfig, seed int64) *models.UNet {
	t.Helper()
	engine.ManualSeed(seed)
	net, err := models.New(cfg, gotch.CPU)
	require.NoError(t, err)
	m, err := FromUNet(net)
	require.NoError(t, err)
	rng := rand.New(rand.NewSource(seed))
	for _, a := range m.Arrays {
		for i := range a.Data {
			switch {
			case strings.HasSuffix(a.Name, "running_var"), strings.Contains(a.Name, ".bn") && strings.HasSuffix(a.Name, ".weight"):
				a.Data[i] = float32(0.5 + rng.Float64())
			case strings.HasSuffix(a.Name, "bias"), strings.HasSuffix(a.Name, "running_mean"):
				a.Data[i] = float32(0.1 * rng.NormFloat64())
			}
		}
	}
	require.NoError(t, LoadArrays(net, m.Arrays))
	return net
}

// layoutOf is models.Describe(cfg).Params(): every variable, in order.
func layoutOf(t *testing.T, cfg models.UNetConfig) []models.Param {
	t.Helper()
	arch, err := models.Describe(cfg)
	require.NoError(t, err)
	return arch.Params()
}

// zeroArrays returns an all-zero Array for every variable of cfg, in order.
func zeroArrays(t *testing.T, cfg models.UNetConfig) []Array {
	t.Helper()
	var arrays []Array
	for _, p := range layoutOf(t, cfg) {
		n, err := numel(p.Shape)
		require.NoError(t, err)
		arrays = append(arrays, Array{Name: p.Name, Shape: p.Shape, Data: make([]float32, n)})
	}
	return arrays
}

// randomImages returns n·c·h·w intensities in [0, 1] (an angiogram-like
// dark background with brighter noise), as Arrays named "x".
func randomImages(seed int64, shape ...int64) Array {
	rng := rand.New(rand.NewSource(seed))
	n, _ := numel(shape)
	x := Array{Name: "x", Shape: shape, Data: make([]float32, n)}
	for i := range x.Data {
		x.Data[i] = float32(0.2 + 0.6*rng.Float64()*rng.Float64())
	}
	return x
}

// forwardLogits runs net in eval mode on x (no normalisation) and returns
// every hierarchical output's logits, coarse to fine. Call it on a Worker.
// (Test-only tensor code, next to the bridge when ported.)
func forwardLogits(t *testing.T, net *models.UNet, x Array) [][]float32 {
	t.Helper()
	var out [][]float32
	err := engine.NoGrad(func() error {
		in, err := models.Input(x.Data, x.Shape, net.Device())
		if err != nil {
			return err
		}
		defer in.Free()
		o, err := net.Forward(in, false)
		if err != nil {
			return err
		}
		defer o.Free()
		for _, y := range o.Hierarchy {
			v, err := models.Values(y)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

func sigmoid(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(1 / (1 + math.Exp(-float64(x))))
	}
	return out
}

// maxAbsDiff is max |a-b|; +Inf on a length mismatch or a NaN.
func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		m = math.Max(m, d)
	}
	return m
}

// onWorker runs fn on a fresh engine Worker with 2 libtorch threads.
func onWorker(t *testing.T, fn func()) {
	t.Helper()
	w := engine.NewWorker()
	defer w.Close()
	require.NoError(t, w.Do(func() error {
		engine.SetThreads(2)
		fn()
		return nil
	}))
}

// External tools. Each test that needs one skips, naming it, only when it
// is not installed; .ci/run installs them all.

var (
	pythonOnce               sync.Once
	pythonTorch, pythonONNX  string // the interpreter, "" when the module is missing
	nodeOnce                 sync.Once
	nodePath, nodeModulesDir string
)

// findPython picks, for torch and for onnx, the first interpreter that
// imports it among $DSKD_PYTHON, python3 on PATH and /usr/bin/python3
// (where Debian's python3-torch and python3-onnx go, also when PATH
// leads to another Python first).
func findPython() {
	pythonOnce.Do(func() {
		var candidates []string
		if py := os.Getenv("DSKD_PYTHON"); py != "" {
			candidates = append(candidates, py)
		}
		if py, err := exec.LookPath("python3"); err == nil {
			candidates = append(candidates, py)
		}
		candidates = append(candidates, "/usr/bin/python3")
		for _, py := range candidates {
			if _, err := exec.LookPath(py); err != nil {
				continue
			}
			if pythonTorch == "" && exec.Command(py, "-c", "import torch").Run() == nil {
				pythonTorch = py
			}
			if pythonONNX == "" && exec.Command(py, "-c", "import onnx").Run() == nil {
				pythonONNX = py
			}
		}
	})
}

func needTorch(t *testing.T) string {
	findPython()
	if pythonTorch == "" {
		t.Skip("skipped: no python3 with torch ($DSKD_PYTHON, python3 on PATH, /usr/bin/python3; Debian: apt-get install python3-torch)")
	}
	return pythonTorch
}

func needONNX(t *testing.T) string {
	findPython()
	if pythonONNX == "" {
		t.Skip("skipped: no python3 with onnx ($DSKD_PYTHON, python3 on PATH, /usr/bin/python3; Debian: apt-get install python3-onnx)")
	}
	return pythonONNX
}

// needORT finds node and onnxruntime-node: $DSKD_NODE_MODULES, else the
// node_modules .ci/run installs under the dskd cache
// (${DSKD_CACHE:-${XDG_CACHE_HOME:-~/.cache}/dskd}/npm).
func needORT(t *testing.T) (node, modules string) {
	nodeOnce.Do(func() {
		n, err := exec.LookPath("node")
		if err != nil {
			return
		}
		dir := os.Getenv("DSKD_NODE_MODULES")
		if dir == "" {
			cache := os.Getenv("DSKD_CACHE")
			if cache == "" {
				base, err := os.UserCacheDir()
				if err != nil {
					return
				}
				cache = filepath.Join(base, "dskd")
			}
			dir = filepath.Join(cache, "npm", "node_modules")
		}
		if _, err := os.Stat(filepath.Join(dir, "onnxruntime-node", "package.json")); err == nil {
			nodePath, nodeModulesDir = n, dir
		}
	})
	if nodePath == "" {
		t.Skip("skipped: node with onnxruntime-node not found (npm install --ignore-scripts --prefix ~/.cache/dskd/npm onnxruntime-node@1.30.0, as .ci/run does; or set DSKD_NODE_MODULES)")
	}
	return nodePath, nodeModulesDir
}

// runTool runs a command and fails the test with its output on an error.
func runTool(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1"), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s %s\n%s%s", name, strings.Join(args, " "), out, stderr.String())
	return string(out)
}

func writeSafetensors(t *testing.T, path string, arrays ...Array) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, EncodeSafetensors(&buf, arrays, nil))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

func readSafetensors(t *testing.T, path string) map[string]Array {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	arrays, _, err := DecodeSafetensors(b)
	require.NoError(t, err)
	out := map[string]Array{}
	for _, a := range arrays {
		out[a.Name] = a
	}
	return out
}
