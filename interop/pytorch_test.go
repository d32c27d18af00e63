package interop

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/models"
)

const parityTolerance = 1e-5

func parityScript() string { return filepath.Join("pytorch", "parity.py") }

// Two configurations: the default bilinear decoder on a size that needs
// reflect padding, and the transposed-conv decoder on a tiny input that
// needs replicate padding.
var parityCases = []struct {
	cfg models.UNetConfig
	x   Array
}{
	{models.UNetConfig{Depth: 4, Base: 4}, randomImages(5, 2, 1, 45, 61)},
	{models.UNetConfig{Depth: 3, Base: 3, InChannels: 2, Upsample: models.UpsampleTranspose}, randomImages(6, 1, 2, 7, 5)},
}

// dskd weights (safetensors and .pt) load into interop/pytorch/dskd_unet.py
// with strict=True, and its forward equals dskd's.
func TestPyTorchLoadsDskdWeights(t *testing.T) {
	py := needTorch(t)
	for ci, c := range parityCases {
		cfg, err := c.cfg.WithDefaults()
		require.NoError(t, err)
		dir := t.TempDir()
		in := filepath.Join(dir, "x.safetensors")
		writeSafetensors(t, in, c.x)
		var m *Model
		var want [][]float32
		onWorker(t, func() {
			net := newTestUNet(t, c.cfg, int64(20+ci))
			var err error
			m, err = FromUNet(net)
			require.NoError(t, err)
			want = forwardLogits(t, net, c.x)
		})
		m.Meta.Threshold = 0.35
		for _, f := range []Format{Safetensors, PT} {
			weights := filepath.Join(dir, "dskd."+string(f))
			require.NoError(t, WriteFile(weights, m, f, ONNXOptions{}))
			out := filepath.Join(dir, "torch-"+string(f)+".safetensors")
			summary := runTool(t, nil, py, parityScript(), "forward", weights, in, out)
			var s struct {
				StateDict [][2]any `json:"state_dict"`
				Threshold float64
				Config    map[string]any
			}
			require.NoError(t, json.Unmarshal([]byte(summary), &s), summary)
			assertStateDictIsLayout(t, cfg, s.StateDict)
			assert.Equal(t, 0.35, s.Threshold)
			assert.Equal(t, float64(c.cfg.Base), s.Config["base"])
			got := readSafetensors(t, out)
			for i, w := range want {
				y := got["y"+strconv.Itoa(i)]
				d := maxAbsDiff(w, y.Data)
				t.Logf("%s %s: output %d max |dskd - PyTorch| = %.3g", cfg.Upsample, f, i, d)
				assert.LessOrEqual(t, d, parityTolerance, "%s %s output %d", cfg.Upsample, f, i)
			}
		}
	}
}

// Weights made and saved by PyTorch (torch.save of the state dict, and
// safetensors without dskd metadata) load into dskd, and dskd's forward
// equals PyTorch's.
func TestDskdLoadsPyTorchWeights(t *testing.T) {
	py := needTorch(t)
	for ci, c := range parityCases {
		dir := t.TempDir()
		in := filepath.Join(dir, "x.safetensors")
		writeSafetensors(t, in, c.x)
		cfg, err := c.cfg.WithDefaults()
		require.NoError(t, err)
		cfg.MemoryFormat, cfg.Init = "", "" // how this process builds and lays out the net, not architecture arguments
		cfgJSON, err := json.Marshal(cfg)   // UNetConfig's JSON names are DskdUNet's arguments
		require.NoError(t, err)
		runTool(t, nil, py, parityScript(), "make", string(cfgJSON), strconv.Itoa(30+ci), in, dir)
		want := readSafetensors(t, filepath.Join(dir, "expected.safetensors"))
		for _, file := range []string{"torch.pt", "torch.safetensors"} {
			m, err := ReadFile(filepath.Join(dir, file))
			require.NoError(t, err)
			assert.Equal(t, cfg, m.Meta.Config, "config inferred from the shapes of %s", file)
			onWorker(t, func() {
				net, err := NewUNet(m, gotch.CPU)
				require.NoError(t, err)
				got := forwardLogits(t, net, c.x)
				for i, g := range got {
					d := maxAbsDiff(want["y"+strconv.Itoa(i)].Data, g)
					t.Logf("%s %s: output %d max |PyTorch - dskd| = %.3g", cfg.Upsample, file, i, d)
					assert.LessOrEqual(t, d, parityTolerance, "%s output %d", file, i)
				}
			})
		}
	}
}

// assertStateDictIsLayout: the PyTorch module's state_dict, as [name,
// shape] pairs in order, is exactly models.Describe(cfg).Params().
func assertStateDictIsLayout(t *testing.T, cfg models.UNetConfig, sd [][2]any) {
	t.Helper()
	layout := layoutOf(t, cfg)
	require.Len(t, sd, len(layout))
	for i, p := range layout {
		var shape []int64
		for _, d := range sd[i][1].([]any) {
			shape = append(shape, int64(d.(float64)))
		}
		assert.Equal(t, p.Name, sd[i][0], "state_dict entry %d", i)
		assert.Equal(t, p.Shape, shape, p.Name)
	}
}

// The PyTorch definition (interop/pytorch/dskd_unet.py, which
// bench/twin.py imports) has exactly the variables of models.Describe: the
// same names in the same order, the same shapes, and the BatchNorm running
// statistics, only they, as buffers. Depths 1 (no side head) to 5 (four),
// widths 1, 3 and 16, 1 to 3 input channels, both upsamplings.
func TestPyTorchStateDictIsArchitecture(t *testing.T) {
	py := needTorch(t)
	var cfgs []models.UNetConfig
	for depth := 1; depth <= 5; depth++ {
		for _, base := range []int{1, 3, 16} {
			for _, up := range []models.Upsample{models.UpsampleBilinear, models.UpsampleTranspose} {
				cfgs = append(cfgs, models.UNetConfig{Depth: depth, Base: base, InChannels: 1 + (depth+base)%3, Upsample: up})
			}
		}
	}
	args, err := json.Marshal(cfgs) // UNetConfig's JSON names are DskdUNet's arguments
	require.NoError(t, err)
	out := runTool(t, nil, py, parityScript(), "state-dicts", string(args))
	var got [][][3]any // per config: [name, shape, is_buffer] in state_dict order
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	require.Len(t, got, len(cfgs))
	row := func(name string, shape []int64, buffer bool) string {
		return fmt.Sprintf("%s %v buffer=%v", name, shape, buffer)
	}
	for i, cfg := range cfgs {
		var want, have []string
		sides := 0
		for _, p := range layoutOf(t, cfg) {
			want = append(want, row(p.Name, p.Shape, p.Role.Buffer()))
			if strings.Contains(p.Name, ".side.") {
				sides++
			}
		}
		for _, e := range got[i] {
			var shape []int64
			for _, d := range e[1].([]any) {
				shape = append(shape, int64(d.(float64)))
			}
			have = append(have, row(e[0].(string), shape, e[2].(bool)))
		}
		assert.Equal(t, want, have, "depth %d base %d in %d %s", cfg.Depth, cfg.Base, cfg.InChannels, cfg.Upsample)
		assert.Equal(t, 2*(cfg.Depth-1), sides, "side heads' weights and biases at depth %d", cfg.Depth)
	}
	// Spot values, counted by hand: depth 5, base 16, 1 input channel,
	// transposed upsampling (the last config): 6 encoder stages of 10
	// variables, 5 decoder stages of 12, 4 side heads of 2, the head's 2.
	require.Equal(t, models.UNetConfig{Depth: 5, Base: 16, InChannels: 1, Upsample: models.UpsampleTranspose}, cfgs[len(cfgs)-1])
	sd := got[len(cfgs)-1]
	assert.Equal(t, 6*10+5*12+4*2+2, len(sd))
	assert.Equal(t, []any{"enc0.conv1.weight", []any{16.0, 1.0, 3.0, 3.0}, false}, sd[0][:])
	assert.Equal(t, []any{"dec0.up.weight", []any{512.0, 256.0, 2.0, 2.0}, false}, sd[60][:])
	assert.Equal(t, []any{"dec0.bn2.running_var", []any{256.0}, true}, sd[71][:])
	assert.Equal(t, []any{"head.bias", []any{1.0}, false}, sd[len(sd)-1][:])
}
